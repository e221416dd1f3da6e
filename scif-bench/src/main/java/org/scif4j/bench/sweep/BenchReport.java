package org.scif4j.bench.sweep;

import org.scif4j.bench.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.scif4j.bench.stats.LatencyStats;

/** Prints a {@link BenchResult} for people (tables) and for scripts (JSON). */
public final class BenchReport {
    private static final String[] SHORT = {"wr cpu", "wr dma", "rd cpu", "rd dma", "vwr cpu",
        "vwr dma", "send/recv"};

    private BenchReport() {
    }

    /**
     * @param r   the results
     * @param out where to print
     */
    public static void print(BenchResult r, PrintStream out) {
        BenchConfig c = r.config();
        out.printf(Locale.ROOT, "scif bench: %s; node 0 here, node 1 in a second JVM; %s%n",
            String.join(", ", c.fabrics()), r.pinning());
        out.printf(Locale.ROOT, "each bandwidth point: 1 warm-up + %d measured batches of min(%s, %,d"
            + " transfers) (at least 2 transfers), median; GB/s = 10^9 B/s%n", c.batches(),
            Series.human(c.bytes()), BenchConfig.MAX_OPERATIONS);
        for (String t : r.transports()) {
            bandwidth(r, t, out);
        }
        latency(r, out);
        targets(r, out);
        tcpTargets(r, out);
        for (String note : r.notes()) {
            out.println("note: " + note);
        }
        out.printf(Locale.ROOT, "%ntook %.1f s; files left under /dev/shm: %s%n", r.elapsedNanos() / 1e9,
            r.leftBehind().isEmpty() ? "none" : r.leftBehind());
    }

    private static void bandwidth(BenchResult r, String t, PrintStream out) {
        boolean netty = r.bandwidth().containsKey(Series.NETTY_STREAM);
        boolean aeron = r.bandwidth().containsKey(Series.AERON_STREAM);
        out.printf(Locale.ROOT, "%n%s bandwidth, GB/s, and the ratio to memcpy of the same size"
            + " (dma rows from %s: to the two-thread copy)%n", t, Series.human(Series.TWO_THREAD_FROM));
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%8s %7s %7s", "size",
            "memcpy", "2-thr"));
        for (String s : SHORT) {
            head.append(String.format(Locale.ROOT, " %13s", s));
        }
        head.append(netty ? String.format(Locale.ROOT, " %7s", "netty") : "");
        head.append(aeron ? String.format(Locale.ROOT, " %7s", "aeron") : "");
        out.println(head);
        for (long size : r.config().sizes()) {
            double memcpy = r.gbps(Series.MEMCPY, size);
            double two = r.gbps(Series.TWO_THREAD_COPY, size);
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%8s %7s %7s",
                Series.human(size), gb(memcpy), gb(two)));
            for (String path : Series.PATHS) {
                double v = r.gbps(Series.of(t, path), size);
                double base = path.endsWith("dma") && size >= Series.TWO_THREAD_FROM && !Double.isNaN(two)
                    ? two : memcpy;
                row.append(Double.isNaN(v) ? String.format(Locale.ROOT, " %13s", "-")
                    : String.format(Locale.ROOT, " %7.2f %4.2fx", v, v / base));
            }
            row.append(netty ? String.format(Locale.ROOT, " %7s", gb(r.gbps(Series.NETTY_STREAM, size))) : "");
            row.append(aeron ? String.format(Locale.ROOT, " %7s", gb(r.gbps(Series.AERON_STREAM, size))) : "");
            out.println(row);
        }
    }

    private static String gb(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f", v);
    }

    private static void latency(BenchResult r, PrintStream out) {
        LatencyStats floor = r.latency().get(Series.FLOOR);
        out.printf(Locale.ROOT, "%n%-28s %9s %9s %9s %9s %9s %10s %8s %8s%n", "8 B round trip, ns", "p50",
            "p90", "p99", "p99.9", "max", "count", "p50/flr", "p99/flr");
        for (Map.Entry<String, LatencyStats> e : r.latency().entrySet()) {
            LatencyStats s = e.getValue();
            out.printf(Locale.ROOT, "%-28s %9d %9d %9d %9d %9d %,10d %7.2fx %7.2fx%n", e.getKey(), s.median(),
                s.p90(), s.p99(), s.p999(), s.max(), s.count(), ratio(s.median(), floor.median()),
                ratio(s.p99(), floor.p99()));
        }
        for (Map.Entry<String, Double> e : r.rates().entrySet()) {
            out.printf(Locale.ROOT, "%-28s %9.2f M msg/s%n", e.getKey(), e.getValue() / 1e6);
        }
    }

    /** PERF.md's targets for the shm transport, judged on this run's ratios. */
    private static void targets(BenchResult r, PrintStream out) {
        if (!r.transports().contains("shm")) {
            return;
        }
        out.printf(Locale.ROOT, "%nPERF.md targets (shm, this run):%n");
        LatencyStats shm = r.latency().get(Series.roundTrip("shm"));
        LatencyStats floor = r.latency().get(Series.FLOOR);
        LatencyStats aeron = r.latency().get(Series.AERON_STREAM);
        target(out, "round trip p50 <= 1.3x floor", ratio(shm.median(), floor.median()), 1.3, false);
        target(out, "round trip p99 <= 2x floor", ratio(shm.p99(), floor.p99()), 2.0, false);
        if (aeron != null) {
            target(out, "round trip p50 below Aeron IPC", ratio(shm.median(), aeron.median()), 1.0, false);
        }
        for (String path : List.of("writeTo cpu", "readFrom cpu")) {
            double worst = Double.NaN;
            double at4k = Double.NaN;
            for (long size : r.config().sizes()) {
                double ratio = r.gbps(Series.of("shm", path), size) / r.gbps(Series.MEMCPY, size);
                if (size >= 64 << 10) {
                    worst = Double.isNaN(worst) ? ratio : Math.min(worst, ratio);
                }
                if (size == 4 << 10) {
                    at4k = ratio;
                }
            }
            target(out, path + " >= 64 KiB: >= 0.9x memcpy (worst size)", worst, 0.9, true);
            target(out, path + " 4 KiB: >= 0.5x memcpy", at4k, 0.5, true);
        }
        double worst = Double.NaN;
        for (long size : r.config().sizes()) {
            if (size >= Series.TWO_THREAD_FROM) {
                double ratio = r.gbps(Series.of("shm", "writeTo dma"), size) / r.gbps(Series.TWO_THREAD_COPY, size);
                worst = Double.isNaN(worst) ? ratio : Math.min(worst, ratio);
            }
        }
        target(out, "writeTo dma >= 16 MiB: >= 0.8x two-thread copy", worst, 0.8, true);
        long k64 = 64 << 10;
        target(out, "send/recv 64 KiB: >= 1.5x Aeron IPC copy-out",
            r.gbps(Series.of("shm", "send/recv"), k64) / r.gbps(Series.AERON_STREAM, k64), 1.5, true);
    }

    /**
     * PERF.md's targets for the tcp transport that this run measures: against plain Netty on the
     * same loopback (writeTo's is judged by {@code scif rma --transport tcp}, which has its baseline).
     */
    private static void tcpTargets(BenchResult r, PrintStream out) {
        LatencyStats tcp = r.latency().get(Series.roundTrip("tcp"));
        LatencyStats netty = r.latency().get(Series.NETTY_STREAM);
        if (tcp == null || netty == null) {
            return;
        }
        out.printf(Locale.ROOT, "%nPERF.md targets (tcp, this run):%n");
        target(out, "round trip p50 <= 1.2x plain Netty", ratio(tcp.median(), netty.median()), 1.2, false);
        long k64 = 64 << 10;
        target(out, "send/recv 64 KiB: >= 0.8x plain Netty streaming",
            r.gbps(Series.of("tcp", "send/recv"), k64) / r.gbps(Series.NETTY_STREAM, k64), 0.8, true);
    }

    private static void target(PrintStream out, String what, double ratio, double goal, boolean atLeast) {
        String verdict = Double.isNaN(ratio) ? "not measured"
            : (atLeast ? ratio >= goal : ratio <= goal) ? "met" : "MISSED";
        out.printf(Locale.ROOT, "  %-52s %8s  %s%n", what, Double.isNaN(ratio) ? "-"
            : String.format(Locale.ROOT, "%.2fx", ratio), verdict);
    }

    private static double ratio(long a, long b) {
        return b == 0 ? Double.NaN : (double) a / b;
    }

    /**
     * Writes the results as JSON.
     *
     * @param r    the results
     * @param file where
     * @throws IOException if it cannot be written
     */
    public static void writeJson(BenchResult r, Path file) throws IOException {
        StringBuilder b = new StringBuilder("{\n");
        BenchConfig c = r.config();
        b.append("  \"fabrics\": ").append(strings(c.fabrics())).append(",\n");
        b.append("  \"transports\": ").append(strings(r.transports())).append(",\n");
        b.append("  \"pinning\": ").append(Json.quote(r.pinning())).append(",\n");
        b.append("  \"sizes\": ").append(c.sizes()).append(",\n");
        b.append("  \"bytesPerBatch\": ").append(c.bytes()).append(",\n");
        b.append("  \"measuredBatches\": ").append(c.batches()).append(",\n");
        b.append("  \"roundTrips\": ").append(c.roundTrips()).append(",\n");
        b.append("  \"warmupRoundTrips\": ").append(c.warmupRoundTrips()).append(",\n");
        b.append("  \"gbps\": {");
        String sep = "\n";
        for (Map.Entry<String, Map<Long, Double>> e : r.bandwidth().entrySet()) {
            b.append(sep).append("    ").append(Json.quote(e.getKey())).append(": {");
            String inner = "";
            for (Map.Entry<Long, Double> p : e.getValue().entrySet()) {
                b.append(inner).append('"').append(p.getKey()).append("\": ").append(Json.number(p.getValue()));
                inner = ", ";
            }
            b.append('}');
            sep = ",\n";
        }
        b.append("\n  },\n  \"latencyNanos\": {");
        sep = "\n";
        for (Map.Entry<String, LatencyStats> e : r.latency().entrySet()) {
            LatencyStats s = e.getValue();
            b.append(sep).append("    ").append(Json.quote(e.getKey())).append(String.format(Locale.ROOT,
                ": {\"count\": %d, \"p50\": %d, \"p90\": %d, \"p99\": %d, \"p99.9\": %d, \"max\": %d}",
                s.count(), s.median(), s.p90(), s.p99(), s.p999(), s.max()));
            sep = ",\n";
        }
        b.append("\n  },\n  \"messagesPerSecond\": {");
        sep = "\n";
        for (Map.Entry<String, Double> e : r.rates().entrySet()) {
            b.append(sep).append("    ").append(Json.quote(e.getKey())).append(": ").append(Json.number(e.getValue()));
            sep = ",\n";
        }
        b.append("\n  },\n  \"notes\": ").append(strings(r.notes())).append(",\n");
        b.append("  \"leftBehind\": ").append(strings(r.leftBehind())).append(",\n");
        b.append("  \"seconds\": ").append(Json.number(r.elapsedNanos() / 1e9)).append("\n}\n");
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, b, StandardCharsets.UTF_8);
    }

    private static String strings(List<String> list) {
        StringBuilder b = new StringBuilder("[");
        for (String s : list) {
            b.append(b.length() > 1 ? ", " : "").append(Json.quote(s));
        }
        return b.append(']').toString();
    }
}
