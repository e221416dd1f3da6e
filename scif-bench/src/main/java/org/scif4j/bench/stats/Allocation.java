package org.scif4j.bench.stats;

import java.lang.management.ManagementFactory;

/**
 * Bytes the current thread has allocated on the heap, to show that a hot loop allocates
 * nothing per operation, without a profiler.
 */
public final class Allocation {
    private static final com.sun.management.ThreadMXBean THREADS = threads();

    private Allocation() {
    }

    /** @return bytes allocated so far by this thread, or -1 if the JVM cannot tell */
    public static long currentThreadBytes() {
        return THREADS == null ? -1 : THREADS.getCurrentThreadAllocatedBytes();
    }

    /**
     * @param before     {@link #currentThreadBytes()} before the loop
     * @param operations operations in the loop
     * @return bytes per operation since {@code before}, or NaN if unknown
     */
    public static double perOperation(long before, long operations) {
        long after = currentThreadBytes();
        return before < 0 || after < 0 || operations <= 0 ? Double.NaN
            : (double) (after - before) / operations;
    }

    private static com.sun.management.ThreadMXBean threads() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                && t.isThreadAllocatedMemorySupported()) {
            t.setThreadAllocatedMemoryEnabled(true);
            return t;
        }
        return null;
    }
}
