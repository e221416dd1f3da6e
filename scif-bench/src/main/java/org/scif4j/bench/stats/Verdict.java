package org.scif4j.bench.stats;

import java.util.Collection;

/**
 * Whether one of scif4j's targets is met in a run, judged on a ratio measured in interleaved
 * {@link Rounds}: {@link #MET} when the whole spread (the median's confidence interval) lies on
 * the target's side, {@link #MISSED} when it lies wholly on the other side, and
 * {@link #WITHIN_NOISE} when the target falls inside it or there are too few rounds for one.
 */
public enum Verdict {
    /** The whole spread is on the target's side. */
    MET("met"),
    /** The whole spread is on the wrong side. */
    MISSED("MISSED"),
    /** The target lies inside the spread, or there is no spread: the run cannot tell. */
    WITHIN_NOISE("within noise"),
    /** The run did not measure this ratio. */
    NOT_MEASURED("not measured");

    private final String label;

    Verdict(String label) {
        this.label = label;
    }

    /** @return how the report prints it */
    public String label() {
        return label;
    }

    /**
     * Judges a ratio against a target.
     *
     * @param r       the per-round ratios
     * @param goal    the target ratio
     * @param atLeast true for "ratio &gt;= goal", false for "ratio &lt;= goal"
     * @return the verdict
     */
    public static Verdict of(Rounds r, double goal, boolean atLeast) {
        if (r == null || r.count() == 0) {
            return NOT_MEASURED;
        }
        double low = r.low();
        double high = r.high();
        if (Double.isNaN(low)) {
            return WITHIN_NOISE;
        }
        boolean allGood = atLeast ? low >= goal : high <= goal;
        boolean allBad = atLeast ? high < goal : low > goal;
        return allGood ? MET : allBad ? MISSED : WITHIN_NOISE;
    }

    /**
     * Combines the verdicts of one target at several sizes ("from 64 KiB"): missed if missed at
     * any size, met if met at every size, within noise otherwise.
     *
     * @param each the verdicts of the sizes measured
     * @return the combined verdict; {@link #NOT_MEASURED} when none was measured
     */
    public static Verdict all(Collection<Verdict> each) {
        boolean any = false;
        boolean noise = false;
        for (Verdict v : each) {
            if (v == MISSED) {
                return MISSED;
            }
            if (v != NOT_MEASURED) {
                any = true;
                noise |= v == WITHIN_NOISE;
            }
        }
        return !any ? NOT_MEASURED : noise ? WITHIN_NOISE : MET;
    }
}
