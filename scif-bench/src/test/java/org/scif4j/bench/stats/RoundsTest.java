package org.scif4j.bench.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The statistics of interleaved rounds: medians, the spread and the ranks behind it. */
class RoundsTest {
    private static final double EPS = 1e-12;

    @Test
    void medianOfOddAndEvenCountsAndOfNone() {
        assertEquals(3.0, Rounds.median(new double[] {5, 1, 3}), EPS);
        assertEquals(2.5, Rounds.median(new double[] {4, 1, 3, 2}), EPS);
        assertEquals(7.0, Rounds.median(new double[] {7}), EPS);
        assertTrue(Double.isNaN(Rounds.median(new double[0])));
    }

    @Test
    void theMedianIsNotMovedByOneWildRound() {
        Rounds r = new Rounds(new double[] {1.10, 1.12, 9.0, 1.08, 1.11});
        assertEquals(1.11, r.median(), EPS);
        assertEquals(1.08, r.min(), EPS);
        assertEquals(9.0, r.max(), EPS);
    }

    @Test
    void ratiosAreTakenRoundByRound() {
        Rounds r = Rounds.ratios(new double[] {2, 9, 3}, new double[] {1, 3, 3});
        assertEquals(List.of(2.0, 3.0, 1.0), List.of(r.values()[0], r.values()[1], r.values()[2]));
        assertEquals(2.0, r.median(), EPS);
        assertThrows(IllegalArgumentException.class, () -> Rounds.ratios(new double[2], new double[3]));
    }

    @Test
    void aRoundWithoutABaselineIsDropped() {
        Rounds r = Rounds.ratios(new double[] {2, 5, 4}, new double[] {1, 0, 2});
        assertEquals(2, r.count());
        assertEquals(2.0, r.median(), EPS);
    }

    @Test
    void confidenceRanksFollowTheSignTest() {
        // P(Binomial(n, 1/2) < k) twice must stay within 10 %
        assertEquals(0, Rounds.confidenceRank(1));
        assertEquals(0, Rounds.confidenceRank(4), "2 x 1/16 = 12.5 %: no interval");
        assertEquals(1, Rounds.confidenceRank(5), "2 x 1/32 = 6.25 %: min-max");
        assertEquals(1, Rounds.confidenceRank(7), "2 x 8/128 = 12.5 % for k=2");
        assertEquals(2, Rounds.confidenceRank(8), "2 x 9/256 = 7 % for k=2");
        assertEquals(2, Rounds.confidenceRank(9), "2 x 10/512 = 3.9 % for k=2, 2 x 46/512 = 18 % for k=3");
        assertEquals(4, Rounds.confidenceRank(15), "2 x 576/32768 = 3.5 % for k=4, 2 x 1941/32768 = 11.8 % for k=5");
    }

    @Test
    void theSpreadIsTheWholeRangeForFiveRoundsAndDropsExtremesFromNine() {
        Rounds five = new Rounds(new double[] {0.9, 0.7, 0.8, 1.0, 0.85});
        assertEquals(0.7, five.low(), EPS);
        assertEquals(1.0, five.high(), EPS);
        assertEquals("0.85x 0.70-1.00", five.format());
        Rounds nine = new Rounds(new double[] {5, 1, 2, 3, 4, 6, 7, 8, 100});
        assertEquals(2.0, nine.low(), EPS);
        assertEquals(8.0, nine.high(), EPS);
    }

    @Test
    void tooFewRoundsHaveNoSpread() {
        Rounds r = new Rounds(new double[] {1.0, 1.2, 1.1});
        assertTrue(Double.isNaN(r.low()) && Double.isNaN(r.high()));
        assertEquals("1.10x (3 rnd)", r.format());
        assertEquals("-", new Rounds(new double[0]).format());
    }

    @Test
    void theReportNamesTheSpreadItShows() {
        assertEquals("none with fewer than 5 rounds (so no verdict)", Rounds.spreadName(4));
        assertTrue(Rounds.spreadName(5).startsWith("lowest-highest round"), Rounds.spreadName(5));
        assertTrue(Rounds.spreadName(9).startsWith("round 2 to round 8 of 9"), Rounds.spreadName(9));
    }

    @Test
    void binomialProbabilitiesSumToOne() {
        double sum = 0;
        for (int j = 0; j <= 12; j++) {
            sum += Rounds.binomialHalf(12, j);
        }
        assertEquals(1.0, sum, 1e-12);
        assertEquals(924.0 / 4096, Rounds.binomialHalf(12, 6), 1e-15);
    }
}
