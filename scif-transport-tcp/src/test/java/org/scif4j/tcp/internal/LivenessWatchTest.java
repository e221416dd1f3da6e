package org.scif4j.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The liveness rule on explicit times: a peer is lost once nothing was read from it over
 * {@code liveness} of the time this side could read, so a tick that ran late because this side
 * stood still, or found reading paused here, is no evidence against the peer; and a silent
 * peer is still lost once this side has run and read for {@code liveness}.
 */
class LivenessWatchTest {
    private static final long PERIOD = 500;
    private static final long LIVENESS = 4 * PERIOD;

    private final LivenessWatch watch = new LivenessWatch(LIVENESS, PERIOD);

    @BeforeEach
    void start() {
        watch.start(0);
    }

    @Test
    void aSilentPeerIsLostAtTheFirstTickPastLiveness() {
        long read = 0;
        for (long t = PERIOD; t <= LIVENESS; t += PERIOD) {
            assertFalse(watch.tick(t, read, true), "silent for " + t + " of " + LIVENESS);
        }
        assertTrue(watch.tick(LIVENESS + PERIOD, read, true));
    }

    @Test
    void aTickThisSideRanLateIsNoEvidenceAgainstThePeer() {
        long read = 0;
        assertFalse(watch.tick(PERIOD, read, true));
        // This side stood still for ten liveness periods (a pause, a starved event loop): what
        // the peer sent meanwhile lies unread, and this tick runs before the read that takes it.
        long t = PERIOD + 10 * LIVENESS;
        assertFalse(watch.tick(t, read, true), "the time this side stood still is not the peer's silence");
        assertTrue(watch.blind(), "the frame deadline is told too");
        // Still nothing from the peer once this side runs on time again: lost after liveness
        // of that (the period before the pause and the late tick's own period count too).
        t += PERIOD;
        assertFalse(watch.tick(t, read, true));
        assertFalse(watch.blind());
        t += PERIOD;
        assertFalse(watch.tick(t, read, true));
        t += PERIOD;
        assertTrue(watch.tick(t, read, true), "a silent peer is lost all the same");
    }

    @Test
    void aFirstTickThatRanLateIsNoEvidenceEither() {
        // The link opened (read = 0) and this side stood still before its timer ever ticked.
        assertFalse(watch.tick(PERIOD + 10 * LIVENESS, 0, true));
    }

    @Test
    void aReadEndsWhatThisSideMissedBefore() {
        assertFalse(watch.tick(PERIOD, 0, true));
        long t = PERIOD + 10 * LIVENESS;
        assertFalse(watch.tick(t, 0, true));
        // The peer was heard: the time this side missed before does not carry over.
        long read = t + 1;
        for (t += PERIOD; t <= read + LIVENESS; t += PERIOD) {
            assertFalse(watch.tick(t, read, true));
        }
        assertTrue(watch.tick(t, read, true));
    }

    @Test
    void aTickLessThanAPeriodLateCountsInFull() {
        long read = 0;
        assertFalse(watch.tick(PERIOD, read, true));
        long t = PERIOD + 2 * PERIOD - 1; // jitter, not a stall: all of it counts
        assertFalse(watch.tick(t, read, true));
        assertFalse(watch.blind());
        assertTrue(watch.tick(t + PERIOD + 2, read, true));
    }

    @Test
    void silenceWhileReadingIsPausedHereIsNotCounted() {
        long read = 0;
        long t = PERIOD;
        assertFalse(watch.tick(t, read, true));
        for (int i = 0; i < 20; i++) {
            t += PERIOD;
            assertFalse(watch.tick(t, read, false), "this side did not read at " + t);
            assertTrue(watch.blind());
        }
        // Reading again: the period before the pause counts, and three more.
        for (int i = 0; i < 3; i++) {
            t += PERIOD;
            assertFalse(watch.tick(t, read, true));
        }
        assertTrue(watch.tick(t + PERIOD, read, true), "lost after liveness of reading");
    }
}
