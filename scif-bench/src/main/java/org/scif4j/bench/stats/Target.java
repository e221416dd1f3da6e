package org.scif4j.bench.stats;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One of scif4j's performance targets: a ratio to a baseline measured in the same run, at most
 * or at least {@code goal}.
 *
 * @param what    what it says, e.g. "round trip p50 <= 1.25x the raw floor"
 * @param goal    the ratio
 * @param atLeast true for "ratio &gt;= goal", false for "ratio &lt;= goal"
 */
public record Target(String what, double goal, boolean atLeast) {
    /**
     * A target judged on a run.
     *
     * @param target  the target
     * @param shown   the ratio shown: the only one, or the worst of several sizes (null if none)
     * @param where   which of several the shown one is (e.g. "at 256 KiB"), or ""
     * @param verdict the verdict
     */
    public record Judgement(Target target, Rounds shown, String where, Verdict verdict) {
        /** @return one line of the report */
        public String line() {
            return String.format(Locale.ROOT, "  %-58s %-22s %s", target.what(),
                shown == null ? "-" : shown.format() + (where.isEmpty() ? "" : " " + where), verdict.label());
        }
    }

    /**
     * @param ratio the ratio's rounds, or null when not measured
     * @return the judgement
     */
    public Judgement judge(Rounds ratio) {
        return new Judgement(this, ratio, "", Verdict.of(ratio, goal, atLeast));
    }

    /**
     * Judges a target that holds at several sizes ("from 64 KiB"): missed if missed at any,
     * met if met at every one, within noise otherwise; shows the worst median.
     *
     * @param ratios the ratios, one per size (nulls are not measured)
     * @param labels their labels, e.g. "at 64 KiB", in the same order
     * @return the judgement
     */
    public Judgement judgeAll(List<Rounds> ratios, List<String> labels) {
        List<Verdict> each = new ArrayList<>();
        Rounds worst = null;
        String where = "";
        for (int i = 0; i < ratios.size(); i++) {
            Rounds r = ratios.get(i);
            each.add(Verdict.of(r, goal, atLeast));
            if (r != null && r.count() > 0 && (worst == null
                    || (atLeast ? r.median() < worst.median() : r.median() > worst.median()))) {
                worst = r;
                where = labels.get(i);
            }
        }
        return new Judgement(this, worst, ratios.size() > 1 && worst != null ? where : "", Verdict.all(each));
    }
}
