package org.scif4j.tcp.conformance;

import io.netty.channel.epoll.Epoll;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.scif4j.tests.HotPathAllocationTest;
import org.scif4j.tests.TransportFixture;

/**
 * {@link HotPathAllocationTest} on the tcp transport with Netty's native epoll (io=epoll): the
 * event loop reads every link and the senders write the socket through its file descriptor,
 * so neither may make a buffer per frame. Skipped only where Netty's epoll does not load (not
 * Linux, or no native jar for the platform), as io=epoll itself then fails; the leak detector
 * is off meanwhile, as in {@link TcpHotPathAllocationTest}.
 *
 * <p>A longer bound against hangs than the suite's 90 s: on epoll a caller waiting for an answer
 * sleeps while the event loop reads it, so each {@code RMA_SYNC} call costs thread wake-ups on
 * both sides, and the synchronous check's 40,000 and more calls took 57 s on CI's quiet 2-vCPU
 * machine and more than 90 s once while other builds shared it.
 */
@Timeout(value = 300, unit = java.util.concurrent.TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TcpEpollHotPathAllocationTest extends HotPathAllocationTest {
    private static ResourceLeakDetector.Level leakLevel;

    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture("epoll");
    }

    @BeforeAll
    static void epollAndLeakDetectorOff() {
        Assumptions.assumeTrue(Epoll.isAvailable(), () -> "Netty's native epoll does not load here ("
            + Epoll.unavailabilityCause() + "): io=epoll cannot run");
        leakLevel = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    }

    @AfterAll
    static void leakDetectorBack() {
        if (leakLevel != null) {
            ResourceLeakDetector.setLevel(leakLevel);
        }
    }
}
