package org.scif4j.shm.internal;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.scif4j.Scif;
import org.scif4j.ScifNode;
import org.scif4j.shm.TestTrees;

/**
 * The fabric file is never unmapped under a running call: the last release waits for every
 * call between {@code tryEnter} and {@code exit}, and a call that comes after it backs out.
 */
class FabricGateTest {
    private final Path root = Path.of("/dev/shm", "scif4j-gate-" + ProcessHandle.current().pid() + "-" + System.nanoTime());

    @AfterEach
    void cleanUp() throws IOException {
        TestTrees.delete(root);
    }

    @Test
    void releaseWaitsForTheCallInsideAndLaterCallsBackOut() throws Exception {
        ScifNode node = Scif.attach("shm:t?node=0&dir=" + root);
        Fabric fabric = ((ShmNode) node).fabric();
        assertTrue(fabric.tryEnter(), "an attached fabric lets a call in");
        Thread closer = new Thread(node::close, "closer");
        closer.start();
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            while (closer.getState() != Thread.State.WAITING) {
                Thread.onSpinWait(); // the release waits for this thread's call to end
            }
        });
        assertTrue(closer.isAlive(), "not released under a running call");
        fabric.file().getInt(0); // the mapping is still there to read
        fabric.exit();
        closer.join(10_000);
        assertFalse(closer.isAlive(), "the last exit let the release finish");
        assertFalse(fabric.tryEnter(), "a call after the release backs out");
    }

    @Test
    void manyCallersAndOneReleaseNeverMeetInTheUnmappedFile() throws Exception {
        ScifNode node = Scif.attach("shm:t?node=0&dir=" + root);
        Fabric fabric = ((ShmNode) node).fabric();
        AtomicBoolean released = new AtomicBoolean();
        AtomicInteger violations = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(8);
        List<Thread> callers = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Thread c = new Thread(() -> {
                started.countDown();
                while (fabric.tryEnter()) {
                    if (released.get()) {
                        violations.incrementAndGet(); // inside a fabric already released
                    }
                    fabric.exit();
                }
            });
            c.start();
            callers.add(c);
        }
        started.await();
        node.close(); // returns once released: unmapped, detached
        released.set(true);
        for (Thread c : callers) {
            c.join(10_000);
            assertFalse(c.isAlive(), "every caller saw the release and backed out");
        }
        assertEquals(0, violations.get(), "no call ran after the release had finished");
    }
}
