package org.scif4j.shm.internal;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.scif4j.Scif;
import org.scif4j.ScifNode;
import org.scif4j.shm.TestTrees;

/**
 * An idle node's watchdog allocates nothing: five times a second for the node's whole life it
 * refreshes the heartbeat and looks at every other process of the fabric in /proc. Measured
 * with the JVM's allocation counter of the watchdog thread over {@value #PASSES} passes, with
 * one other live process in the fabric (a child JVM). Before, each look read
 * /proc/PID/stat through a stream into a String and split it: 13 KB a pass. Of a few rounds
 * one must stay under the bound, as in the hot-path allocation test (a deoptimisation now and
 * then allocates once); an allocation per pass shows in every round.
 */
class WatchdogAllocationTest {
    private static final String FABRIC = "watchdog-alloc";
    /** Passes before the rounds: the first allocate a few hundred bytes while the JIT compiles them. */
    private static final int WARM_UP = 10;
    private static final int PASSES = 10;
    /** Bytes a round of passes may allocate: 100 B a pass, against 13 KB a pass before. */
    private static final long BOUND = 1024;
    private static final int ROUNDS = 5;

    private final Path root = Path.of("/dev/shm", "scif4j-watchdog-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @AfterEach
    void cleanUp() throws IOException {
        TestTrees.delete(root);
    }

    @Test
    void aWatchdogPassOverAnotherLiveProcessAllocatesNothing() throws Exception {
        String uri = "shm:" + FABRIC + "?dir=" + root + "&node=";
        try (ScifNode n = Scif.attach(uri + 0)) {
            Fabric fabric = ((ShmNode) n).fabric();
            Process child = ChildJvm.start(List.of(), "org.scif4j.shm.ShmChild", "hold", uri + 1);
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                assertTrue(out.readLine().startsWith("READY"), "the child attached");
                assertEquals(2, fabric.processes().liveCount());
                long watchdog = watchdogThread().getId();
                long heartbeat = FabricDescriptor.process(fabric.processSlot()) + FabricDescriptor.P_HEARTBEAT_MILLIS;
                awaitPasses(fabric.file(), heartbeat, WARM_UP);
                StringBuilder rounds = new StringBuilder();
                for (int round = 0; round < ROUNDS; round++) {
                    long before = threads.getThreadAllocatedBytes(watchdog);
                    awaitPasses(fabric.file(), heartbeat, PASSES);
                    long bytes = threads.getThreadAllocatedBytes(watchdog) - before;
                    assertFalse(fabric.processes().anyDead(fabric.processSlot()), "the child is still seen alive");
                    if (bytes < BOUND) {
                        System.out.println("watchdog: " + bytes + " bytes in " + PASSES + " passes, round " + (round + 1));
                        return;
                    }
                    rounds.append("\n  ").append(bytes).append(" bytes (").append(bytes / PASSES).append(" per pass)");
                }
                fail("every round of " + PASSES + " watchdog passes allocated " + BOUND + " bytes or more:" + rounds);
            } finally {
                child.getOutputStream().close(); // the child leaves at the end of its input
                assertTrue(child.waitFor(60, TimeUnit.SECONDS));
            }
        }
    }

    private Thread watchdogThread() {
        String name = "scif4j-watchdog-" + FABRIC;
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name)).findFirst()
            .orElseThrow(() -> new AssertionError("no thread " + name));
    }

    /** Waits (bounded) until the watchdog has refreshed the heartbeat at {@code offset} {@code passes} times. */
    private static void awaitPasses(SharedFile file, long offset, int passes) {
        for (int pass = 0; pass < passes; pass++) {
            long seen = file.getLong(offset);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (file.getLong(offset) == seen) {
                assertTrue(System.nanoTime() < deadline, "the watchdog refreshed the heartbeat within 30 s");
                LockSupport.parkNanos(1_000_000); // polling shared memory, bounded: no ordering relies on it
            }
        }
    }
}
