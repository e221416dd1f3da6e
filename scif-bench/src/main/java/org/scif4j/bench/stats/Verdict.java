package org.scif4j.bench.stats;

import java.util.Collection;

/**
 * Whether one of scif4j's targets is met in a run, judged on a ratio measured in interleaved
 * {@link Rounds}: {@link #MET} when the whole spread (the median's confidence interval, widened
 * by {@link #RUN_TO_RUN} on each side) lies on the target's side, {@link #MISSED} when it lies
 * wholly on the other side, and {@link #WITHIN_NOISE} when the target falls inside it or there
 * are too few rounds for one.
 *
 * <p>Why widen: rounds of one run share that run's state of the machine (where the hypervisor
 * put the two vCPUs, where the DMA engine's threads landed), so the spread of the rounds
 * understates how far the next run's median may lie. Over seven default {@code scif bench}
 * runs on a 2-vCPU VM the round trip's p50 over the floor had medians from 1.07x to 1.33x, and
 * without the widening, or with 5 %, two runs in a row disagreed on up to three verdicts.
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

    /** How far (relative) the spread is widened on each side before judging: 10 %. */
    public static final double RUN_TO_RUN = 0.10;
    /** The rule in words, for the reports. */
    public static final String RULE = "met / MISSED only when the whole spread, widened by 10% each way for"
        + " what moves between runs, is on one side of the target; within noise otherwise";

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
        double low = r.low() * (1 - RUN_TO_RUN);
        double high = r.high() * (1 + RUN_TO_RUN);
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
