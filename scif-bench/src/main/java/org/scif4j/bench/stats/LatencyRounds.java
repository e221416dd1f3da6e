package org.scif4j.bench.stats;

import java.util.List;
import java.util.Locale;
import java.util.function.ToLongFunction;

/** Latency percentiles measured in interleaved rounds: per-round figures and their medians. */
public final class LatencyRounds {
    /**
     * A floor whose p50 differs by this factor or more between rounds of one run ran on two
     * placements of the cpus: on the 2-vCPU VM this project is measured on the floor is 70-80,
     * 130-140 or 480-510 ns by where the hypervisor runs the two vCPUs, and a run can see that
     * change.
     */
    public static final double PLACEMENT_CHANGE = 1.5;

    private LatencyRounds() {
    }

    /**
     * Says when a floor's rounds show that the machine moved the two cpus during the run, so
     * that a reader does not take the wide spread (or verdicts that differ from another run's)
     * for the code's.
     *
     * @param row    the floor's name, as printed
     * @param rounds its per-round figures
     * @return a one-line note, or null when its p50 held within {@link #PLACEMENT_CHANGE}
     */
    public static String placementNote(String row, List<LatencyStats> rounds) {
        Rounds p50s = new Rounds(figures(rounds, LatencyStats::median));
        double low = p50s.min();
        double high = p50s.max();
        if (rounds.isEmpty() || low <= 0 || high < PLACEMENT_CHANGE * low) {
            return null;
        }
        return String.format(Locale.ROOT, "note: %s: p50 %.0f to %.0f ns from round to round: the two cpus were"
            + " placed differently during the run (a VM's hypervisor may move them);"
            + " each ratio is taken within its round, but the two placements give different ratios", row, low, high);
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
