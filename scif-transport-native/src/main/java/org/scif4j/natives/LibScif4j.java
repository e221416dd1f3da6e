package org.scif4j.natives;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * scif4j's libscif's helpers for this transport's data path, {@code scif4j_io} (send and recv,
 * with the library's own wait limited to a time), {@code scif4j_rma} (the four RMA calls) and
 * {@code scif4j_fence_wait} (fenceWait, its wait limited to a time),
 * bound by JNA's direct mapping when the library has them (Intel's has not: {@link
 * NativeEndpoint} then makes the SCIF calls and waits in scif_poll). JNA's dispatch costs time
 * for every argument, and reading errno is another crossing: so each helper takes a single
 * argument, the address of a block of this thread's {@link Scratch} that the caller filled in,
 * and returns a negative errno on failure. Their layouts are libscif's {@code src/scif4j.h}.
 */
final class LibScif4j {
    /** scif4j_io's op: send (else recv). */
    static final int SEND = 1;
    /** scif4j_io's op: wait, at most the block's time limit, until all moved. */
    static final int BLOCK = 2;
    /**
     * scif4j_io's op: the caller serialises this direction of the endpoint (the data path lock,
     * held for the whole send or recv, and taken by close before scif_close), so the library
     * takes no mutex of its own.
     */
    static final int SERIAL = 4;
    /** scif4j_rma's ops. */
    static final int READFROM = 0;
    static final int WRITETO = 1;
    static final int VREADFROM = 2;
    static final int VWRITETO = 3;

    private static NativeLibrary bound;
    /**
     * Counts the libraries this class was bound to: a thread's {@link Scratch} binds its block
     * ({@link #scif4j_io_bind}) again when it differs from the count it bound at.
     */
    private static volatile int generation;

    private LibScif4j() {
    }

    /**
     * Binds this class's natives to {@code lib} if it exports them. Callers hold the
     * transport's attach lock and no endpoint of the previous library is open.
     *
     * @return whether they are bound to {@code lib}
     */
    static synchronized boolean bind(NativeLibrary lib) {
        if (bound == lib) {
            return true;
        }
        try {
            lib.getFunction("scif4j_ep");
            lib.getFunction("scif4j_ep_put");
            lib.getFunction("scif4j_io");
            lib.getFunction("scif4j_io_bind");
            lib.getFunction("scif4j_io_bound");
            lib.getFunction("scif4j_rma");
            lib.getFunction("scif4j_fence_wait");
            lib.getFunction("scif4j_connect_abandon");
            lib.getFunction("scif4j_last_message");
        } catch (UnsatisfiedLinkError e) {
            return false;
        }
        if (bound != null) {
            Native.unregister(LibScif4j.class);
        }
        Native.register(LibScif4j.class, lib);
        bound = lib;
        generation++;
        return true;
    }

    /** @return the count of bindings so far: it changes whenever the library does */
    static int generation() {
        return generation;
    }

    /**
     * A reference on the endpoint of {@code epd}, its handle for {@link #scif4j_io} and {@link #scif4j_rma}: the data
     * call then neither looks the descriptor up nor counts a reference of its own. Valid until
     * {@link #scif4j_ep_put}; once the endpoint is closed, scif4j_io fails with EINTR.
     *
     * @return the handle, or -errno
     */
    static native long scif4j_ep(int epd);

    /** Drops {@link #scif4j_ep}'s reference: the handle is not used again. */
    static native int scif4j_ep_put(long ep);

    /**
     * scif_send or scif_recv as the block at {@code io} says (handle, address, len, op, time
     * limit in ms); with {@link #BLOCK} it returns at the time limit with what moved so far.
     *
     * @return the bytes moved, or -errno
     */
    static native int scif4j_io(long io);

    /**
     * Makes {@code io} the calling thread's block for {@link #scif4j_io_bound}, in this library.
     *
     * @return 0
     */
    static native int scif4j_io_bind(long io);

    /**
     * {@link #scif4j_io} of the calling thread's block ({@link #scif4j_io_bind}): no argument,
     * which JNA dispatches faster.
     *
     * @return the bytes moved, or -errno (EINVAL before the thread bound a block)
     */
    static native int scif4j_io_bound();

    /**
     * scif_readfrom, scif_writeto, scif_vreadfrom or scif_vwriteto as the block at {@code rma}
     * says (handle, op, flags, local offset or address, length, remote offset); EBADF once the
     * endpoint is closed.
     *
     * @return 0, or -errno
     */
    static native int scif4j_rma(long rma);

    /**
     * scif_fence_wait as the block at {@code fence} says (handle, mark, time limit in ms, the
     * watchdog's deadline, 0 before the first call), waiting at most the time limit.
     *
     * @return 0 once the marked RMAs are complete, -EAGAIN when the time limit passed first
     *     (call again with the same block), 1 when there is nothing to wait for in slices
     *     (scif_fence_wait answers at once), or -errno
     */
    static native int scif4j_fence_wait(long fence);

    /**
     * Ends the non-blocking connect in progress on {@code epd} as an interrupted blocking connect
     * ends: the local port when the request was accepted meanwhile (the endpoint is connected),
     * -EINTR when it was unanswered (withdrawn from the listener's queue; the endpoint stays
     * BOUND), else -errno (ECONNREFUSED when refused, EINVAL when no connect is in progress).
     */
    static native int scif4j_connect_abandon(int epd);

    /**
     * Copies the calling thread's last line the library wrote to standard error (why its first
     * call could not attach, say) into {@code buf}, NUL-terminated.
     *
     * @return its length in bytes, 0 when the thread wrote none
     */
    static native int scif4j_last_message(byte[] buf, int n);
}
