package org.scif4j.natives;

import com.sun.jna.Native;
import java.nio.ByteBuffer;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.spi.Call;

/**
 * send and recv on a native endpoint: the library's call (direct buffers by address, heap
 * buffers through the thread's bounce buffer), and for a blocking call the waits between calls.
 * With scif4j's library every call is one crossing of {@code scif4j_io}, which waits inside the
 * library for at most one slice; with Intel's, the non-blocking scif_send/scif_recv, a spin,
 * then waits in scif_poll. Each runs under its direction's data path lock.
 */
final class NativeMessages {
    /**
     * How long a blocking send or recv on Intel's library retries the non-blocking call,
     * spinning, before it waits in scif_poll: a peer that answers within this time is seen at
     * once, without the poll's yield, futex sleep and wake-up. libscif's own poll spins this
     * long before it sleeps, so an idle waiter costs no more than in C.
     */
    private static final long SPIN_NANOS = 50_000;

    private final NativeEndpoint endpoint;
    private final int epd;
    /** scif4j_io's handle of the endpoint, or 0 without scif4j's helpers. */
    private final long handle;

    NativeMessages(NativeEndpoint endpoint, int epd, long handle) {
        this.endpoint = endpoint;
        this.epd = epd;
        this.handle = handle;
    }

    /** The description of a send or recv, for its exception only (no allocation per call). */
    private static Call dataCall(boolean out, int len, int flags) {
        return Call.of(out ? "send" : "recv", "len", len, "flags", flags);
    }

    /**
     * send ({@code out}) or recv of {@code b}'s remaining bytes, at least one; with
     * {@code block} it waits in slices until all of them have moved. The caller holds the
     * direction's data path lock, which close takes after it marked the endpoint closed: so the
     * descriptor stays open while this runs.
     *
     * @return the bytes moved
     */
    int transfer(ByteBuffer b, boolean block, boolean out, int flags) throws ScifException {
        int total = b.remaining();
        if (endpoint.isClosed()) { // closed since the call began: it was waiting for the lock
            throw ScifException.of(dataCall(out, total, flags).text(), Errno.EINTR,
                "the endpoint was closed while waiting");
        }
        int done = 0;
        Scratch s = Scratch.get();
        boolean direct = b.isDirect();
        boolean timed = block && handle != 0;
        long spinUntil = 0;
        while (true) {
            int want = total - done;
            int n;
            if (direct) {
                n = move(s, out, s.address(b), want, timed);
            } else {
                int chunk = Math.min(want, Scratch.BOUNCE);
                if (out) {
                    s.bounceView.put(0, b, b.position(), chunk);
                    n = move(s, true, s.bounce, chunk, timed);
                } else {
                    n = move(s, false, s.bounce, chunk, timed);
                    if (n > 0) {
                        b.put(b.position(), s.bounceView, 0, n);
                    }
                }
            }
            if (n < 0) {
                int errno = -n;
                if (done > 0 && errno == Errno.ECONNRESET.number()) {
                    return done; // what moved before the peer went is the result, as SCIF returns it
                }
                if (errno != Errno.EAGAIN.number()) {
                    throw NativeErrors.error(dataCall(out, total, flags).text(), errno);
                }
                n = 0;
            }
            b.position(b.position() + n);
            done += n;
            if (done == total || !block) {
                return done;
            }
            if (timed) { // a slice of the library's own wait passed (or a bounce chunk moved)
                if (Thread.currentThread().isInterrupted() || endpoint.isClosed()) {
                    return waitEnded(done, dataCall(out, total, flags));
                }
            } else if (n == 0) {
                long now = System.nanoTime();
                if (spinUntil == 0) {
                    spinUntil = now + SPIN_NANOS; // once per call: after a poll slice, poll again
                }
                if (now - spinUntil < 0 && !endpoint.isClosed() && !Thread.currentThread().isInterrupted()) {
                    Thread.onSpinWait();
                    continue;
                }
                try {
                    endpoint.await((short) (out ? Scif.POLLOUT : Scif.POLLIN), dataCall(out, total, flags));
                } catch (ScifException e) {
                    if (e.errno() != Errno.EINTR) {
                        throw e;
                    }
                    return waitEnded(done, dataCall(out, total, flags));
                }
            }
        }
    }

    /**
     * The end of a blocking send or recv whose wait an interrupt or a close from another thread
     * ended: as in SCIF, the count of the bytes it moved so far (the buffer's position says the
     * same, and the peer gets exactly those), or EINTR when none moved.
     */
    private int waitEnded(int done, Call call) throws ScifException {
        if (done > 0) {
            return done;
        }
        throw endpoint.waitEnded(call);
    }

    /**
     * One library call moving bytes: with scif4j's library its scif4j_io (waiting at most one
     * slice with {@code timed}), else the non-blocking scif_send/scif_recv.
     *
     * @return the bytes moved, or -errno
     */
    private int move(Scratch s, boolean out, long addr, int len, boolean timed) {
        if (handle != 0) {
            return s.io(handle, (out ? LibScif4j.SEND : 0) | (timed ? LibScif4j.BLOCK : 0) | LibScif4j.SERIAL, addr,
                len, NativeEndpoint.SLICE_MS);
        }
        int r = out ? LibScif.scif_send(epd, addr, len, 0) : LibScif.scif_recv(epd, addr, len, 0);
        return r < 0 ? -Native.getLastError() : r;
    }
}
