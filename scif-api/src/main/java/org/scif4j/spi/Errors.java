package org.scif4j.spi;

import java.io.InterruptedIOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Map;
import org.scif4j.Errno;
import org.scif4j.ScifException;

/**
 * The one table from Java exceptions to the errno SCIF would report, in the spirit of
 * Netty's {@code unix.Errors}: transports turn a caught exception into a
 * {@link ScifException} here instead of picking an errno at each catch site. An exception
 * the table does not know keeps the errno its call site names as the fallback (the errno
 * the call documents for "could not be done here").
 */
public final class Errors {
    /** By type, most specific first; the first match along the cause chain wins. */
    private static final List<Map.Entry<Class<? extends Throwable>, Errno>> BY_TYPE = List.of(
        Map.entry(InterruptedException.class, Errno.EINTR),
        Map.entry(ClosedByInterruptException.class, Errno.EINTR),
        Map.entry(SocketTimeoutException.class, Errno.ETIMEDOUT),
        Map.entry(InterruptedIOException.class, Errno.EINTR),
        Map.entry(BindException.class, Errno.EADDRINUSE),
        Map.entry(ConnectException.class, Errno.ECONNREFUSED),
        Map.entry(NoSuchFileException.class, Errno.ENOENT),
        Map.entry(AccessDeniedException.class, Errno.EACCES),
        Map.entry(SecurityException.class, Errno.EPERM),
        Map.entry(OutOfMemoryError.class, Errno.ENOMEM));
    /**
     * By the strerror(3) text in the message, for exceptions that carry an OS error only as
     * text (Netty's native transports, {@code FileSystemException}s from the kernel).
     */
    private static final List<Map.Entry<String, Errno>> BY_STRERROR = List.of(
        Map.entry("Address already in use", Errno.EADDRINUSE),
        Map.entry("Connection refused", Errno.ECONNREFUSED),
        Map.entry("Connection reset", Errno.ECONNRESET),
        Map.entry("Permission denied", Errno.EACCES),
        Map.entry("Operation not permitted", Errno.EPERM),
        Map.entry("Cannot allocate memory", Errno.ENOMEM),
        Map.entry("No space left on device", Errno.ENOSPC),
        Map.entry("Too many open files", Errno.EMFILE));

    private Errors() {
    }

    /**
     * The errno for {@code t}: a {@link ScifException}'s own, else the first entry of the
     * table that matches {@code t} or one of its causes, by type and then by strerror text.
     *
     * @param t        what was caught
     * @param fallback the errno when nothing matches
     * @return the errno
     */
    public static Errno errno(Throwable t, Errno fallback) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof ScifException) {
                return ((ScifException) c).errno();
            }
            for (Map.Entry<Class<? extends Throwable>, Errno> e : BY_TYPE) {
                if (e.getKey().isInstance(c)) {
                    return e.getValue();
                }
            }
            String message = c.getMessage();
            if (message != null) {
                for (Map.Entry<String, Errno> e : BY_STRERROR) {
                    if (message.contains(e.getKey())) {
                        return e.getValue();
                    }
                }
            }
        }
        return fallback;
    }

    /**
     * A {@link ScifException} for a caught exception, with the errno of {@link #errno} and a
     * message that says what could not be done and why: {@code call: ERRNO, what (cause)}.
     * An EINTR keeps the thread's interrupt status set, as every wait that ends with EINTR does.
     *
     * @param call     the call, for the message
     * @param t        what was caught (kept as the cause)
     * @param fallback the errno when the table knows nothing better
     * @param what     what could not be done, e.g. "cannot listen on 127.0.0.1:7000"
     * @return the exception to throw
     */
    public static ScifException toScif(String call, Throwable t, Errno fallback, String what) {
        Errno errno = errno(t, fallback);
        if (errno == Errno.EINTR && t instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        return new ScifException(errno, call + ": " + errno.name() + ", " + what + " (" + t + ")", t);
    }
}
