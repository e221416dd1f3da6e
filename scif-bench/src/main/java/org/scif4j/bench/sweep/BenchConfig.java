package org.scif4j.bench.sweep;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@code scif bench} measures and how.
 *
 * @param fabrics          fabric URIs to measure, one per transport, without {@code node=}
 *                         (node 0 runs here, node 1 in a second JVM)
 * @param skipped          transports asked for that cannot be measured, with the reason
 * @param sizes            transfer sizes, ascending
 * @param bytes            bytes moved per batch (at least two transfers)
 * @param rounds           interleaved rounds (baseline, subject) per figure, after a warm-up
 *                         of each (Interleave); ratios are the median of the rounds
 * @param warmupRoundTrips 8 B round trips before recording, in every round
 * @param roundTrips       recorded 8 B round trips (SCIF, the raw floor, Aeron), all rounds together
 * @param nettyRoundTrips  recorded 8 B round trips of plain Netty and of tcp (tens of µs each),
 *                         all rounds together
 * @param messages         64 B messages of shm's send/recv and of Aeron IPC, each, all rounds
 *                         together (shm with Aeron only)
 * @param peers            peer libraries to measure in the same run ({@code aeron})
 * @param pin              pin node 0 and node 1 to different cores for the latency phases
 * @param out              where the chart goes, or null for no chart
 * @param json             where the JSON results go, or null
 * @param timeoutSeconds   the whole run is stopped after this long
 */
public record BenchConfig(List<String> fabrics, List<String> skipped, List<Long> sizes, long bytes,
                          int rounds, long warmupRoundTrips, long roundTrips, long nettyRoundTrips,
                          long messages, List<String> peers, boolean pin, Path out, Path json,
                          long timeoutSeconds) {
    /** Operations per batch are capped at this many, so small sizes do not take long. */
    public static final long MAX_OPERATIONS = 100_000;
    /**
     * A bandwidth batch that would take less than this (10 ms) moves more transfers instead, for
     * its subject and its baseline alike: a vCPU stolen for a millisecond then costs a batch a
     * tenth of its figure at most, not all of it.
     */
    public static final double MIN_BATCH_NANOS = 10e6;

    /**
     * @param size transfer size
     * @return transfers per batch at that size: {@link #bytes()} worth, 2 to
     *         {@value #MAX_OPERATIONS}
     */
    public long transfers(long size) {
        return Math.max(2, Math.min(MAX_OPERATIONS, bytes / size));
    }

    /**
     * @param total round trips of all rounds together
     * @return recorded round trips per round, at least 1
     */
    public long perRound(long total) {
        return Math.max(1, total / rounds);
    }

    /** @return the largest size */
    public long maxSize() {
        return sizes.get(sizes.size() - 1);
    }
}
