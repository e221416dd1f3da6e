package org.scif4j.bench.stats;

import java.util.Arrays;
import java.util.Locale;

/**
 * A ratio measured in several interleaved rounds (baseline, subject, baseline, subject, ...):
 * one value per round, summarised by its median and by a spread that a verdict can trust.
 *
 * <p>The spread is the distribution-free confidence interval of the median: the order
 * statistics {@code x(k)} and {@code x(n+1-k)} of the {@code n} per-round values, with the
 * largest {@code k} for which the interval holds the true median with probability at least
 * {@value #CONFIDENCE} whatever the distribution (a sign test: the chance that {@code k} or
 * fewer of {@code n} fair coin flips land one way, twice, is at most {@code 1 - CONFIDENCE}).
 * With 5 to 7 rounds that interval is the whole range, min to max; from 8 rounds the extremes
 * drop out. With fewer than 5 rounds no such interval exists, and no verdict is given.
 *
 * @param values the per-round ratios, in round order (NaN rounds are ignored)
 */
public record Rounds(double[] values) {
    /** The confidence of the interval a verdict needs. */
    public static final double CONFIDENCE = 0.90;

    /** Copies the values, dropping NaN rounds. */
    public Rounds {
        values = Arrays.stream(values).filter(v -> !Double.isNaN(v)).toArray();
    }

    /**
     * @param subject  the subject's figure per round
     * @param baseline the baseline's figure of the same rounds
     * @return subject / baseline, round by round
     */
    public static Rounds ratios(double[] subject, double[] baseline) {
        if (subject.length != baseline.length) {
            throw new IllegalArgumentException(subject.length + " subject rounds but "
                + baseline.length + " baseline rounds");
        }
        double[] r = new double[subject.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = baseline[i] == 0 ? Double.NaN : subject[i] / baseline[i];
        }
        return new Rounds(r);
    }

    /** @return the number of rounds with a value */
    public int count() {
        return values.length;
    }

    /** @return the median of the rounds (the mean of the middle two for an even count), NaN if none */
    public double median() {
        return median(values);
    }

    /**
     * @param v values, in any order
     * @return their median, NaN for none
     */
    public static double median(double[] v) {
        if (v.length == 0) {
            return Double.NaN;
        }
        double[] s = v.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }

    /** @return the lower end of the spread, NaN when there are too few rounds for one */
    public double low() {
        int k = confidenceRank(values.length);
        return k == 0 ? Double.NaN : sorted()[k - 1];
    }

    /** @return the upper end of the spread, NaN when there are too few rounds for one */
    public double high() {
        int k = confidenceRank(values.length);
        return k == 0 ? Double.NaN : sorted()[values.length - k];
    }

    /** @return the smallest round */
    public double min() {
        return values.length == 0 ? Double.NaN : sorted()[0];
    }

    /** @return the largest round */
    public double max() {
        return values.length == 0 ? Double.NaN : sorted()[values.length - 1];
    }

    private double[] sorted() {
        double[] s = values.clone();
        Arrays.sort(s);
        return s;
    }

    /**
     * The rank {@code k} of the interval {@code [x(k), x(n+1-k)]} of the class comment.
     *
     * @param n rounds
     * @return {@code k} (1-based), or 0 when no interval reaches {@value #CONFIDENCE}
     */
    public static int confidenceRank(int n) {
        int best = 0;
        double tail = 0; // P(B <= k-1) for B ~ Binomial(n, 1/2)
        for (int k = 1; k <= n / 2; k++) {
            tail += binomialHalf(n, k - 1);
            if (2 * tail <= 1 - CONFIDENCE) {
                best = k;
            } else {
                break;
            }
        }
        return best;
    }

    /**
     * @param rounds a number of rounds
     * @return what the spread of that many rounds is, in words, for a report
     */
    public static String spreadName(int rounds) {
        int k = confidenceRank(rounds);
        if (k == 0) {
            return "none with fewer than 5 rounds (so no verdict)";
        }
        return (k == 1 ? "lowest-highest round" : "round " + k + " to round " + (rounds + 1 - k) + " of " + rounds
            + " in order") + ", the median's >= 90% confidence interval";
    }

    /** @return P(B = j) for B ~ Binomial(n, 1/2) */
    static double binomialHalf(int n, int j) {
        double p = Math.pow(0.5, n);
        for (int i = 1; i <= j; i++) {
            p = p * (n - j + i) / i;
        }
        return p;
    }

    /**
     * @return e.g. {@code 0.80x 0.75-0.84}: the median and the spread, or the median and
     *         {@code (n rounds)} when there are too few rounds for a spread
     */
    public String format() {
        if (values.length == 0) {
            return "-";
        }
        if (Double.isNaN(low())) {
            return String.format(Locale.ROOT, "%.2fx (%d rnd)", median(), values.length);
        }
        return String.format(Locale.ROOT, "%.2fx %.2f-%.2f", median(), low(), high());
    }
}
