package org.scif4j.tests.shm;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.scif4j.Scif;
import org.scif4j.ScifNode;
import org.scif4j.tests.process.StoppedCopier;

/**
 * Copier records between two Java shm processes (docs/shm-format.md, "Copier records"): an
 * unregister racing the fast-path copy of a child stopped inside it waits for that copy, and a
 * child killed inside it does not keep the unregister waiting ({@link StoppedCopier}).
 */
@Tag("slow")
class ShmCopierRecordTest {
    private final ShmFixture fixture = new ShmFixture();

    @AfterEach
    void nothingLeft() {
        try {
            fixture.assertNoLeftovers();
        } finally {
            fixture.removeLeftovers();
        }
    }

    @Test
    void anUnregisterWaitsForTheCopyOfAnotherProcessThatSawTheWindow() throws Exception {
        try (ScifNode owner = Scif.attach(fixture.fabricUri(0, ""))) {
            StoppedCopier.unregisterRacingAStoppedCopier(owner, fixture.fabricDir(), fixture.fabricUri(1, ""), false);
        }
    }

    @Test
    void aCopierKilledMidCopyDoesNotKeepTheUnregisterWaiting() throws Exception {
        try (ScifNode owner = Scif.attach(fixture.fabricUri(0, ""))) {
            StoppedCopier.unregisterRacingAStoppedCopier(owner, fixture.fabricDir(), fixture.fabricUri(1, ""), true);
        }
    }
}
