package org.scif4j.bench.sweep;

import java.util.ArrayList;
import java.util.List;
import org.scif4j.bench.stats.Rounds;
import org.scif4j.bench.stats.Target;

/** scif4j's performance targets that {@code scif bench} judges, on one run's ratios. */
final class BenchTargets {
    private static final long K4 = 4 << 10;
    private static final long K16 = 16 << 10;
    private static final long K64 = 64 << 10;

    private BenchTargets() {
    }

    /**
     * @param r the run
     * @return the shm targets, judged (empty when shm was not measured)
     */
    static List<Target.Judgement> shm(BenchResult r) {
        List<Target.Judgement> out = new ArrayList<>();
        if (!r.transports().contains("shm")) {
            return out;
        }
        String rtt = Series.roundTrip("shm");
        BenchResult.LatencyRatio floor = r.latencyRatio(rtt, Series.FLOOR);
        BenchResult.LatencyRatio aeron = r.latencyRatio(rtt, Series.AERON_STREAM);
        out.add(new Target("round trip p50 <= 1.25x the raw floor", 1.25, false).judge(floor == null ? null : floor.p50()));
        out.add(new Target("round trip p50 <= Aeron IPC's p50", 1.0, false).judge(aeron == null ? null : aeron.p50()));
        out.add(new Target("round trip p99 <= 1.5x the raw floor", 1.5, false).judge(floor == null ? null : floor.p99()));
        BenchResult.LatencyRatio mapped = r.latencyRatio(Series.mappedRoundTrip("shm"), Series.FLOOR);
        out.add(new Target("mmap'ed windows round trip p50 <= 1.1x the raw floor", 1.1, false)
            .judge(mapped == null ? null : mapped.p50()));
        for (String path : List.of("writeTo cpu", "readFrom cpu")) {
            out.add(from(r, "shm " + path + " from 64 KiB >= 0.9x memcpy", "shm " + path, K64, Long.MAX_VALUE, 0.9));
            out.add(from(r, "shm " + path + " 16 KiB >= 0.75x memcpy", "shm " + path, K16, K16, 0.75));
            out.add(from(r, "shm " + path + " 4 KiB >= 0.5x memcpy", "shm " + path, K4, K4, 0.5));
        }
        out.add(from(r, "shm writeTo dma + fence 64 KiB >= 0.8x memcpy", "shm writeTo dma", K64, K64, 0.8));
        out.add(from(r, "shm writeTo dma from 16 MiB >= 0.8x two-thread copy", "shm writeTo dma",
            Series.TWO_THREAD_FROM, Long.MAX_VALUE, 0.8));
        BenchResult.Ratio stream = r.ratio(Series.of("shm", "send/recv"), K64);
        out.add(new Target("shm send/recv 64 KiB >= 1.5x Aeron IPC copy-out", 1.5, true)
            .judge(stream != null && stream.vs().equals(Series.AERON_STREAM) ? stream.rounds() : null));
        BenchResult.Ratio messages = r.rateRatio(Series.messages(Series.of("shm", "send/recv")));
        out.add(new Target("shm 64 B messages >= Aeron IPC's rate", 1.0, true)
            .judge(messages == null ? null : messages.rounds()));
        return out;
    }

    /**
     * @param r the run
     * @return the tcp targets this run judges (empty when tcp or its Netty baseline was not
     *         measured); writeTo/readFrom against Netty are judged by {@code scif rma --transport tcp}
     */
    static List<Target.Judgement> tcp(BenchResult r) {
        List<Target.Judgement> out = new ArrayList<>();
        BenchResult.LatencyRatio netty = r.latencyRatio(Series.roundTrip("tcp"), Series.NETTY_STREAM);
        if (netty == null) {
            return out;
        }
        out.add(new Target("tcp round trip p50 <= 1.2x plain Netty", 1.2, false).judge(netty.p50()));
        out.add(from(r, "tcp send/recv from 64 KiB >= 0.8x plain Netty streaming", Series.of("tcp", "send/recv"),
            K64, Long.MAX_VALUE, 0.8));
        return out;
    }

    /**
     * @param r the run
     * @return the native targets, against the shm transport of the same rounds (empty when
     *         native was not measured)
     */
    static List<Target.Judgement> nativeTargets(BenchResult r) {
        List<Target.Judgement> out = new ArrayList<>();
        BenchResult.LatencyRatio shm = r.latencyRatio(Series.roundTrip("native"),
            Series.roundTrip(Series.NATIVE_BASELINE));
        if (shm == null) {
            return out;
        }
        out.add(new Target("native round trip p50 <= 1.3x shm", 1.3, false).judge(shm.p50()));
        for (String path : List.of("writeTo cpu", "readFrom cpu")) {
            out.add(from(r, "native " + path + " from 64 KiB >= 0.9x shm", Series.of("native", path),
                K64, Long.MAX_VALUE, 0.9));
        }
        return out;
    }

    /**
     * @param r the run
     * @return every target this run judges
     */
    static List<Target.Judgement> all(BenchResult r) {
        List<Target.Judgement> out = new ArrayList<>(shm(r));
        out.addAll(tcp(r));
        out.addAll(nativeTargets(r));
        return out;
    }

    /** A "ratio >= goal at every size from {@code lo} to {@code hi}" target. */
    private static Target.Judgement from(BenchResult r, String what, String series, long lo, long hi, double goal) {
        List<Rounds> ratios = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (long size : r.config().sizes()) {
            BenchResult.Ratio ratio = r.ratio(series, size);
            if (size >= lo && size <= hi && ratio != null) {
                ratios.add(ratio.rounds());
                labels.add("at " + Series.human(size));
            }
        }
        return new Target(what, goal, true).judgeAll(ratios, labels);
    }
}
