package org.scif4j.bench.pingpong;

import org.scif4j.bench.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.scif4j.bench.stats.LatencyStats;

/** Prints a {@link PingPongResult} for people (text) and for scripts (JSON). */
public final class PingPongReport {
    /** PERF.md's target: p50 at most this many times the floor. */
    static final double TARGET_P50_RATIO = 1.3;
    /** PERF.md's target: p99 at most this many times the floor. */
    static final double TARGET_P99_RATIO = 2.0;
    /** PERF.md: Aeron IPC 64 B messages on the reference machine, M msg/s. */
    static final double AERON_64B_MMSGS = 19.4;
    /** PERF.md: Aeron IPC 64 KiB copy-out on the reference machine, GB/s. */
    static final double AERON_64K_GBPS = 2.7;

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
        out.println();
        out.printf(Locale.ROOT, "%-40s %9s %9s %9s %9s %9s%n", "8 B round trip (ns)", "median",
            "p90", "p99", "p99.9", "max");
        latencyRow(out, "scif send/recv (" + c.waitMode() + ")", r.scifLatency());
        latencyRow(out, "floor: raw shm flag ping-pong", r.floorLatency());
        out.printf(Locale.ROOT, "  (%,d recorded round trips each, after %,d warm-up)%n",
            c.roundTrips(), c.warmupRoundTrips());
        out.println();
        out.printf(Locale.ROOT, "%-40s %9.2f GB/s  (%,d bytes in %.3f s on the receiver)%n",
            "64 KiB streaming, scif send/recv", r.streamGbps(), r.streamBytes(),
            r.streamNanos() / 1e9);
        out.printf(Locale.ROOT, "%-40s %9.2f GB/s%n", "64 KiB copy, direct ByteBuffer",
            r.memcpyGbps());
        out.printf(Locale.ROOT, "%-40s %9.2f M msg/s  (%,d messages)%n",
            "64 B messages, scif send/recv", r.messageRate() / 1e6, c.messages());
        out.println();
        out.println("ratios (same run):");
        out.printf(Locale.ROOT, "  latency p50   scif / floor   %7.2fx   (target <= %.1fx)%n",
            ratio(r.scifLatency().median(), r.floorLatency().median()), TARGET_P50_RATIO);
        out.printf(Locale.ROOT, "  latency p99   scif / floor   %7.2fx   (target <= %.1fx)%n",
            ratio(r.scifLatency().p99(), r.floorLatency().p99()), TARGET_P99_RATIO);
        out.printf(Locale.ROOT, "  64 KiB stream scif / memcpy  %7.2fx   (%.2f GB/s; target >= 1.5x"
            + " Aeron IPC copy-out = %.2f GB/s on PERF.md's machine)%n",
            r.streamGbps() / r.memcpyGbps(), r.streamGbps(), 1.5 * AERON_64K_GBPS);
        out.printf(Locale.ROOT, "  64 B messages scif           %7.2f M msg/s  (target >= Aeron"
            + " IPC, %.1f M msg/s on PERF.md's machine)%n", r.messageRate() / 1e6,
            AERON_64B_MMSGS);
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
        field(b, "warmupRoundTrips", Long.toString(c.warmupRoundTrips())).append(",\n");
        field(b, "scifRoundTripNanos", latency(r.scifLatency())).append(",\n");
        field(b, "floorRoundTripNanos", latency(r.floorLatency())).append(",\n");
        field(b, "stream64KiBGBps", Json.number(r.streamGbps())).append(",\n");
        field(b, "streamBytes", Long.toString(r.streamBytes())).append(",\n");
        field(b, "streamNanos", Long.toString(r.streamNanos())).append(",\n");
        field(b, "memcpy64KiBGBps", Json.number(r.memcpyGbps())).append(",\n");
        field(b, "messages64B", Long.toString(c.messages())).append(",\n");
        field(b, "messageRate64BPerSecond", Json.number(r.messageRate())).append(",\n");
        field(b, "ratioP50ScifToFloor",
            Json.number(ratio(r.scifLatency().median(), r.floorLatency().median()))).append(",\n");
        field(b, "ratioP99ScifToFloor",
            Json.number(ratio(r.scifLatency().p99(), r.floorLatency().p99()))).append(",\n");
        field(b, "ratioStreamToMemcpy", Json.number(r.streamGbps() / r.memcpyGbps())).append(",\n");
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

    private static void latencyRow(PrintStream out, String label, LatencyStats s) {
        out.printf(Locale.ROOT, "  %-38s %9d %9d %9d %9d %9d%n", label, s.median(), s.p90(),
            s.p99(), s.p999(), s.max());
    }

    private static double ratio(long a, long b) {
        return b == 0 ? Double.NaN : (double) a / b;
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
