package org.scif4j.bench.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The verdict rule: met or MISSED only when the whole spread is on one side of the target. */
class VerdictTest {
    private static Rounds rounds(double... v) {
        return new Rounds(v);
    }

    @Test
    void atMostTargets() {
        assertEquals(Verdict.MET, Verdict.of(rounds(1.00, 1.10, 1.05, 1.13, 1.08), 1.25, false),
            "1.13 widened by 10 % is 1.243: met");
        assertEquals(Verdict.WITHIN_NOISE, Verdict.of(rounds(1.00, 1.10, 1.05, 1.14, 1.08), 1.25, false),
            "1.14 widened by 10 % is 1.254: the next run might miss it");
        assertEquals(Verdict.MISSED, Verdict.of(rounds(1.40, 1.50, 1.39, 1.60, 1.45), 1.25, false),
            "1.39 narrowed by 10 % is 1.251");
        assertEquals(Verdict.WITHIN_NOISE, Verdict.of(rounds(1.30, 1.40, 1.26, 1.50, 1.35), 1.25, false),
            "the whole spread is above, but not by more than a run moves");
        assertEquals(Verdict.WITHIN_NOISE, Verdict.of(rounds(1.00, 1.05, 1.02, 1.60, 1.04), 1.25, false),
            "a median that meets it is not enough when a round does not");
    }

    @Test
    void atLeastTargets() {
        assertEquals(Verdict.MET, Verdict.of(rounds(1.05, 1.02, 1.01, 1.09, 1.03), 0.9, true));
        assertEquals(Verdict.WITHIN_NOISE, Verdict.of(rounds(0.95, 0.91, 0.90, 0.99, 0.93), 0.9, true),
            "a run at 0.90-0.99 may be followed by one below 0.9");
        assertEquals(Verdict.MISSED, Verdict.of(rounds(0.50, 0.61, 0.55, 0.58, 0.52), 0.75, true));
        assertEquals(Verdict.WITHIN_NOISE, Verdict.of(rounds(0.50, 0.61, 0.55, 0.58, 0.80), 0.75, true));
    }

    @Test
    void fromNineRoundsOneWildRoundOnEachSideNoLongerBlocksAVerdict() {
        Rounds r = rounds(1.0, 1.1, 1.05, 1.02, 1.08, 1.04, 1.06, 0.2, 3.0);
        assertEquals(Verdict.MET, Verdict.of(r, 1.25, false), "2nd to 8th: 1.0-1.1, widened 0.9-1.21");
        assertEquals(Verdict.WITHIN_NOISE, Verdict.of(rounds(1.0, 1.1, 1.05, 1.02, 3.0), 1.25, false),
            "with five rounds the wild one counts");
    }

    @Test
    void noVerdictFromTooFewRoundsOrNone() {
        assertEquals(Verdict.WITHIN_NOISE, Verdict.of(rounds(0.1, 0.1, 0.1, 0.1), 0.9, true),
            "four rounds cannot give a 90 % interval of the median");
        assertEquals(Verdict.NOT_MEASURED, Verdict.of(rounds(), 0.9, true));
        assertEquals(Verdict.NOT_MEASURED, Verdict.of(null, 0.9, true));
    }

    @Test
    void severalSizesCombine() {
        assertEquals(Verdict.MET, Verdict.all(List.of(Verdict.MET, Verdict.MET, Verdict.NOT_MEASURED)));
        assertEquals(Verdict.MISSED, Verdict.all(List.of(Verdict.MET, Verdict.WITHIN_NOISE, Verdict.MISSED)));
        assertEquals(Verdict.WITHIN_NOISE, Verdict.all(List.of(Verdict.MET, Verdict.WITHIN_NOISE)));
        assertEquals(Verdict.NOT_MEASURED, Verdict.all(List.of()));
    }

    @Test
    void aTargetOverSeveralSizesShowsTheWorstAndWhere() {
        Target t = new Target("writeTo from 64 KiB >= 0.9x memcpy", 0.9, true);
        Target.Judgement j = t.judgeAll(List.of(rounds(1.05, 1.06, 1.07, 1.04, 1.05),
            rounds(0.85, 0.86, 0.84, 0.87, 0.92), rounds(1.0, 1.1, 1.0, 1.05, 1.02)),
            List.of("at 64 KiB", "at 1 MiB", "at 64 MiB"));
        assertEquals(Verdict.WITHIN_NOISE, j.verdict(), "1 MiB's spread reaches the target");
        assertEquals("at 1 MiB", j.where());
        assertEquals(0.86, j.shown().median(), 1e-12);
        assertEquals("  writeTo from 64 KiB >= 0.9x memcpy                         0.86x 0.84-0.92 at 1 MiB"
            + " within noise", j.line());
        assertEquals(Verdict.NOT_MEASURED, t.judgeAll(List.of(), List.of()).verdict());
        assertEquals("", t.judge(rounds(1, 1, 1, 1, 1)).where());
    }
}
