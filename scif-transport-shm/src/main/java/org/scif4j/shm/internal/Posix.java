package org.scif4j.shm.internal;

import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * The few POSIX calls the JDK does not offer, through JNA direct mapping: placing file
 * mappings at chosen addresses, which {@code mmap} of a peer's windows and the sharing of
 * registered memory need; and reading a file into a caller's array without a stream or
 * channel object per read ({@link ProcessIdentity}'s look at /proc).
 */
final class Posix {
    static final int PROT_NONE = 0;
    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_SHARED = 0x01;
    static final int MAP_PRIVATE = 0x02;
    static final int MAP_FIXED = 0x10;
    static final int MAP_ANONYMOUS = 0x20;
    static final int MAP_NORESERVE = 0x4000;
    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_CLOEXEC = 0x80000;
    /** Fail with ELOOP rather than open a symbolic link (x86_64 value). */
    static final int O_NOFOLLOW = 0x20000;
    static final long MAP_FAILED = -1L;

    static {
        Native.register(Posix.class, Platform.C_LIBRARY_NAME);
    }

    private Posix() {
    }

    static native long mmap(long addr, long length, int prot, int flags, int fd, long offset);

    static native int munmap(long addr, long length);

    static native int open(String path, int flags, int mode);

    /** @param path the name's bytes, NUL-terminated */
    static native int open(byte[] path, int flags, int mode);

    /** @return bytes read into the start of {@code buf}, 0 at the end, -1 on error */
    static native long read(int fd, byte[] buf, long count);

    static native int close(int fd);

    /** @return the errno of the last failed call on this thread */
    static int errno() {
        return Native.getLastError();
    }

    /**
     * Maps {@code length} bytes of the file at {@code path}, from {@code fileOffset}, exactly at
     * {@code addr}, shared.
     *
     * @return 0 on success, else the errno
     */
    static int mapFileAt(long addr, long length, int prot, String path, long fileOffset) {
        int fd = open(path, ((prot & PROT_WRITE) != 0 ? O_RDWR : O_RDONLY) | O_CLOEXEC, 0);
        if (fd < 0) {
            return errno();
        }
        try {
            long r = mmap(addr, length, prot, MAP_SHARED | MAP_FIXED, fd, fileOffset);
            return r == MAP_FAILED ? errno() : 0;
        } finally {
            close(fd);
        }
    }

    /** Reserves address space that faults if touched, until something is mapped over it; 0 on failure. */
    static long reserve(long length) {
        long r = mmap(0, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        return r == MAP_FAILED ? 0 : r;
    }

    /** Replaces whatever is mapped at {@code addr} by private zero pages; 0 on success, else the errno. */
    static int zeroPagesAt(long addr, long length, int prot) {
        long r = mmap(addr, length, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        return r == MAP_FAILED ? errno() : 0;
    }
}
