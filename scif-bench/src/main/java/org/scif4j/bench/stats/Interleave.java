package org.scif4j.bench.stats;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a baseline and the subjects it judges in turn, round after round (baseline, subject,
 * baseline, subject, ...), so that every ratio is taken between figures of the same moments of
 * a noisy machine: the ratio of one round is {@code subject / baseline} of that round.
 */
public final class Interleave {
    /**
     * One timed piece of work of a round.
     *
     * @param <T> its figure, e.g. GB/s or latency percentiles
     */
    @FunctionalInterface
    public interface Trial<T> {
        /**
         * @return the figure of this run
         * @throws IOException when the work fails
         */
        T run() throws IOException;
    }

    private Interleave() {
    }

    /**
     * Runs every trial once as a warm-up (not recorded), then {@code rounds} rounds of every
     * trial in the given order.
     *
     * @param rounds rounds, at least 1
     * @param trials the trials, baseline first
     * @param <T>    their figure
     * @return per trial (in the given order), its figures in round order
     * @throws IOException when a trial fails
     */
    public static <T> List<List<T>> run(int rounds, List<? extends Trial<T>> trials) throws IOException {
        if (rounds < 1) {
            throw new IllegalArgumentException("rounds must be at least 1, not " + rounds);
        }
        List<List<T>> out = new ArrayList<>();
        for (Trial<T> t : trials) {
            t.run();
            out.add(new ArrayList<>(rounds));
        }
        for (int r = 0; r < rounds; r++) {
            for (int t = 0; t < trials.size(); t++) {
                out.get(t).add(trials.get(t).run());
            }
        }
        return out;
    }

    /**
     * @param figures figures of one trial, in round order
     * @return them as an array
     */
    public static double[] doubles(List<Double> figures) {
        double[] d = new double[figures.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = figures.get(i);
        }
        return d;
    }
}
