package org.scif4j.natives;

import com.sun.jna.Native;
import java.nio.ByteBuffer;
import org.scif4j.Errno;
import org.scif4j.ScifException;
import org.scif4j.spi.Call;

/**
 * The RMA transfers and fences of a native endpoint: readFrom/writeTo between registered
 * windows, vreadFrom/vwriteTo from a buffer (a direct one by address, a heap one through the
 * thread's bounce buffer), fenceMark, fenceWait and fenceSignal. With scif4j's library a
 * transfer is one {@code scif4j_rma} crossing. Each call enters the endpoint for its duration.
 */
final class NativeRma {
    private final NativeEndpoint endpoint;
    private final int epd;
    /** scif4j_rma's handle of the endpoint ({@link LibScif4j#scif4j_ep}), or 0 without scif4j's helpers. */
    private final long handle;

    NativeRma(NativeEndpoint endpoint, int epd, long handle) {
        this.endpoint = endpoint;
        this.epd = epd;
        this.handle = handle;
    }

    /** readFrom or writeTo between windows, or with a {@code buffer} vreadFrom or vwriteTo. */
    void rma(boolean write, long localOffset, ByteBuffer buffer, long length, long remoteOffset, int flags, Call call)
        throws ScifException {
        if (buffer != null) {
            vrma(write, buffer, remoteOffset, flags, call);
            return;
        }
        endpoint.enter(call);
        try {
            int r;
            if (handle != 0) {
                r = Scratch.get().rma(handle, write ? LibScif4j.WRITETO : LibScif4j.READFROM, localOffset, length,
                    remoteOffset, flags);
            } else {
                r = write ? LibScif.scif_writeto(epd, localOffset, length, remoteOffset, flags)
                    : LibScif.scif_readfrom(epd, localOffset, length, remoteOffset, flags);
                r = r < 0 ? -Native.getLastError() : r;
            }
            if (r < 0) {
                throw NativeErrors.error(call.text(), -r);
            }
        } finally {
            endpoint.leave();
        }
    }

    /** vreadfrom/vwriteto: a direct buffer by address, a heap buffer in bounce-buffer chunks. */
    private void vrma(boolean to, ByteBuffer b, long roff, int flags, Call call) throws ScifException {
        endpoint.enter(call);
        try {
            Scratch s = Scratch.get();
            int len = b.remaining();
            if (b.isDirect()) {
                int r = vcall(s, to, s.address(b), len, roff, flags);
                if (r < 0) {
                    throw NativeErrors.error(call.text(), -r);
                }
                return; // vreadFrom and vwriteTo leave the position where it was
            }
            for (int done = 0; done < len;) {
                int chunk = Math.min(len - done, Scratch.BOUNCE);
                if (to) {
                    s.bounceView.put(0, b, b.position() + done, chunk);
                }
                int r = vcall(s, to, s.bounce, chunk, roff + done, flags);
                if (r < 0) {
                    throw NativeErrors.error(call.text(), -r);
                }
                if (!to) {
                    b.put(b.position() + done, s.bounceView, 0, chunk);
                }
                done += chunk;
            }
        } finally {
            endpoint.leave();
        }
    }

    /** @return 0, or -errno of scif_vwriteto or scif_vreadfrom */
    private int vcall(Scratch s, boolean to, long addr, int len, long roff, int flags) {
        if (handle != 0) {
            return s.rma(handle, to ? LibScif4j.VWRITETO : LibScif4j.VREADFROM, addr, len, roff, flags);
        }
        int r = to ? LibScif.scif_vwriteto(epd, addr, len, roff, flags)
            : LibScif.scif_vreadfrom(epd, addr, len, roff, flags);
        return r < 0 ? -Native.getLastError() : r;
    }

    /** @return scif_fence_mark's mark */
    int fenceMark(int flags, Call call) throws ScifException {
        endpoint.enter(call);
        try {
            Scratch s = Scratch.get();
            if (LibScif.scif_fence_mark(epd, flags, s.small + 32) < 0) {
                throw NativeErrors.error(call.text(), Native.getLastError());
            }
            return s.getInt(32);
        } finally {
            endpoint.leave();
        }
    }

    /**
     * scif_fence_wait. With scif4j's library it waits in slices of {@link NativeEndpoint#SLICE_MS}
     * ms, so that an interrupt or a close from another thread ends it with EINTR within one
     * slice; the library's watchdog (ETIMEDOUT) counts from the first slice. Otherwise, and
     * where the library has nothing to wait for in slices, the plain blocking call.
     */
    void fenceWait(int mark, Call call) throws ScifException {
        endpoint.enter(call);
        try {
            int r = handle != 0 ? slicedFenceWait(mark, call) : 1;
            if (r == 1 && LibScif.scif_fence_wait(epd, mark) < 0) {
                r = -Native.getLastError();
            }
            if (r < 0) {
                throw NativeErrors.error(call.text(), -r);
            }
        } finally {
            endpoint.leave();
        }
    }

    /**
     * scif4j_fence_wait's slices until the marked RMAs are complete, with the interrupt status
     * or a close checked between two. With the status already set the first slice does not
     * wait: marked RMAs already complete are reported as such, and only a wait ends with EINTR.
     *
     * @return 0, 1 for the plain call, or -errno
     */
    private int slicedFenceWait(int mark, Call call) throws ScifException {
        Scratch s = Scratch.get();
        s.fence(handle, mark);
        while (true) {
            int r = s.fenceWait(Thread.currentThread().isInterrupted() ? 0 : NativeEndpoint.SLICE_MS);
            if (r != -Errno.EAGAIN.number()) {
                return r;
            }
            endpoint.checkWaitEnds(call);
        }
    }

    void fenceSignal(long localOffset, long localValue, long remoteOffset, long remoteValue, int flags, Call call)
        throws ScifException {
        endpoint.enter(call);
        try {
            if (LibScif.scif_fence_signal(epd, localOffset, localValue, remoteOffset, remoteValue, flags) < 0) {
                throw NativeErrors.error(call.text(), Native.getLastError());
            }
        } finally {
            endpoint.leave();
        }
    }
}
