package org.scif4j.spi;

import static org.scif4j.spi.Pages.PAGE;

import java.nio.ByteBuffer;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;

/**
 * The argument checks of the registration, RMA, fence and mmap calls, as SCIF makes them
 * before it looks at the endpoint's state (as SCIF's driver does; docs/decisions.md): one
 * place, so that every transport refuses the same arguments with the same errno.
 */
public final class Arguments {
    private static final int PROT = Scif.PROT_READ | Scif.PROT_WRITE;
    /**
     * The mark every fenceMark returns on a host loopback connection (both ends on node 0, the
     * host): there every RMA is a synchronous CPU copy, so nothing is ever left to wait for
     * (as the mainline Linux driver and MPSS 4 do).
     */
    public static final int HOST_LOOPBACK_MARK = 0xdead;
    /** The host, the management node: loopback there is special (docs/decisions.md, "host loopback"). */
    private static final int HOST = 0;
    private static final int RMA_FLAGS = Scif.RMA_USECPU | Scif.RMA_USECACHE | Scif.RMA_SYNC | Scif.RMA_ORDERED;

    private Arguments() {
    }

    /**
     * scif_register's arguments.
     *
     * @param region  the memory to register (position to limit)
     * @param address the address of the region's first byte, for a direct buffer (the
     *                transport knows how to find it); ignored otherwise
     * @param offset  the offset asked for
     * @param prot    PROT_* flags
     * @param flags   0 or MAP_FIXED
     * @param call    the call, for the message
     * @throws ScifException EFAULT, EINVAL as SCIF gives them
     */
    public static void register(ByteBuffer region, long address, long offset, int prot, int flags, Call call)
        throws ScifException {
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
        long length = region.remaining();
        if ((address & (PAGE - 1)) != 0) {
            throw ScifException.of(call.text(), Errno.EINVAL, "the region starts at 0x" + Long.toHexString(address)
                + ", not on a page boundary; use ScifNode.allocate or ByteBuffer.alignedSlice(4096)");
        }
        if (length == 0 || (length & (PAGE - 1)) != 0) {
            throw ScifException.of(call.text(), Errno.EINVAL, "the length must be a non-zero multiple of 4096");
        }
        if ((flags & Scif.MAP_FIXED) != 0 && !Pages.isPageRange(offset, length)) {
            throw ScifException.of(call.text(), Errno.EINVAL, "with MAP_FIXED the offset must be page-aligned,"
                + " with [offset, offset+length) inside [0, 2^63)");
        }
        if (region.isReadOnly() && (prot & Scif.PROT_WRITE) != 0) {
            throw ScifException.of(call.text(), Errno.EFAULT, "PROT_WRITE asked for a read-only buffer");
        }
    }

    /**
     * {@code ScifNode.allocate}'s size.
     *
     * @param bytes the size asked for
     * @param call  the call, for the message
     * @return the size rounded up to whole pages
     * @throws ScifException EINVAL when not positive, ENOMEM beyond what one ByteBuffer can hold
     */
    public static long allocate(long bytes, Call call) throws ScifException {
        if (bytes <= 0) {
            throw ScifException.of(call.text(), Errno.EINVAL, "bytes must be positive");
        }
        long rounded = (bytes + PAGE - 1) & ~(PAGE - 1);
        if (rounded > Integer.MAX_VALUE - PAGE || rounded < bytes) {
            throw ScifException.of(call.text(), Errno.ENOMEM, "one allocation is at most 2 GiB (one ByteBuffer)");
        }
        return rounded;
    }

    /**
     * The {@code privileged=true} option: only for a process running as root, as binding ports
     * below 1024 needs CAP_SYS_ADMIN in SCIF.
     *
     * @param privileged whether the option was given
     * @param call       the attach call, for the message
     * @throws ScifException EPERM when given by a process that is not root
     */
    public static void privileged(boolean privileged, String call) throws ScifException {
        if (privileged && !isRoot()) {
            throw ScifException.of(call, Errno.EPERM, "privileged=true lets a node bind ports below 1024"
                + " and is only for processes running as root");
        }
    }

    /** @return whether this process's effective uid is 0, from /proc/self/status */
    private static boolean isRoot() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2].equals("0");
                }
            }
        } catch (java.io.IOException e) {
            return false;
        }
        return false;
    }

    /**
     * scif_unregister's arguments.
     *
     * @param offset page-aligned, non-negative
     * @param length a non-zero multiple of 4096
     * @param call   the call, for the message
     * @throws ScifException EINVAL
     */
    public static void unregister(long offset, long length, Call call) throws ScifException {
        if (length <= 0 || (length & (PAGE - 1)) != 0 || !Pages.isPageRange(offset, length)) {
            throw ScifException.of(call.text(), Errno.EINVAL, "offset must be page-aligned and non-negative,"
                + " length a non-zero multiple of 4096");
        }
    }

    /**
     * The arguments every RMA call shares.
     *
     * @param length bytes to move, positive
     * @param flags  RMA_* flags; non-zero flags need at least one valid bit
     * @param call   the call, for the message
     * @throws ScifException EINVAL
     */
    public static void rma(long length, int flags, Call call) throws ScifException {
        if (length <= 0) {
            throw ScifException.of(call.text(), Errno.EINVAL, "length must be positive");
        }
        if (flags != 0 && (flags & RMA_FLAGS) == 0) { // SCIF ignores other bits beside a valid one
            throw ScifException.of(call.text(), Errno.EINVAL, "flags hold none of RMA_USECPU, RMA_USECACHE,"
                + " RMA_SYNC, RMA_ORDERED");
        }
    }

    /**
     * vreadFrom's buffer: it must be writable.
     *
     * @param dst  the buffer
     * @param call the call, for the message
     * @throws ScifException EFAULT
     */
    public static void destination(ByteBuffer dst, Call call) throws ScifException {
        if (dst == null || dst.isReadOnly()) {
            throw ScifException.of(call.text(), Errno.EFAULT, dst == null ? "dst is null" : "dst is read-only");
        }
    }

    /**
     * vwriteTo's buffer.
     *
     * @param src  the buffer
     * @param call the call, for the message
     * @return {@code src}, or a copy when it is a read-only heap buffer (whose array is hidden)
     * @throws ScifException EFAULT
     */
    public static ByteBuffer source(ByteBuffer src, Call call) throws ScifException {
        if (src == null) {
            throw ScifException.of(call.text(), Errno.EFAULT, "src is null");
        }
        return src.isDirect() || src.hasArray() ? src : ByteBuffer.allocate(src.remaining()).put(src.duplicate()).flip();
    }

    /**
     * scif_fence_mark's flags.
     *
     * @param flags exactly FENCE_INIT_SELF or FENCE_INIT_PEER
     * @param call  the call, for the message
     * @throws ScifException EINVAL
     */
    public static void fenceMark(int flags, Call call) throws ScifException {
        if (flags != Scif.FENCE_INIT_SELF && flags != Scif.FENCE_INIT_PEER) {
            throw ScifException.of(call.text(), Errno.EINVAL, "flags must be exactly FENCE_INIT_SELF or"
                + " FENCE_INIT_PEER");
        }
    }

    /**
     * @param self the node of the endpoint
     * @param peer the node of its peer
     * @return whether the connection is host loopback: RMAs are synchronous CPU copies, fence
     *         marks are {@link #HOST_LOOPBACK_MARK} and signals are stored at once, as on the
     *         mainline Linux driver (docs/decisions.md, "host loopback")
     */
    public static boolean hostLoopback(int self, int peer) {
        return self == HOST && peer == HOST;
    }

    /**
     * scif_fence_wait's mark on a host loopback connection: only {@link #HOST_LOOPBACK_MARK} is a
     * mark there, and it is always complete.
     */
    public static void hostLoopbackFenceWait(int mark, Call call) throws ScifException {
        if (mark != HOST_LOOPBACK_MARK) {
            throw ScifException.of(call.text(), Errno.EINVAL, "mark " + mark + " on a host loopback connection,"
                + " whose every mark is 0xdead (" + HOST_LOOPBACK_MARK + "): its RMAs are synchronous CPU copies");
        }
    }

    /**
     * scif_fence_signal's flags and offsets.
     *
     * @param localOffset  4-byte aligned when SIGNAL_LOCAL
     * @param remoteOffset 4-byte aligned when SIGNAL_REMOTE
     * @param flags        one INIT flag and at least one SIGNAL flag
     * @param call         the call, for the message
     * @throws ScifException EINVAL
     */
    public static void fenceSignal(long localOffset, long remoteOffset, int flags, Call call) throws ScifException {
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

    /**
     * scif_mmap's arguments.
     *
     * @param remoteOffset page-aligned, non-negative
     * @param length       positive
     * @param prot         PROT_* flags
     * @param call         the call, for the message
     * @return the length rounded up to whole pages
     * @throws ScifException EINVAL, or ENOMEM beyond what one ByteBuffer can hold
     */
    public static long mmap(long remoteOffset, long length, int prot, Call call) throws ScifException {
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
