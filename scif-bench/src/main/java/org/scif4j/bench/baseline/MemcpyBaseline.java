package org.scif4j.bench.baseline;

import java.nio.ByteBuffer;

/**
 * A plain single-thread copy of {@code size} bytes between the two buffers of
 * {@link CopyBuffers} (what {@code ByteBuffer.put} does: an intrinsic memory copy), timed like
 * the RMA it judges: {@code count} copies back to back between two {@code System.nanoTime}
 * calls. The yardstick for RMA and streaming throughput. No scif4j code is involved.
 */
public final class MemcpyBaseline {
    private MemcpyBaseline() {
    }

    /**
     * One batch.
     *
     * @param buffers where to copy
     * @param size    bytes per copy, at most the buffers' capacity
     * @param count   copies
     * @return GB/s (10^9 bytes per second)
     */
    public static double gigabytesPerSecond(CopyBuffers buffers, int size, long count) {
        ByteBuffer src = buffers.src();
        ByteBuffer dst = buffers.dst();
        long start = System.nanoTime();
        for (long c = 0; c < count; c++) {
            dst.put(0, src, 0, size);
        }
        return (double) count * size / (System.nanoTime() - start);
    }
}
