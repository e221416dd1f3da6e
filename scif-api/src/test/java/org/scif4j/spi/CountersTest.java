package org.scif4j.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.scif4j.EndpointMetrics;
import org.scif4j.NodeMetrics;

/**
 * {@link EndpointCounters} and {@link NodeCounters}: counts add up exactly, concurrent RMA
 * bumps lose nothing, a closed endpoint's counts stay in the node's totals exactly once, and a
 * peer loss counts once per endpoint.
 */
class CountersTest {
    @Test
    void endpointCountsWhatItWasTold() {
        NodeCounters node = new NodeCounters();
        EndpointCounters c = node.opened();
        c.sent(100);
        c.sent(28);
        c.sent(0); // a non-blocking send that moved nothing
        c.received(7);
        c.rmaWrite(4096);
        c.rmaWrite(8192);
        c.rmaRead(64);
        c.fenceMark();
        c.fenceWait();
        c.fenceSignal();
        c.fenceSignal();
        assertEquals(new EndpointMetrics(128, 7, 2, 1, 2, 12288, 1, 64, 1, 1, 2), c.snapshot());
    }

    @Test
    void nodeTotalsKeepClosedEndpointsOnce() {
        NodeCounters node = new NodeCounters();
        EndpointCounters a = node.opened();
        EndpointCounters b = node.opened();
        a.accepted();
        a.sent(10);
        b.received(10);
        a.connected();
        a.closed();
        a.closed(); // idempotent
        NodeMetrics m = node.snapshot();
        assertEquals(2, m.endpointsOpened());
        assertEquals(1, m.endpointsOpen());
        assertEquals(1, m.connects());
        assertEquals(1, m.accepts());
        assertEquals(new EndpointMetrics(10, 10, 1, 1, 0, 0, 0, 0, 0, 0, 0), m.totals());
        b.closed();
        assertEquals(0, node.snapshot().endpointsOpen());
        assertEquals(m.totals(), node.snapshot().totals(), "totals never go down when endpoints close");
    }

    @Test
    void peerLossCountsOncePerEndpointAndNotAfterClose() {
        NodeCounters node = new NodeCounters();
        EndpointCounters a = node.opened();
        EndpointCounters b = node.opened();
        a.peerLost();
        a.peerLost();
        b.closed();
        b.peerLost(); // a closed endpoint learns nothing more
        a.connectRefused();
        assertEquals(1, node.snapshot().peersLost());
        assertEquals(1, node.snapshot().connectsRefused());
    }

    @Test
    void concurrentRmaBumpsLoseNothing() throws InterruptedException {
        NodeCounters node = new NodeCounters();
        EndpointCounters c = node.opened();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread th = new Thread(() -> {
                for (int i = 0; i < 100_000; i++) {
                    c.rmaWrite(3);
                    c.fenceWait();
                }
            });
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
        EndpointMetrics m = c.snapshot();
        assertEquals(400_000, m.rmaWrites());
        assertEquals(1_200_000, m.rmaWriteBytes());
        assertEquals(400_000, m.fenceWaits());
    }

    @Test
    void countsOfThreadsThatEndedAreKept() throws InterruptedException {
        EndpointCounters c = new NodeCounters().opened();
        for (int t = 0; t < 50; t++) { // each new thread's first bump folds the ended ones' cells
            Thread th = new Thread(() -> {
                for (int i = 0; i < 1_000; i++) {
                    c.rmaRead(5);
                    c.fenceMark();
                }
            });
            th.start();
            th.join();
            assertEquals((t + 1) * 1_000L, c.snapshot().rmaReads());
        }
        c.rmaRead(1); // this thread's own cell, beside the folded ones
        EndpointMetrics m = c.snapshot();
        assertEquals(50_001, m.rmaReads());
        assertEquals(250_001, m.rmaReadBytes());
        assertEquals(50_000, m.fenceMarks());
    }
}
