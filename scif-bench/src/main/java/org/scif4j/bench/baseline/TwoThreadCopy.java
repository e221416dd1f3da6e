package org.scif4j.bench.baseline;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Two threads each copying half of a direct buffer into another: the yardstick of a DMA engine
 * that splits a large transfer across two threads (PERF.md). No scif4j code is involved.
 */
public final class TwoThreadCopy {
    private TwoThreadCopy() {
    }

    /**
     * Copies {@code size} bytes {@code copies} times as two halves in parallel (each thread
     * copies its half {@code copies} times), once to warm up, then {@code repetitions} times
     * measured.
     *
     * @param size        bytes per copy
     * @param copies      copies per repetition
     * @param repetitions measured repetitions
     * @return the median, GB/s (10^9 bytes per second)
     * @throws InterruptedException if interrupted while waiting for the threads
     */
    public static double gigabytesPerSecond(int size, long copies, int repetitions)
        throws InterruptedException {
        ByteBuffer src = ByteBuffer.allocateDirect(size);
        ByteBuffer dst = ByteBuffer.allocateDirect(size);
        int half = size / 2;
        double[] gbs = new double[repetitions];
        for (int r = -1; r < repetitions; r++) {
            long t = System.nanoTime();
            Thread a = new Thread(() -> copy(dst, 0, src, half, copies), "two-thread-copy-a");
            Thread b = new Thread(() -> copy(dst, half, src, size - half, copies), "two-thread-copy-b");
            a.start();
            b.start();
            a.join();
            b.join();
            if (r >= 0) {
                gbs[r] = (double) size * copies / (System.nanoTime() - t);
            }
        }
        Arrays.sort(gbs);
        return gbs[repetitions / 2];
    }

    private static void copy(ByteBuffer dst, int at, ByteBuffer src, int length, long copies) {
        ByteBuffer d = dst.duplicate();
        for (long c = 0; c < copies; c++) {
            d.put(at, src, at, length);
        }
    }
}
