package org.scif4j.shm.internal;

import java.nio.ByteBuffer;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;

/**
 * The argument checks of the registration, RMA, fence and mmap calls, as SCIF makes them
 * before it looks at the endpoint's state (SCIF-SPEC.md §2.8–§2.15, docs/decisions.md).
 */
final class RmaArguments {
    private static final long PAGE = FabricDescriptor.PAGE;
    private static final int PROT = Scif.PROT_READ | Scif.PROT_WRITE;
    private static final int RMA_FLAGS = Scif.RMA_USECPU | Scif.RMA_USECACHE | Scif.RMA_SYNC | Scif.RMA_ORDERED;

    private RmaArguments() {
    }

    /** @return the address of the region's first byte */
    static long register(ByteBuffer region, long offset, int prot, int flags, Call call) throws ScifException {
        if (region == null) {
            throw ScifException.of(call.text(), Errno.EFAULT, "region is null");
        }
        if (!region.isDirect()) {
            throw ScifException.of(call.text(), Errno.EFAULT, "region is a heap buffer, which cannot be pinned;"
                + " use ScifNode.allocate or a page-aligned direct buffer");
        }
        if ((prot & ~PROT) != 0) {
            throw ScifException.of(call.text(), Errno.EINVAL, "prot may hold only PROT_READ and PROT_WRITE");
        }
        if ((flags & ~Scif.MAP_FIXED) != 0) {
            throw ScifException.of(call.text(), Errno.EINVAL, "flags may hold only MAP_FIXED");
        }
        long address = MemoryRegistry.address(region);
        long length = region.remaining();
        if ((address & (PAGE - 1)) != 0) {
            throw ScifException.of(call.text(), Errno.EINVAL, "the region starts at 0x" + Long.toHexString(address)
                + ", not on a page boundary; use ScifNode.allocate or ByteBuffer.alignedSlice(4096)");
        }
        if (length == 0 || (length & (PAGE - 1)) != 0) {
            throw ScifException.of(call.text(), Errno.EINVAL, "the length must be a non-zero multiple of 4096");
        }
        if ((flags & Scif.MAP_FIXED) != 0 && !pageRange(offset, length)) {
            throw ScifException.of(call.text(), Errno.EINVAL, "with MAP_FIXED the offset must be page-aligned,"
                + " with [offset, offset+length) inside [0, 2^63)");
        }
        if (region.isReadOnly() && (prot & Scif.PROT_WRITE) != 0) {
            throw ScifException.of(call.text(), Errno.EFAULT, "PROT_WRITE asked for a read-only buffer");
        }
        return address;
    }

    /** Whether [offset, offset+length) is page-aligned inside [0, 2^63) (the end may be 2^63). */
    private static boolean pageRange(long offset, long length) {
        return offset >= 0 && (offset & (PAGE - 1)) == 0 && offset - 1 <= Long.MAX_VALUE - length;
    }

    static void unregister(long offset, long length, Call call) throws ScifException {
        if (length <= 0 || (length & (PAGE - 1)) != 0 || !pageRange(offset, length)) {
            throw ScifException.of(call.text(), Errno.EINVAL, "offset must be page-aligned and non-negative,"
                + " length a non-zero multiple of 4096");
        }
    }

    static void rma(long length, int flags, Call call) throws ScifException {
        if (length <= 0) {
            throw ScifException.of(call.text(), Errno.EINVAL, "length must be positive");
        }
        if (flags != 0 && (flags & RMA_FLAGS) == 0) { // SCIF ignores other bits beside a valid one
            throw ScifException.of(call.text(), Errno.EINVAL, "flags hold none of RMA_USECPU, RMA_USECACHE,"
                + " RMA_SYNC, RMA_ORDERED");
        }
    }

    /** vreadFrom's buffer: it must be writable. */
    static void destination(ByteBuffer dst, Call call) throws ScifException {
        if (dst == null || dst.isReadOnly()) {
            throw ScifException.of(call.text(), Errno.EFAULT, dst == null ? "dst is null" : "dst is read-only");
        }
    }

    /** @return vwriteTo's buffer, copied when it is a read-only heap buffer (whose array is hidden) */
    static ByteBuffer source(ByteBuffer src, Call call) throws ScifException {
        if (src == null) {
            throw ScifException.of(call.text(), Errno.EFAULT, "src is null");
        }
        return src.isDirect() || src.hasArray() ? src : ByteBuffer.allocate(src.remaining()).put(src.duplicate()).flip();
    }

    static void fenceMark(int flags, Call call) throws ScifException {
        if (flags != Scif.FENCE_INIT_SELF && flags != Scif.FENCE_INIT_PEER) {
            throw ScifException.of(call.text(), Errno.EINVAL, "flags must be exactly FENCE_INIT_SELF or"
                + " FENCE_INIT_PEER");
        }
    }

    static void fenceSignal(long localOffset, long remoteOffset, int flags, Call call) throws ScifException {
        int init = flags & (Scif.FENCE_INIT_SELF | Scif.FENCE_INIT_PEER);
        int signal = flags & (Scif.SIGNAL_LOCAL | Scif.SIGNAL_REMOTE);
        if ((flags & ~(Scif.FENCE_INIT_SELF | Scif.FENCE_INIT_PEER | Scif.SIGNAL_LOCAL | Scif.SIGNAL_REMOTE)) != 0
            || (init != Scif.FENCE_INIT_SELF && init != Scif.FENCE_INIT_PEER) || signal == 0) {
            throw ScifException.of(call.text(), Errno.EINVAL, "flags need exactly one of FENCE_INIT_SELF/"
                + "FENCE_INIT_PEER and at least one of SIGNAL_LOCAL/SIGNAL_REMOTE, nothing else");
        }
        if (((flags & Scif.SIGNAL_LOCAL) != 0 && (localOffset & 3) != 0)
            || ((flags & Scif.SIGNAL_REMOTE) != 0 && (remoteOffset & 3) != 0)) {
            throw ScifException.of(call.text(), Errno.EINVAL, "signal offsets must be 4-byte aligned");
        }
    }

    /** @return the length rounded up to whole pages */
    static long mmap(long remoteOffset, long length, int prot, Call call) throws ScifException {
        if (remoteOffset < 0 || (remoteOffset & (PAGE - 1)) != 0 || length <= 0 || (prot & ~PROT) != 0) {
            throw ScifException.of(call.text(), Errno.EINVAL, "remoteOffset must be page-aligned, length positive,"
                + " prot only PROT_READ/PROT_WRITE");
        }
        long rounded = (length + PAGE - 1) & ~(PAGE - 1);
        if (rounded > Integer.MAX_VALUE || remoteOffset - 1 > Long.MAX_VALUE - rounded) {
            throw ScifException.of(call.text(), Errno.ENOMEM, "a mapping is at most 2 GiB (one ByteBuffer)");
        }
        return rounded;
    }
}
