package org.scif4j.natives;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import org.scif4j.ScifMemory;
import org.scif4j.spi.Arguments;

/**
 * Page-aligned native memory from {@code malloc}, registrable with any endpoint. It stays
 * allocated until the buffer is unreachable: freeing it at close would let a later access of
 * the buffer touch freed memory, so close only drops this object's hold (the buffer's cleaner
 * frees it).
 */
final class NativeMemory implements ScifMemory {
    private final ByteBuffer buffer;
    private final long size;

    NativeMemory(long size) {
        this.size = size;
        long raw = Native.malloc(size + Arguments.PAGE);
        if (raw == 0) {
            throw new OutOfMemoryError("malloc(" + (size + Arguments.PAGE) + ") failed");
        }
        long aligned = (raw + Arguments.PAGE - 1) & -Arguments.PAGE;
        ByteBuffer b = new Pointer(aligned).getByteBuffer(0, size);
        this.buffer = b;
        Cleaner.CLEANER.register(b, () -> Native.free(raw));
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
