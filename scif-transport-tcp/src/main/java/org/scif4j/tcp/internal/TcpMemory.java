package org.scif4j.tcp.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.scif4j.ScifMemory;

/** Page-aligned direct memory from {@link TcpNode#allocate}; the garbage collector frees it. */
final class TcpMemory implements ScifMemory {
    private final ByteBuffer buffer;

    TcpMemory(ByteBuffer buffer) {
        this.buffer = buffer;
    }

    /** @return a view in native byte order, as on shm (and as fenceSignal stores its words) */
    @Override
    public ByteBuffer buffer() {
        return buffer.duplicate().order(ByteOrder.nativeOrder());
    }

    @Override
    public long size() {
        return buffer.capacity();
    }

    @Override
    public void close() {
        // Direct memory is returned when the buffer becomes unreachable.
    }

    @Override
    public String toString() {
        return "TcpMemory[" + buffer.capacity() + " bytes]";
    }
}
