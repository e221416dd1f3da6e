package org.scif4j.natives;

import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import org.scif4j.ScifMemory;
import org.scif4j.spi.Arguments;

/**
 * Page-aligned, zeroed native memory from an anonymous {@code mmap}, registrable with any endpoint. It stays
 * allocated until the buffer is unreachable: freeing it at close would let a later access of
 * the buffer touch freed memory, so close only drops this object's hold (the buffer's cleaner
 * frees it).
 */
final class NativeMemory implements ScifMemory {
    private final ByteBuffer buffer;
    private final long size;

    NativeMemory(long size) {
        this.size = size;
        long addr = LibC.mmap(0, size, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS, -1, 0);
        if (addr == -1L) {
            throw new OutOfMemoryError("mmap of " + size + " bytes failed");
        }
        ByteBuffer b = new Pointer(addr).getByteBuffer(0, size);
        this.buffer = b;
        Cleaner.CLEANER.register(b, () -> LibC.munmap(addr, size));
    }

    @Override
    public ByteBuffer buffer() {
        return buffer;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void close() {
        // the memory goes with the buffer (see the class comment)
    }

    /** The one cleaner thread of the transport. */
    static final class Cleaner {
        static final java.lang.ref.Cleaner CLEANER = java.lang.ref.Cleaner.create();

        private Cleaner() {
        }
    }
}
