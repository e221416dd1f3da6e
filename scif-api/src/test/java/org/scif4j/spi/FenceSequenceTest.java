package org.scif4j.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The 31-bit fence sequence: numbering and "reached" across the wrap from 2^31 - 1 to 0. */
class FenceSequenceTest {
    private static final int LAST = FenceSequence.MASK; // 2^31 - 1

    @Test
    void nextWrapsFromTheLastNumberToZero() {
        assertEquals(1, FenceSequence.next(0));
        assertEquals(LAST, FenceSequence.next(LAST - 1));
        assertEquals(0, FenceSequence.next(LAST), "2^31 - 1 is followed by 0, never by a negative number");
    }

    @Test
    void reachedAcrossTheWrap() {
        assertTrue(FenceSequence.reached(5, 5), "a counter at the number has reached it");
        assertTrue(FenceSequence.reached(6, 5));
        assertFalse(FenceSequence.reached(4, 5));
        assertTrue(FenceSequence.reached(0, LAST), "0 comes after 2^31 - 1");
        assertTrue(FenceSequence.reached(3, LAST - 2), "a few past the wrap");
        assertFalse(FenceSequence.reached(LAST, 0), "2^31 - 1 is before 0 once wrapped");
        assertFalse(FenceSequence.reached(LAST - 2, 3));
    }

    @Test
    void reachedHoldsForAQuarterOfTheSpaceEitherWay() {
        int quarter = 1 << 29;
        for (int base : new int[] {0, 17, LAST - 5, LAST, 1 << 30}) {
            int ahead = (base + quarter) & LAST;
            assertTrue(FenceSequence.reached(ahead, base), "counter " + ahead + " is past " + base);
            assertFalse(FenceSequence.reached(base, ahead), "counter " + base + " is before " + ahead);
        }
    }

    @Test
    void markCarriesThePeerBitApartFromTheNumber() {
        int mark = FenceSequence.peerMark(LAST);
        assertTrue(FenceSequence.isPeerMark(mark));
        assertTrue(mark < 0, "a peer mark has bit 31 set");
        assertEquals(LAST, FenceSequence.sequenceOf(mark));
        assertFalse(FenceSequence.isPeerMark(LAST), "a mark of our own RMAs is the number itself");
        assertEquals(0, FenceSequence.sequenceOf(FenceSequence.peerMark(0)));
        assertTrue(FenceSequence.isPeerMark(FenceSequence.peerMark(0)));
    }
}
