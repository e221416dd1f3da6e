package org.scif4j.bench.pingpong;

import org.scif4j.bench.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.scif4j.bench.stats.Interleave;
import org.scif4j.bench.stats.LatencyRounds;
import org.scif4j.bench.stats.LatencyStats;
import org.scif4j.bench.stats.Rounds;
import org.scif4j.bench.stats.Target;
import org.scif4j.bench.stats.Verdict;

/** Prints a {@link PingPongResult} for people (text) and for scripts (JSON). */
public final class PingPongReport {
    /** The floor's row. */
    private static final String FLOOR = "floor: raw shm flag ping-pong";
    /** scif4j's target: the round trip's p50 at most this many times the raw floor's. */
    static final Target P50_TARGET = new Target("round trip p50 <= 1.25x the raw floor", 1.25, false);
    /** scif4j's target: the round trip's p99 at most this many times the raw floor's. */
    static final Target P99_TARGET = new Target("round trip p99 <= 1.5x the raw floor", 1.5, false);

    private PingPongReport() {
    }

    /**
     * @param r   the results
     * @param out where to print
     */
    public static void print(PingPongResult r, PrintStream out) {
        PingPongConfig c = r.config();
        out.println("scif pingpong: fabric " + c.fabricUri(0) + " and node 1 in a second JVM, "
            + r.pinning());
        out.printf(Locale.ROOT, "every figure and its baseline: %s, each round the baseline then the figure;"
            + " a figure is the median of its rounds, a ratio the median of the per-round ratios, then its"
            + " spread: %s%n%n", Interleave.describe(c.rounds()), Rounds.spreadName(c.rounds()));
        out.printf(Locale.ROOT, "%-40s %9s %9s %9s %9s %9s%n", "8 B round trip (ns)", "median",
            "p90", "p99", "p99.9", "max");
        latencyRow(out, "scif send/recv (" + c.waitMode() + ")", r.scifLatency());
        latencyRow(out, FLOOR, r.floorLatency());
        out.printf(Locale.ROOT, "  (%,d recorded round trips per round each, after %,d warm-up)%n",
            c.roundTripsPerRound(), c.warmupRoundTrips());
        String placement = LatencyRounds.placementNote(FLOOR, r.floorRounds());
        if (placement != null) {
            out.println("  " + placement);
        }
        out.println();
        out.printf(Locale.ROOT, "%-40s %9.2f GB/s  (%,d bytes per round, on the receiver)%n",
            "64 KiB streaming, scif send/recv", r.streamGbps(), c.streamMessages() * PingPongConfig.STREAM_MESSAGE);
        out.printf(Locale.ROOT, "%-40s %9.2f GB/s  (as many bytes, between page-aligned /dev/shm mappings)%n",
            "64 KiB memcpy", r.memcpyGbps());
        Rounds rates = new Rounds(r.messageRounds());
        out.printf(Locale.ROOT, "%-40s %9.2f M msg/s  (rounds %.2f to %.2f; %,d messages per round)%n",
            "64 B messages, scif send/recv", r.messageRate() / 1e6, rates.min() / 1e6, rates.max() / 1e6,
            c.messagesPerRound());
        out.println();
        out.println("ratios of the same rounds (median, spread), and scif4j's targets (" + Verdict.RULE + "):");
        out.println(P50_TARGET.judge(r.p50Ratio()).line());
        out.println(P99_TARGET.judge(r.p99Ratio()).line());
        out.printf(Locale.ROOT, "  %-58s %s%n", "64 KiB streaming / memcpy (no target; scif bench judges"
            + " streaming against Aeron IPC)", r.streamRatio().format());
        out.printf(Locale.ROOT, "  %-58s%n",
            "64 B messages: no target here; scif bench judges their rate against Aeron IPC's");
        out.printf(Locale.ROOT, "  heap allocated by node 0 per operation: %.2f B per round trip,"
            + " %.2f B per 64 KiB, %.2f B per 64 B message (goal: 0)%n", r.allocation()[0],
            r.allocation()[1], r.allocation()[2]);
        if (!r.leftBehind().isEmpty()) {
            out.println();
            out.println("WARNING: left behind under /dev/shm: "
                + String.join(", ", r.leftBehind()));
        }
    }

    /**
     * Writes the results as one JSON object.
     *
     * @param r    the results
     * @param file where
     * @throws IOException when it cannot be written
     */
    public static void writeJson(PingPongResult r, Path file) throws IOException {
        Files.writeString(file, toJson(r), StandardCharsets.UTF_8);
    }

    static String toJson(PingPongResult r) {
        PingPongConfig c = r.config();
        StringBuilder b = new StringBuilder(1024).append("{\n");
        field(b, "fabric", Json.quote(c.fabricUri(0))).append(",\n");
        field(b, "wait", Json.quote(c.waitMode())).append(",\n");
        field(b, "ring", Integer.toString(c.ring())).append(",\n");
        field(b, "pinning", Json.quote(r.pinning())).append(",\n");
        field(b, "rounds", Integer.toString(c.rounds())).append(",\n");
        field(b, "warmupRoundTrips", Long.toString(c.warmupRoundTrips())).append(",\n");
        field(b, "scifRoundTripNanos", latency(r.scifLatency())).append(",\n");
        field(b, "floorRoundTripNanos", latency(r.floorLatency())).append(",\n");
        field(b, "stream64KiBGBps", Json.number(r.streamGbps())).append(",\n");
        field(b, "streamBytes", Long.toString(r.streamBytes())).append(",\n");
        field(b, "memcpy64KiBGBps", Json.number(r.memcpyGbps())).append(",\n");
        field(b, "messages64B", Long.toString(c.messagesPerRound() * c.rounds())).append(",\n");
        field(b, "messageRate64BPerSecond", Json.number(r.messageRate())).append(",\n");
        field(b, "ratioP50ScifToFloor", ratio(r.p50Ratio(), P50_TARGET)).append(",\n");
        field(b, "ratioP99ScifToFloor", ratio(r.p99Ratio(), P99_TARGET)).append(",\n");
        field(b, "ratioStreamToMemcpy", ratio(r.streamRatio(), null)).append(",\n");
        field(b, "allocatedBytesPerOperation", "{\"roundTrip\": " + Json.number(r.allocation()[0])
            + ", \"message64KiB\": " + Json.number(r.allocation()[1]) + ", \"message64B\": "
            + Json.number(r.allocation()[2]) + "}").append(",\n");
        StringBuilder left = new StringBuilder("[");
        for (String f : r.leftBehind()) {
            left.append(left.length() > 1 ? ", " : "").append(Json.quote(f));
        }
        field(b, "leftBehind", left.append(']').toString()).append('\n');
        return b.append("}\n").toString();
    }

    private static String ratio(Rounds r, Target t) {
        StringBuilder b = new StringBuilder("{\"median\": ").append(Json.number(r.median()))
            .append(", \"low\": ").append(Json.number(r.low())).append(", \"high\": ").append(Json.number(r.high()));
        if (t != null) {
            b.append(", \"verdict\": ").append(Json.quote(t.judge(r).verdict().label()));
        }
        return b.append('}').toString();
    }

    private static void latencyRow(PrintStream out, String label, LatencyStats s) {
        out.printf(Locale.ROOT, "  %-38s %9d %9d %9d %9d %9d%n", label, s.median(), s.p90(),
            s.p99(), s.p999(), s.max());
    }

    private static StringBuilder field(StringBuilder b, String name, String value) {
        return b.append("  ").append(Json.quote(name)).append(": ").append(value);
    }

    private static String latency(LatencyStats s) {
        return String.format(Locale.ROOT, "{\"count\": %d, \"p50\": %d, \"p90\": %d, \"p99\": %d,"
            + " \"p99.9\": %d, \"max\": %d}", s.count(), s.median(), s.p90(), s.p99(), s.p999(),
            s.max());
    }
}
