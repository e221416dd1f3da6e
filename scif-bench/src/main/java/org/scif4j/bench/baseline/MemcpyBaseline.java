package org.scif4j.bench.baseline;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A plain single-thread copy between two direct {@link ByteBuffer}s of the same size (what
 * {@code ByteBuffer.put(ByteBuffer)} does: an intrinsic memory copy). The yardstick for
 * streaming and RMA throughput. No scif4j code is involved.
 */
public final class MemcpyBaseline {
    private static final int REPETITIONS = 5;

    private MemcpyBaseline() {
    }

    /**
     * Copies {@code bytesPerRepetition} bytes in {@code size}-byte copies, once to warm up and
     * then {@value #REPETITIONS} times measured.
     *
     * @param size               bytes per copy
     * @param bytesPerRepetition bytes copied per repetition (rounded up to whole copies)
     * @return the median of the repetitions, in GB/s (10^9 bytes per second)
     */
    public static double gigabytesPerSecond(int size, long bytesPerRepetition) {
        ByteBuffer src = ByteBuffer.allocateDirect(size);
        ByteBuffer dst = ByteBuffer.allocateDirect(size);
        for (int i = 0; i < size; i++) {
            src.put(i, (byte) i);
        }
        long copies = Math.max(1, (bytesPerRepetition + size - 1) / size);
        long check = copyLoop(src, dst, copies);
        double[] gbs = new double[REPETITIONS];
        for (int r = 0; r < REPETITIONS; r++) {
            long start = System.nanoTime();
            check += copyLoop(src, dst, copies);
            long elapsed = System.nanoTime() - start;
            gbs[r] = (double) copies * size / elapsed;
        }
        if (check == Long.MIN_VALUE) { // keeps the copies observable; never true
            System.err.print("");
        }
        Arrays.sort(gbs);
        return gbs[REPETITIONS / 2];
    }

    private static long copyLoop(ByteBuffer src, ByteBuffer dst, long copies) {
        long check = 0;
        for (long c = 0; c < copies; c++) {
            src.clear();
            dst.clear();
            dst.put(src);
            check += dst.get((int) (c % dst.capacity()));
        }
        return check;
    }
}
