package org.scif4j.natives.interop;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.scif4j.Scif;
import org.scif4j.ScifNode;
import org.scif4j.natives.conformance.NativeFixture;
import org.scif4j.tests.process.StoppedCopier;

/**
 * Copier records between the Java shm transport and libscif (docs/shm-format.md, "Copier
 * records"): libscif's unregister (a {@code native:} node of this JVM) waits for the fast-path
 * copy of a Java shm child stopped inside it, and is not kept waiting by one killed inside it
 * ({@link StoppedCopier}).
 */
class CopierRecordInteropTest {
    private final NativeFixture fixture = new NativeFixture();

    @AfterEach
    void nothingLeft() {
        try {
            fixture.assertNoLeftovers();
        } finally {
            fixture.removeLeftovers();
        }
    }

    @Test
    void libscifsUnregisterWaitsForTheCopyOfAJavaProcessThatSawTheWindow() throws Exception {
        try (ScifNode owner = Scif.attach(fixture.fabricUri(0, ""))) {
            StoppedCopier.unregisterRacingAStoppedCopier(owner, fixture.fabricDir(), fixture.fabricUri(1, ""), false);
        }
    }

    @Test
    void aJavaCopierKilledMidCopyDoesNotKeepLibscifsUnregisterWaiting() throws Exception {
        try (ScifNode owner = Scif.attach(fixture.fabricUri(0, ""))) {
            StoppedCopier.unregisterRacingAStoppedCopier(owner, fixture.fabricDir(), fixture.fabricUri(1, ""), true);
        }
    }
}
