package org.scif4j.bench.pingpong;

import java.nio.file.Path;

/**
 * What {@code scif pingpong} measures and how.
 *
 * @param fabricName         name of the shm fabric, unique per run
 * @param waitMode           the transport's wait strategy: spin, yield, block or adaptive
 * @param ring               the per-direction ring in bytes, or 0 for the transport's default
 * @param rounds             interleaved rounds (baseline, subject) of every figure, after a
 *                           warm-up of each (at least one run and 250 ms)
 * @param warmupRoundTrips   8 B round trips before recording, in every round
 * @param roundTrips         recorded 8 B round trips, all rounds together
 * @param streamBytes        bytes streamed in 64 KiB messages, all rounds together
 * @param messages           64 B messages, all rounds together
 * @param pin                pin the two processes to different cores if possible
 * @param json               where to write the results as JSON, or null
 * @param timeoutSeconds     the whole run is stopped after this long
 */
public record PingPongConfig(String fabricName, String waitMode, int ring, int rounds, long warmupRoundTrips,
                             long roundTrips, long streamBytes, long messages, boolean pin,
                             Path json, long timeoutSeconds) {
    /** Size of a streamed message. */
    public static final int STREAM_MESSAGE = 64 * 1024;
    /** Size of a small message. */
    public static final int SMALL_MESSAGE = 64;
    /** Size of a latency message. */
    public static final int LATENCY_MESSAGE = 8;

    /** @return 64 KiB messages per round, at least one */
    public long streamMessages() {
        return Math.max(1, (streamBytes / rounds + STREAM_MESSAGE - 1) / STREAM_MESSAGE);
    }

    /** @return 64 B messages per round, at least one */
    public long messagesPerRound() {
        return Math.max(1, messages / rounds);
    }

    /** @return recorded 8 B round trips per round, at least one */
    public long roundTripsPerRound() {
        return Math.max(1, roundTrips / rounds);
    }

    /**
     * @param node the node id
     * @return the fabric URI for that node
     */
    public String fabricUri(int node) {
        return fabricUri(fabricName, node, waitMode, ring);
    }

    /**
     * @param fabricName the shm fabric's name
     * @param node       the node id
     * @param wait       spin, yield, block or adaptive
     * @param ring       ring bytes, or 0 for the transport's default
     * @return e.g. {@code shm:pingpong-42?node=1&wait=adaptive}
     */
    public static String fabricUri(String fabricName, int node, String wait, int ring) {
        return "shm:" + fabricName + "?node=" + node + "&wait=" + wait
            + (ring > 0 ? "&ring=" + ring : "");
    }
}
