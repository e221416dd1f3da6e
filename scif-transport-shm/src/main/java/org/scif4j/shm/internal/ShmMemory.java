package org.scif4j.shm.internal;

import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.scif4j.ScifMemory;

/**
 * Memory from {@code ScifNode.allocate}: a mapping of its own file in the fabric directory, so
 * windows over it are shared with peers without copying. Closing it gives it back once no
 * window uses it; a buffer kept after that reads zeros and never faults.
 */
final class ShmMemory implements ScifMemory {
    private final MemoryRegistry registry;
    private final MemoryRegistry.Range range;
    private final ByteBuffer buffer;
    private boolean closed;

    ShmMemory(MemoryRegistry registry, MemoryRegistry.Range range) {
        this.registry = registry;
        this.range = range;
        this.buffer = new Pointer(range.address).getByteBuffer(0, range.length).order(ByteOrder.nativeOrder());
    }

    @Override
    public ByteBuffer buffer() {
        return buffer.duplicate().order(ByteOrder.nativeOrder());
    }

    @Override
    public long size() {
        return range.length;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        registry.release(range);
    }

    @Override
    public String toString() {
        return "ShmMemory[" + range.path.getFileName() + ", " + range.length + " bytes" + (closed ? ", closed" : "") + "]";
    }
}
