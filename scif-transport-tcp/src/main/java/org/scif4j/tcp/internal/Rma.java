package org.scif4j.tcp.internal;

import java.nio.ByteBuffer;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;

/**
 * The argument checks of registered memory, RMA and fences, with the errnos of shm and
 * docs/decisions.md, so that tcp reports a bad call exactly as shm does. The transfers
 * themselves are not served yet: a valid call on a connected endpoint gets EOPNOTSUPP.
 */
final class Rma {
    private static final long PAGE = 4096;

    void checkRegister(String call, ByteBuffer region, long offset, int prot, int flags) throws ScifException {
        if (region == null) {
            throw ScifException.of(call, Errno.EFAULT, "region is null");
        }
        if (!region.isDirect()) {
            throw ScifException.of(call, Errno.EFAULT, "region is a heap buffer, which cannot be pinned;"
                + " use ScifNode.allocate or a page-aligned direct buffer");
        }
        if ((prot & ~(Scif.PROT_READ | Scif.PROT_WRITE)) != 0) {
            throw ScifException.of(call, Errno.EINVAL, "prot may hold only PROT_READ and PROT_WRITE");
        }
        if ((flags & ~Scif.MAP_FIXED) != 0) {
            throw ScifException.of(call, Errno.EINVAL, "flags may hold only MAP_FIXED");
        }
        long length = region.remaining();
        if (length == 0 || (length & (PAGE - 1)) != 0) {
            throw ScifException.of(call, Errno.EINVAL, "the length must be a non-zero multiple of 4096");
        }
        if ((flags & Scif.MAP_FIXED) != 0
            && (offset < 0 || (offset & (PAGE - 1)) != 0 || offset - 1 > Long.MAX_VALUE - length)) {
            throw ScifException.of(call, Errno.EINVAL, "with MAP_FIXED the offset must be page-aligned,"
                + " with [offset, offset+length) inside [0, 2^63)");
        }
        if (region.isReadOnly() && (prot & Scif.PROT_WRITE) != 0) {
            throw ScifException.of(call, Errno.EFAULT, "PROT_WRITE asked for a read-only buffer");
        }
    }

    void checkUnregister(String call, long offset, long length, boolean closed) throws ScifException {
        if (closed) {
            throw ScifException.of(call, Errno.EBADF, "the endpoint is closed");
        }
        if (offset < 0 || (offset & (PAGE - 1)) != 0 || length <= 0 || (length & (PAGE - 1)) != 0
            || offset - 1 > Long.MAX_VALUE - length) {
            throw ScifException.of(call, Errno.EINVAL, "offset must be page-aligned and non-negative,"
                + " length a non-zero multiple of 4096");
        }
    }

    void checkTransfer(String call, long length, int flags) throws ScifException {
        if (length <= 0) {
            throw ScifException.of(call, Errno.EINVAL, "length must be positive");
        }
        if (flags != 0 && (flags & (Scif.RMA_USECPU | Scif.RMA_USECACHE | Scif.RMA_SYNC | Scif.RMA_ORDERED)) == 0) {
            throw ScifException.of(call, Errno.EINVAL, "flags hold none of RMA_USECPU, RMA_USECACHE,"
                + " RMA_SYNC, RMA_ORDERED");
        }
    }

    void checkSignal(String call, long localOffset, long remoteOffset, int flags) throws ScifException {
        int init = flags & (Scif.FENCE_INIT_SELF | Scif.FENCE_INIT_PEER);
        int signal = flags & (Scif.SIGNAL_LOCAL | Scif.SIGNAL_REMOTE);
        if ((flags & ~(Scif.FENCE_INIT_SELF | Scif.FENCE_INIT_PEER | Scif.SIGNAL_LOCAL | Scif.SIGNAL_REMOTE)) != 0
            || (init != Scif.FENCE_INIT_SELF && init != Scif.FENCE_INIT_PEER) || signal == 0) {
            throw ScifException.of(call, Errno.EINVAL, "flags need exactly one of FENCE_INIT_SELF/"
                + "FENCE_INIT_PEER and at least one of SIGNAL_LOCAL/SIGNAL_REMOTE, nothing else");
        }
        if (((flags & Scif.SIGNAL_LOCAL) != 0 && (localOffset & 3) != 0)
            || ((flags & Scif.SIGNAL_REMOTE) != 0 && (remoteOffset & 3) != 0)) {
            throw ScifException.of(call, Errno.EINVAL, "signal offsets must be 4-byte aligned");
        }
    }

    void checkMmap(String call, long remoteOffset, long length, int prot) throws ScifException {
        if (remoteOffset < 0 || (remoteOffset & (PAGE - 1)) != 0 || length <= 0
            || (prot & ~(Scif.PROT_READ | Scif.PROT_WRITE)) != 0) {
            throw ScifException.of(call, Errno.EINVAL, "remoteOffset must be page-aligned, length positive,"
                + " prot only PROT_READ/PROT_WRITE");
        }
    }

    /** @return the error of a valid RMA call on a connected endpoint, until tcp serves RMA */
    ScifException unsupported(String call) {
        return ScifException.of(call, Errno.EOPNOTSUPP, "registered memory and RMA are not served by the"
            + " tcp transport yet");
    }
}
