package org.scif4j.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.scif4j.Errno;
import org.scif4j.ScifException;

/**
 * The registered address space's rules that every transport shares, at their edges: the RAS is
 * [0, 2^63), automatic offsets are placed top-down below 2^63 - 4096, and unregister takes an
 * exact run of whole windows (scif_register(3), scif_unregister(3)).
 */
class WindowSetTest {
    private static final long PAGE = Pages.PAGE;

    /** A plain window. */
    record W(long offset, long length, boolean unregistered) implements WindowSet.Window {
        W(long offset, long length) {
            this(offset, length, false);
        }
    }

    private final WindowSet<W> set = new WindowSet<>();
    private final Call call = Call.of("unregister", "offset", 0, "length", 0);

    @Test
    void anEmptySpaceGivesItsHighestPagesFirst() {
        assertEquals(Long.MAX_VALUE - PAGE - PAGE + 1, set.highestFree(PAGE), "the last page below 2^63 - 4096");
        assertEquals(0, set.highestFree(Long.MAX_VALUE - PAGE + 1), "the whole space below the limit starts at 0");
        assertEquals(-1, set.highestFree(Long.MAX_VALUE - PAGE + 1 + PAGE), "more than fits");
    }

    @Test
    void automaticOffsetsFillTheHighestGapThatFitsTopDown() {
        long top = set.highestFree(PAGE);
        set.add(new W(top, PAGE));
        assertEquals(top - PAGE, set.highestFree(PAGE), "just below the first");
        set.add(new W(top - 2 * PAGE, PAGE)); // leaves a one-page hole at top - 1 page
        assertEquals(top - PAGE, set.highestFree(PAGE), "a hole that fits is taken, the highest first");
        assertEquals(top - 4 * PAGE, set.highestFree(2 * PAGE), "a hole too small is skipped");
    }

    @Test
    void aWindowMayEndExactlyAtTwoToTheSixtyThree() throws ScifException {
        long start = Long.MAX_VALUE - 2 * PAGE + 1; // [2^63 - 8192, 2^63)
        W w = new W(start, 2 * PAGE);
        set.add(w);
        assertSame(w, set.overlapping(Long.MAX_VALUE - PAGE + 1, PAGE), "its last page overlaps");
        assertNull(set.overlapping(start - PAGE, PAGE), "the page below does not");
        assertEquals(List.of(w), set.wholeRun(start, 2 * PAGE, call), "offset + length overflows, and still matches");
        assertEquals(start - PAGE, set.highestFree(PAGE), "automatic offsets go below it");
    }

    @Test
    void unregisterTakesAnExactRunOfWholeWindows() throws ScifException {
        W a = new W(0, PAGE);
        W b = new W(PAGE, 2 * PAGE);
        W c = new W(4 * PAGE, PAGE); // a gap at 3 pages
        set.add(a);
        set.add(b);
        set.add(c);
        assertEquals(List.of(a, b), set.wholeRun(0, 3 * PAGE, call), "two adjacent windows, whole");
        ScifException cut = assertThrows(ScifException.class, () -> set.wholeRun(0, 2 * PAGE, call));
        assertEquals(Errno.EINVAL, cut.errno(), "a range that cuts a window");
        ScifException gap = assertThrows(ScifException.class, () -> set.wholeRun(0, 5 * PAGE, call));
        assertEquals(Errno.ENXIO, gap.errno(), "a run with a hole is not a run");
        ScifException none = assertThrows(ScifException.class, () -> set.wholeRun(8 * PAGE, PAGE, call));
        assertEquals(Errno.ENXIO, none.errno(), "nothing registered there");
    }

    @Test
    void anUnregisteredWindowStillReservesItsRangeButIsNotUnregisteredTwice() {
        W gone = new W(0, PAGE, true);
        set.add(gone);
        assertSame(gone, set.overlapping(0, PAGE), "its range stays reserved while the peer maps it");
        ScifException e = assertThrows(ScifException.class, () -> set.wholeRun(0, PAGE, call));
        assertEquals(Errno.ENXIO, e.errno());
        set.remove(gone);
        assertNull(set.overlapping(0, PAGE), "removed, the range is free");
    }

    @Test
    void snapshotsFindTheWindowAtOrBelowAnOffsetWithoutLocking() {
        W a = new W(PAGE, PAGE);
        W b = new W(8 * PAGE, PAGE);
        set.add(a);
        set.add(b);
        WindowSet.Snapshot<W> s = set.snapshot();
        assertEquals(-1, s.floor(0), "nothing starts at or below 0");
        assertSame(a, s.at(s.floor(PAGE + 100)));
        assertSame(b, s.at(s.floor(Long.MAX_VALUE)));
        assertNull(s.at(2), "past the end");
        set.remove(a);
        assertSame(a, s.at(s.floor(PAGE)), "an old snapshot is immutable");
        assertSame(b, set.snapshot().at(set.snapshot().floor(PAGE * 9 - 1)));
        assertTrue(set.snapshot().floor(PAGE) == -1, "a new one no longer holds the removed window");
    }
}
