package org.scif4j.bench.pingpong;

import org.scif4j.bench.stats.LatencyStats;

/**
 * Everything one {@code scif pingpong} run measured.
 *
 * @param config          what was asked
 * @param pinning         where the processes ran, or why unpinned
 * @param scifLatency     8 B round trips through Endpoint.send/recv
 * @param streamGbps      64 KiB streaming, GB/s (10^9 B/s) on the receiver
 * @param streamBytes     bytes in the measured streaming pass
 * @param streamNanos     its duration
 * @param messageRate     64 B messages per second on the receiver
 * @param floorLatency    the raw shared-memory ping-pong
 * @param memcpyGbps      a plain 64 KiB direct-to-direct ByteBuffer copy, GB/s
 * @param leftBehind      files of this run still under /dev/shm afterwards (should be empty)
 * @param allocation      heap bytes node 0 allocated per round trip, per 64 KiB and per 64 B
 *                        message received (NaN if the JVM cannot tell; 0 is the goal)
 */
public record PingPongResult(PingPongConfig config, String pinning, LatencyStats scifLatency,
                             double streamGbps, long streamBytes, long streamNanos,
                             double messageRate, LatencyStats floorLatency, double memcpyGbps,
                             java.util.List<String> leftBehind, double[] allocation) {
}
