package org.scif4j.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.scif4j.spi.EndpointCounters;
import org.scif4j.spi.NodeCounters;

/**
 * The counters every endpoint bumps on its data path allocate nothing (measured with the JVM's
 * per-thread allocation counter; here, on the class path, where java.management is readable).
 */
class CountersAllocationTest {
    @Test
    void bumpingAllocatesNothing() {
        com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        NodeCounters node = new NodeCounters();
        EndpointCounters c = node.opened();
        bump(c, 200_000); // warm up: JIT-compile the bumps as the data path would
        long id = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(id);
        bump(c, 1_000_000);
        long allocated = threads.getThreadAllocatedBytes(id) - before;
        // a single allocation per bump would be >= 16 MB here; allow the measurement's own few bytes
        assertTrue(allocated < 4096, "a million bumps of every counter allocated " + allocated + " bytes");
        assertEquals(1_200_000, c.snapshot().sends());
    }

    private static void bump(EndpointCounters c, int times) {
        for (int i = 0; i < times; i++) {
            c.sent(8);
            c.received(8);
            c.rma(true, 4096);
            c.rma(false, 4096);
            c.fenceMark();
            c.fenceWait();
            c.fenceSignal();
        }
    }
}
