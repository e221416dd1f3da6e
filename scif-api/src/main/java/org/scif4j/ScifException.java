package org.scif4j;

/**
 * A SCIF call failed. The {@link #errno()} is the one the C library would have set; the
 * message names the call, its arguments, what was wrong and what was expected, e.g.
 * {@code bind(port=80): EACCES, ports 1..1023 need a node attached with privileged=true}.
 */
public final class ScifException extends java.io.IOException {
    private static final long serialVersionUID = 1L;

    private final Errno errno;

    /**
     * @param errno   the errno SCIF reports for this failure
     * @param message what failed and why; should start with the call and its arguments
     */
    public ScifException(Errno errno, String message) {
        super(message);
        this.errno = java.util.Objects.requireNonNull(errno, "errno");
    }

    /**
     * @param errno   the errno SCIF reports for this failure
     * @param message what failed and why
     * @param cause   the lower-level failure
     */
    public ScifException(Errno errno, String message, Throwable cause) {
        super(message, cause);
        this.errno = java.util.Objects.requireNonNull(errno, "errno");
    }

    /**
     * Builds the project's standard message: {@code "<call>: <ERRNO>, <detail>"}.
     *
     * @param call   the call with its arguments, e.g. {@code "bind(port=80)"}
     * @param errno  the errno
     * @param detail what was wrong and what was expected
     * @return the exception, to throw
     */
    public static ScifException of(String call, Errno errno, String detail) {
        return new ScifException(errno, call + ": " + errno.name() + ", " + detail);
    }

    /** @return the errno SCIF would have set for this failure */
    public Errno errno() {
        return errno;
    }
}
