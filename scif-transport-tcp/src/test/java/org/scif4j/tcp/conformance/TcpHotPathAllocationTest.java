package org.scif4j.tcp.conformance;

import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.scif4j.tests.HotPathAllocationTest;
import org.scif4j.tests.TransportFixture;

/**
 * {@link HotPathAllocationTest} on the tcp transport. The calling thread reads the link the
 * answers come on itself while it waits (LinkReader), so its frames must not be new Netty
 * buffers per frame; the peer's event loop serves the RMAs.
 *
 * <p>Netty's leak detector is off meanwhile: at its default level it follows one buffer in 128
 * that Netty's pool hands out (the event loops' socket reads among them) with a recorded stack
 * trace, a debugging aid of Netty's that would count here as allocation per call.
 */
class TcpHotPathAllocationTest extends HotPathAllocationTest {
    private static ResourceLeakDetector.Level leakLevel;

    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture();
    }

    @BeforeAll
    static void leakDetectorOff() {
        leakLevel = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    }

    @AfterAll
    static void leakDetectorBack() {
        ResourceLeakDetector.setLevel(leakLevel);
    }
}
