package org.scif4j.bench.pingpong;

import java.util.List;
import org.scif4j.bench.stats.LatencyRounds;
import org.scif4j.bench.stats.LatencyStats;
import org.scif4j.bench.stats.Rounds;

/**
 * Everything one {@code scif pingpong} run measured, round by round.
 *
 * @param config          what was asked
 * @param pinning         where the processes ran, or why unpinned
 * @param scifRounds      8 B round trips through Endpoint.send/recv, per round
 * @param floorRounds     the raw shared-memory ping-pong of the same rounds
 * @param streamRounds    64 KiB streaming, GB/s (10^9 B/s) on the receiver, per round
 * @param memcpyRounds    a plain 64 KiB copy of the same bytes, GB/s, the same rounds
 * @param messageRounds   64 B messages per second on the receiver, per round
 * @param leftBehind      files of this run still under /dev/shm afterwards (should be empty)
 * @param allocation      heap bytes node 0 allocated per round trip, per 64 KiB and per 64 B
 *                        message received in the last round (NaN if the JVM cannot tell; 0 is
 *                        the goal)
 */
public record PingPongResult(PingPongConfig config, String pinning, List<LatencyStats> scifRounds,
                             List<LatencyStats> floorRounds, double[] streamRounds, double[] memcpyRounds,
                             double[] messageRounds, List<String> leftBehind, double[] allocation) {
    /** @return the round trips' percentiles, each the median of the rounds */
    public LatencyStats scifLatency() {
        return LatencyRounds.median(scifRounds);
    }

    /** @return the floor's percentiles, each the median of the rounds */
    public LatencyStats floorLatency() {
        return LatencyRounds.median(floorRounds);
    }

    /** @return scif p50 / floor p50, per round */
    public Rounds p50Ratio() {
        return LatencyRounds.ratios(scifRounds, floorRounds, LatencyStats::median);
    }

    /** @return scif p99 / floor p99, per round */
    public Rounds p99Ratio() {
        return LatencyRounds.ratios(scifRounds, floorRounds, LatencyStats::p99);
    }

    /** @return streaming / memcpy, per round */
    public Rounds streamRatio() {
        return Rounds.ratios(streamRounds, memcpyRounds);
    }

    /** @return the median streaming GB/s */
    public double streamGbps() {
        return Rounds.median(streamRounds);
    }

    /** @return the median memcpy GB/s */
    public double memcpyGbps() {
        return Rounds.median(memcpyRounds);
    }

    /** @return the median 64 B message rate, per second */
    public double messageRate() {
        return Rounds.median(messageRounds);
    }

    /** @return bytes streamed in 64 KiB messages, all rounds together */
    public long streamBytes() {
        return streamRounds.length * config.streamMessages() * PingPongConfig.STREAM_MESSAGE;
    }
}
