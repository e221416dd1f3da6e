package org.scif4j.natives;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * The SCIF user library's functions, bound by JNA's direct mapping ({@link Native#register}):
 * pointers are passed as {@code long} addresses, so no call allocates. Bound to one library at
 * a time ({@link #bind}); errno is read with {@link Native#getLastError()} after a failed call.
 */
final class LibScif {
    private static NativeLibrary bound;

    private LibScif() {
    }

    /**
     * Binds this class's natives to {@code lib}, unbinding a previous library first. Callers
     * hold the transport's attach lock and no endpoint of the previous library is open.
     */
    static synchronized void bind(NativeLibrary lib) {
        if (bound == lib) {
            return;
        }
        if (bound != null) {
            Native.unregister(LibScif.class);
        }
        Native.register(LibScif.class, lib);
        bound = lib;
    }

    static native int scif_open();

    static native int scif_close(int epd);

    static native int scif_bind(int epd, short port);

    static native int scif_listen(int epd, int backlog);

    static native int scif_connect(int epd, long portId);

    static native int scif_accept(int epd, long portId, long newEpd, int flags);

    static native int scif_send(int epd, long msg, int len, int flags);

    static native int scif_recv(int epd, long msg, int len, int flags);

    static native long scif_register(int epd, long addr, long len, long offset, int prot, int flags);

    static native int scif_unregister(int epd, long offset, long len);

    static native long scif_mmap(long addr, long len, int prot, int flags, int epd, long offset);

    static native int scif_munmap(long addr, long len);

    static native int scif_readfrom(int epd, long loffset, long len, long roffset, int flags);

    static native int scif_writeto(int epd, long loffset, long len, long roffset, int flags);

    static native int scif_vreadfrom(int epd, long addr, long len, long offset, int flags);

    static native int scif_vwriteto(int epd, long addr, long len, long offset, int flags);

    static native int scif_fence_mark(int epd, int flags, long mark);

    static native int scif_fence_wait(int epd, int mark);

    static native int scif_fence_signal(int epd, long loff, long lval, long roff, long rval, int flags);

    static native int scif_get_nodeIDs(long nodes, int len, long self);

    static native int scif_poll(long epds, int nepds, long timeout);
}
