package org.scif4j.bench.sweep;

import org.scif4j.bench.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.scif4j.bench.stats.Interleave;
import org.scif4j.bench.stats.LatencyRounds;
import org.scif4j.bench.stats.LatencyStats;
import org.scif4j.bench.stats.Rounds;
import org.scif4j.bench.stats.Target;
import org.scif4j.bench.stats.Verdict;

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
        out.printf(Locale.ROOT, "every figure and its baseline: %s, each round the baseline then the figure;"
            + " bandwidth batches of min(%s, %,d transfers), at least 2 and at least %.0f ms (the same bytes for"
            + " both);%nGB/s = 10^9 B/s, the median of the rounds; a ratio is the median of the per-round ratios,"
            + " then its spread: %s%n", Interleave.describe(c.rounds()), Series.human(c.bytes()),
            BenchConfig.MAX_OPERATIONS, BenchConfig.MIN_BATCH_NANOS / 1e6, Rounds.spreadName(c.rounds()));
        if (!r.rateRatios().isEmpty()) {
            out.printf(Locale.ROOT, "%s messages: %,d per round for shm send/recv and for Aeron IPC alike, messages per"
                + " second on the receiver%n", Series.human(Series.MESSAGE), c.perRound(c.messages()));
        }
        for (String t : r.transports()) {
            bandwidth(r, t, out);
            if (t.equals("native")) {
                bandwidth(r, Series.NATIVE_BASELINE, out);
            }
            ratios(r, t, out);
        }
        latency(r, out);
        List<Target.Judgement> targets = BenchTargets.all(r);
        if (!targets.isEmpty()) {
            out.printf(Locale.ROOT, "%nscif4j's targets, this run (%s):%n", Verdict.RULE);
            for (Target.Judgement j : targets) {
                out.println(j.line());
            }
        }
        for (String note : r.notes()) {
            out.println("note: " + note);
        }
        out.printf(Locale.ROOT, "%ntook %.1f s; files left under /dev/shm: %s%n", r.elapsedNanos() / 1e9,
            r.leftBehind().isEmpty() ? "none" : r.leftBehind());
    }

    private static void bandwidth(BenchResult r, String t, PrintStream out) {
        String peer = t.equals("shm") ? Series.AERON_STREAM : Series.NETTY_STREAM;
        boolean hasPeer = r.bandwidth().containsKey(peer);
        out.printf(Locale.ROOT, "%n%s bandwidth, GB/s (median of the rounds)%n", t);
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%8s %7s %7s", "size", "memcpy", "2-thr"));
        for (String s : SHORT) {
            head.append(String.format(Locale.ROOT, " %9s", s));
        }
        head.append(hasPeer ? String.format(Locale.ROOT, " %9s", t.equals("shm") ? "aeron" : "netty") : "");
        out.println(head);
        for (long size : r.config().sizes()) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%8s %7s %7s", Series.human(size),
                gb(r.gbps(Series.MEMCPY, size)), gb(r.gbps(Series.TWO_THREAD_COPY, size))));
            for (String path : Series.PATHS) {
                row.append(String.format(Locale.ROOT, " %9s", gb(r.gbps(Series.of(t, path), size))));
            }
            row.append(hasPeer ? String.format(Locale.ROOT, " %9s", gb(r.gbps(peer, size))) : "");
            out.println(row);
        }
    }

    /** Each path's ratio to the baseline it was interleaved with: median, then the spread. */
    private static void ratios(BenchResult r, String t, PrintStream out) {
        if (t.equals("native")) {
            out.printf(Locale.ROOT, "%nnative ratios to the same path of the Java shm transport (%s), same rounds%n",
                Series.NATIVE_BASELINE);
        } else {
            out.printf(Locale.ROOT, "%n%s ratios to the baseline of the same rounds: memcpy (dma from %s: the"
                + " two-thread copy); send/recv: %s%n", t, Series.human(Series.TWO_THREAD_FROM), t.equals("shm")
                ? "Aeron IPC copy-out up to " + Series.human(org.scif4j.bench.baseline.AeronIpc.MAX_MESSAGE)
                    + " (memcpy above, or without Aeron)" : "plain Netty streaming (memcpy without it)");
        }
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%8s", "size"));
        for (String s : SHORT) {
            head.append(String.format(Locale.ROOT, " %16s", s));
        }
        out.println(head);
        for (long size : r.config().sizes()) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%8s", Series.human(size)));
            for (String path : Series.PATHS) {
                BenchResult.Ratio ratio = r.ratio(Series.of(t, path), size);
                row.append(String.format(Locale.ROOT, " %16s", ratio == null ? "-" : ratio.rounds().format()));
            }
            out.println(row);
        }
    }

    private static String gb(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f", v);
    }

    private static void latency(BenchResult r, PrintStream out) {
        out.printf(Locale.ROOT, "%n%-28s %9s %9s %9s %9s %9s %10s%n", "8 B round trip, ns", "p50",
            "p90", "p99", "p99.9", "max", "count");
        for (Map.Entry<String, LatencyStats> e : r.latency().entrySet()) {
            LatencyStats s = e.getValue();
            out.printf(Locale.ROOT, "%-28s %9d %9d %9d %9d %9d %,10d%n", e.getKey(), s.median(),
                s.p90(), s.p99(), s.p999(), s.max(), s.count());
        }
        out.printf(Locale.ROOT, "(each percentile: the median of the %d rounds; count: all rounds)%n",
            r.config().rounds());
        for (Map.Entry<String, List<LatencyStats>> e : r.latencyRounds().entrySet()) {
            String note = Series.isFloor(e.getKey()) ? LatencyRounds.placementNote(e.getKey(), e.getValue()) : null;
            if (note != null) {
                out.println(note);
            }
        }
        if (!r.latencyRatios().isEmpty()) {
            out.printf(Locale.ROOT, "%-50s %22s %22s%n", "round trip ratios, same rounds", "p50", "p99");
            for (BenchResult.LatencyRatio lr : r.latencyRatios()) {
                out.printf(Locale.ROOT, "  %-48s %22s %22s%n", lr.row() + " / " + lr.vs(), lr.p50().format(),
                    lr.p99().format());
            }
        }
        messageRates(r, out);
    }

    /** Message rates (median of the rounds), then each subject's ratio to the rate of the same rounds. */
    private static void messageRates(BenchResult r, PrintStream out) {
        if (r.rates().isEmpty()) {
            return;
        }
        out.printf(Locale.ROOT, "%n%-28s %9s (on the receiver, the median of the rounds)%n",
            Series.human(Series.MESSAGE) + " messages", "M msg/s");
        for (Map.Entry<String, Double> e : r.rates().entrySet()) {
            out.printf(Locale.ROOT, "%-28s %9.2f%n", e.getKey(), e.getValue() / 1e6);
        }
        if (!r.rateRatios().isEmpty()) {
            out.printf(Locale.ROOT, "%-50s %22s%n", "message rate ratios, same rounds", "msg/s");
            for (Map.Entry<String, BenchResult.Ratio> e : r.rateRatios().entrySet()) {
                out.printf(Locale.ROOT, "  %-48s %22s%n", e.getKey() + " / " + e.getValue().vs(),
                    e.getValue().rounds().format());
            }
        }
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
        b.append("  \"rounds\": ").append(c.rounds()).append(",\n");
        b.append("  \"roundTrips\": ").append(c.roundTrips()).append(",\n");
        b.append("  \"warmupRoundTrips\": ").append(c.warmupRoundTrips()).append(",\n");
        b.append("  \"messages\": ").append(c.messages()).append(",\n");
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
        b.append("\n  },\n  \"ratios\": {");
        sep = "\n";
        for (Map.Entry<String, Map<Long, BenchResult.Ratio>> e : r.ratios().entrySet()) {
            b.append(sep).append("    ").append(Json.quote(e.getKey())).append(": {");
            String inner = "";
            for (Map.Entry<Long, BenchResult.Ratio> p : e.getValue().entrySet()) {
                b.append(inner).append('"').append(p.getKey()).append("\": ")
                    .append(ratioJson(p.getValue().vs(), p.getValue().rounds()));
                inner = ", ";
            }
            b.append('}');
            sep = ",\n";
        }
        b.append("\n  },\n  \"latencyRatios\": [");
        sep = "\n";
        for (BenchResult.LatencyRatio lr : r.latencyRatios()) {
            b.append(sep).append("    {\"row\": ").append(Json.quote(lr.row())).append(", \"p50\": ")
                .append(ratioJson(lr.vs(), lr.p50())).append(", \"p99\": ").append(ratioJson(lr.vs(), lr.p99()))
                .append('}');
            sep = ",\n";
        }
        b.append("\n  ],\n  \"targets\": [");
        sep = "\n";
        List<Target.Judgement> targets = BenchTargets.all(r);
        for (Target.Judgement j : targets) {
            b.append(sep).append("    {\"target\": ").append(Json.quote(j.target().what())).append(", \"verdict\": ")
                .append(Json.quote(j.verdict().label())).append(", \"median\": ")
                .append(Json.number(j.shown() == null ? Double.NaN : j.shown().median())).append('}');
            sep = ",\n";
        }
        b.append("\n  ],\n  \"latencyNanos\": {");
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
        b.append("\n  },\n  \"messageRateRatios\": {");
        sep = "\n";
        for (Map.Entry<String, BenchResult.Ratio> e : r.rateRatios().entrySet()) {
            b.append(sep).append("    ").append(Json.quote(e.getKey())).append(": ")
                .append(ratioJson(e.getValue().vs(), e.getValue().rounds()));
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

    private static String ratioJson(String vs, Rounds r) {
        StringBuilder b = new StringBuilder("{\"vs\": ").append(Json.quote(vs)).append(", \"median\": ")
            .append(Json.number(r.median())).append(", \"low\": ").append(Json.number(r.low()))
            .append(", \"high\": ").append(Json.number(r.high())).append(", \"rounds\": [");
        for (int i = 0; i < r.values().length; i++) {
            b.append(i == 0 ? "" : ", ").append(Json.number(r.values()[i]));
        }
        return b.append("]}").toString();
    }

    private static String strings(List<String> list) {
        StringBuilder b = new StringBuilder("[");
        for (String s : list) {
            b.append(b.length() > 1 ? ", " : "").append(Json.quote(s));
        }
        return b.append(']').toString();
    }
}
