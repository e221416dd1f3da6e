package org.scif4j.bench.baseline;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Two threads each copying half of {@code size} bytes between the two buffers of
 * {@link CopyBuffers}: the yardstick of a DMA engine that splits a large transfer across two
 * threads. No scif4j code is involved.
 */
public final class TwoThreadCopy {
    private TwoThreadCopy() {
    }

    /**
     * One batch: both threads copy their half {@code copies} times; timed from before their
     * start to after both ended.
     *
     * @param buffers where to copy
     * @param size    bytes per copy
     * @param copies  copies
     * @return GB/s (10^9 bytes per second)
     * @throws IOException when interrupted while waiting for the threads
     */
    public static double gigabytesPerSecond(CopyBuffers buffers, int size, long copies) throws IOException {
        int half = size / 2;
        long t = System.nanoTime();
        Thread a = new Thread(() -> copy(buffers.dst(), 0, buffers.src(), half, copies), "two-thread-copy-a");
        Thread b = new Thread(() -> copy(buffers.dst(), half, buffers.src(), size - half, copies),
            "two-thread-copy-b");
        a.start();
        b.start();
        try {
            a.join();
            b.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the two-thread copy", e);
        }
        return (double) size * copies / (System.nanoTime() - t);
    }

    private static void copy(ByteBuffer dst, int at, ByteBuffer src, int length, long copies) {
        ByteBuffer d = dst.duplicate();
        for (long c = 0; c < copies; c++) {
            d.put(at, src, at, length);
        }
    }
}
