package org.scif4j.natives;

import com.sun.jna.Native;
import com.sun.jna.Platform;

/** The few C library functions the transport needs: descriptor flags, mappings, the environment. */
final class LibC {
    static final int F_GETFL = 3;
    static final int F_SETFL = 4;
    static final int O_NONBLOCK = 04000;

    static {
        Native.register(LibC.class, Platform.C_LIBRARY_NAME);
    }

    private LibC() {
    }

    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_PRIVATE = 0x02;
    static final int MAP_FIXED = 0x10;
    static final int MAP_ANONYMOUS = 0x20;
    static final int MAP_FIXED_NOREPLACE = 0x100000;

    static native int fcntl(int fd, int cmd, int arg);

    static native long mmap(long addr, long len, int prot, int flags, int fd, long off);

    static final int MREMAP_MAYMOVE = 1;
    static final int MREMAP_FIXED = 2;

    static native int munmap(long addr, long len);

    static native long mremap(long oldAddr, long oldLen, long newLen, int flags, long newAddr);

    static native long memcpy(long dst, long src, long len);

    static native int setenv(String name, String value, int overwrite);

    static native int unsetenv(String name);
}
