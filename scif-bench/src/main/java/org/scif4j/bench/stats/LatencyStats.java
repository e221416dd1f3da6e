package org.scif4j.bench.stats;

import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Percentiles of a latency histogram, in nanoseconds.
 *
 * @param count  recorded values
 * @param median p50
 * @param p90    p90
 * @param p99    p99
 * @param p999   p99.9
 * @param max    the largest value
 */
public record LatencyStats(long count, long median, long p90, long p99, long p999, long max) {
    /** The largest value a {@link #newHistogram()} tracks: 10 s; larger values are clamped. */
    public static final long HIGHEST_TRACKABLE_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** @return a histogram of nanoseconds, 3 significant digits, that never resizes */
    public static Histogram newHistogram() {
        return new Histogram(HIGHEST_TRACKABLE_NANOS, 3);
    }

    /**
     * Records without allocating; values beyond the range are clamped.
     *
     * @param h     a histogram from {@link #newHistogram()}
     * @param nanos the value
     */
    public static void record(Histogram h, long nanos) {
        h.recordValue(Math.max(0, Math.min(nanos, HIGHEST_TRACKABLE_NANOS)));
    }

    /**
     * @param h the histogram
     * @return its percentiles
     */
    public static LatencyStats of(Histogram h) {
        return new LatencyStats(h.getTotalCount(), h.getValueAtPercentile(50),
            h.getValueAtPercentile(90), h.getValueAtPercentile(99), h.getValueAtPercentile(99.9),
            h.getMaxValue());
    }
}
