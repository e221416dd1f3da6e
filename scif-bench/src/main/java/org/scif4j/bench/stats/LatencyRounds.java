package org.scif4j.bench.stats;

import java.util.List;
import java.util.function.ToLongFunction;

/** Latency percentiles measured in interleaved rounds: per-round figures and their medians. */
public final class LatencyRounds {
    private LatencyRounds() {
    }

    /**
     * @param rounds one {@link LatencyStats} per round
     * @return each percentile's median over the rounds; the count is the total
     */
    public static LatencyStats median(List<LatencyStats> rounds) {
        long count = 0;
        for (LatencyStats s : rounds) {
            count += s.count();
        }
        return new LatencyStats(count, median(rounds, LatencyStats::median), median(rounds, LatencyStats::p90),
            median(rounds, LatencyStats::p99), median(rounds, LatencyStats::p999),
            median(rounds, LatencyStats::max));
    }

    /**
     * @param subject  the subject's rounds
     * @param baseline the baseline's rounds, the same number
     * @param which    the percentile, e.g. {@code LatencyStats::p99}
     * @return subject / baseline of that percentile, round by round
     */
    public static Rounds ratios(List<LatencyStats> subject, List<LatencyStats> baseline,
                                ToLongFunction<LatencyStats> which) {
        return Rounds.ratios(figures(subject, which), figures(baseline, which));
    }

    private static double[] figures(List<LatencyStats> rounds, ToLongFunction<LatencyStats> which) {
        double[] d = new double[rounds.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = which.applyAsLong(rounds.get(i));
        }
        return d;
    }

    private static long median(List<LatencyStats> rounds, ToLongFunction<LatencyStats> which) {
        return Math.round(Rounds.median(figures(rounds, which)));
    }
}
