package org.scif4j;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A registered window ({@code scif_register}) as a resource: {@link #close()} unregisters it,
 * so a window opened in a try-with-resources is unregistered even when an exception flies.
 * Obtained from {@link Endpoint#registerWindow}; the raw {@link Endpoint#register} and
 * {@link Endpoint#unregister} remain, and a window may still be unregistered through them
 * (its {@code close()} then fails with ENXIO, as a second {@code scif_unregister} would).
 *
 * <pre>{@code
 * try (Window w = ep.registerWindow(memory.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0)) {
 *     ep.writeTo(w.offset(), w.length(), remoteOffset, Scif.RMA_SYNC);
 * } // unregistered here
 * }</pre>
 *
 * Safe for use by several threads: only the first {@code close()} unregisters.
 */
public final class Window implements AutoCloseable {
    private final Endpoint endpoint;
    private final long offset;
    private final long length;
    private final int prot;
    private final AtomicBoolean closed = new AtomicBoolean();

    Window(Endpoint endpoint, long offset, long length, int prot) {
        this.endpoint = endpoint;
        this.offset = offset;
        this.length = length;
        this.prot = prot;
    }

    /** @return the endpoint whose registered address space holds the window */
    public Endpoint endpoint() {
        return endpoint;
    }

    /** @return the window's offset in the registered address space */
    public long offset() {
        return offset;
    }

    /** @return the window's length in bytes, a whole number of pages */
    public long length() {
        return length;
    }

    /** @return the access rights it was registered with ({@link Scif#PROT_READ} and/or WRITE) */
    public int prot() {
        return prot;
    }

    /** @return whether {@link #close()} has been called */
    public boolean isClosed() {
        return closed.get();
    }

    /**
     * Unregisters the window ({@code scif_unregister(offset, length)}). Idempotent: only the
     * first call unregisters. After the endpoint was closed it does nothing, since
     * {@code scif_close} already removed every window of the endpoint.
     *
     * @throws ScifException as {@link Endpoint#unregister} except EBADF: ECONNRESET when the
     *                       peer is gone, ENXIO when the window was already unregistered
     *                       through the raw call
     */
    @Override
    public void close() throws ScifException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            endpoint.unregister(offset, length);
        } catch (ScifException e) {
            if (e.errno() != Errno.EBADF) {
                throw e;
            }
        }
    }

    @Override
    public String toString() {
        return "Window[offset=0x" + Long.toHexString(offset) + ", length=" + length + ", prot="
            + prot + (closed.get() ? ", closed" : "") + ", " + endpoint + "]";
    }
}
