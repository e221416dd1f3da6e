package org.scif4j.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.scif4j.spi.WindowSet;

/**
 * The window-range walk behind every RMA range check and copy on tcp: pieces split exactly at
 * window edges, a gap (before, between or after windows, or at a negative offset) ends the
 * walk where it starts, and the top of the registered address space does not overflow.
 */
class WindowWalkTest {
    private static final long PAGE = 4096;
    private final WindowSet<PeerWindow> set = new WindowSet<>();
    private final WindowWalk<PeerWindow> walk = new WindowWalk<>();
    private final PeerWindow a = add(PAGE, 2 * PAGE);          // [4096, 12288)
    private final PeerWindow b = add(3 * PAGE, PAGE);          // adjacent to a: [12288, 16384)
    private final PeerWindow c = add(6 * PAGE, PAGE);          // after a gap: [24576, 28672)
    private final PeerWindow top = add(Long.MAX_VALUE - PAGE + 1, PAGE); // the last page of [0, 2^63)

    private PeerWindow add(long offset, long length) {
        PeerWindow w = new PeerWindow(offset, length, 3);
        set.add(w);
        return w;
    }

    private void start(long offset, long length) {
        walk.start(set.snapshot(), offset, length);
    }

    private void assertPiece(PeerWindow w, long position, long length, long inWindow) {
        assertTrue(walk.next(), "a piece at " + position);
        assertSame(w, walk.window());
        assertEquals(position, walk.position());
        assertEquals(length, walk.length());
        assertEquals(inWindow, walk.offsetInWindow());
    }

    private void assertGap(long position) {
        assertTrue(walk.next(), "a gap at " + position);
        assertNull(walk.window());
        assertEquals(position, walk.position());
        assertFalse(walk.next(), "a gap ends the walk");
    }

    @Test
    void exactlyOneWindowIsOnePiece() {
        start(PAGE, 2 * PAGE);
        assertPiece(a, PAGE, 2 * PAGE, 0);
        assertFalse(walk.next());
    }

    @Test
    void aRangeAcrossAdjacentWindowsSplitsAtTheirEdge() {
        start(PAGE + 100, 2 * PAGE);
        assertPiece(a, PAGE + 100, 2 * PAGE - 100, 100);
        assertPiece(b, 3 * PAGE, 100, 0);
        assertFalse(walk.next());
    }

    @Test
    void theLastByteOfAWindowIsCoveredAndTheNextIsNot() {
        start(4 * PAGE - 1, 1);
        assertPiece(b, 4 * PAGE - 1, 1, PAGE - 1);
        assertFalse(walk.next());
        start(4 * PAGE - 1, 2);
        assertPiece(b, 4 * PAGE - 1, 1, PAGE - 1);
        assertGap(4 * PAGE);
    }

    @Test
    void aGapBetweenWindowsEndsTheWalkWhereItStarts() {
        start(3 * PAGE, 4 * PAGE);
        assertPiece(b, 3 * PAGE, PAGE, 0);
        assertGap(4 * PAGE);
    }

    @Test
    void aRangeBeforeTheFirstWindowOrInsideAGapIsAGapAtOnce() {
        start(0, 2 * PAGE);
        assertGap(0);
        start(5 * PAGE, 8);
        assertGap(5 * PAGE);
    }

    @Test
    void aNegativeOffsetIsAGap() {
        start(-PAGE, 2 * PAGE);
        assertGap(-PAGE);
    }

    @Test
    void theTopOfTheAddressSpaceDoesNotOverflow() {
        long lastEight = Long.MAX_VALUE - 7;
        start(lastEight, 8);
        assertPiece(top, lastEight, 8, PAGE - 8);
        assertFalse(walk.next());
        start(top.offset, PAGE);
        assertPiece(top, top.offset, PAGE, 0);
        assertFalse(walk.next());
    }

    @Test
    void anEmptyRangeHasNoPiece() {
        start(PAGE, 0);
        assertFalse(walk.next());
    }

    @Test
    void aWalkStartsAfreshEachTime() {
        start(5 * PAGE, 8);
        assertGap(5 * PAGE);
        start(6 * PAGE, PAGE);
        assertPiece(c, 6 * PAGE, PAGE, 0);
        assertFalse(walk.next());
    }
}
