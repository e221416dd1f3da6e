package org.scif4j.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;
import org.scif4j.Errno;
import org.scif4j.ScifException;

/** The one exception-to-errno table. */
class ErrorsTest {
    @Test
    void knownTypesMapToTheirErrno() {
        assertEquals(Errno.EADDRINUSE, Errors.errno(new BindException("Address already in use"), Errno.ENODEV));
        assertEquals(Errno.ECONNREFUSED, Errors.errno(new ConnectException("refused"), Errno.ENODEV));
        assertEquals(Errno.ETIMEDOUT, Errors.errno(new SocketTimeoutException(), Errno.ENODEV),
            "a socket timeout is ETIMEDOUT, although it is an InterruptedIOException");
        assertEquals(Errno.EINTR, Errors.errno(new InterruptedException(), Errno.ENODEV));
        assertEquals(Errno.ENOENT, Errors.errno(new NoSuchFileException("/dev/shm/x"), Errno.ENODEV));
        assertEquals(Errno.EACCES, Errors.errno(new AccessDeniedException("/dev/shm/x"), Errno.ENODEV));
        assertEquals(Errno.ENOMEM, Errors.errno(new OutOfMemoryError(), Errno.ENODEV));
    }

    @Test
    void theCauseChainIsSearched() {
        Exception wrapped = new RuntimeException("bind failed", new BindException("in use"));
        assertEquals(Errno.EADDRINUSE, Errors.errno(wrapped, Errno.ENODEV),
            "Netty and futures wrap the socket's exception");
        ScifException inner = ScifException.of("x()", Errno.ECONNRESET, "peer gone");
        assertEquals(Errno.ECONNRESET, Errors.errno(new UncheckedIOException(inner), Errno.ENODEV),
            "a ScifException keeps its own errno");
    }

    @Test
    void strerrorTextMapsWhenTheTypeSaysNothing() {
        // Netty's native transports report bind failures as an IOException with the OS's text.
        IOException nativeBind = new IOException("bind(..) failed: Address already in use");
        assertEquals(Errno.EADDRINUSE, Errors.errno(nativeBind, Errno.ENODEV));
        assertEquals(Errno.ENOSPC, Errors.errno(new IOException("No space left on device"), Errno.ENOMEM));
    }

    @Test
    void unknownExceptionsTakeTheCallersFallback() {
        assertEquals(Errno.ENODEV, Errors.errno(new IllegalStateException("odd"), Errno.ENODEV));
        assertEquals(Errno.ENOMEM, Errors.errno(new IOException("disk on fire"), Errno.ENOMEM));
    }

    @Test
    void toScifSaysWhatFailedAndKeepsTheCause() {
        BindException cause = new BindException("Address already in use");
        ScifException e = Errors.toScif("attach(tcp:x)", cause, Errno.ENODEV, "cannot listen on 127.0.0.1:1");
        assertEquals(Errno.EADDRINUSE, e.errno());
        assertSame(cause, e.getCause());
        assertTrue(e.getMessage().startsWith("attach(tcp:x): EADDRINUSE, cannot listen on 127.0.0.1:1"), e.getMessage());
    }

    @Test
    void toScifForAnInterruptKeepsTheInterruptStatus() {
        try {
            ScifException e = Errors.toScif("connect()", new InterruptedException(), Errno.ENODEV, "waiting");
            assertEquals(Errno.EINTR, e.errno());
            assertTrue(Thread.currentThread().isInterrupted(), "the status the InterruptedException cleared is set again");
        } finally {
            Thread.interrupted();
        }
    }
}
