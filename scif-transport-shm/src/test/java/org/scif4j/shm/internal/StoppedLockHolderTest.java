package org.scif4j.shm.internal;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.scif4j.shm.TestTrees;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.scif4j.Endpoint;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifNode;

/**
 * A process stopped (SIGSTOP) while it holds the fabric lock no longer freezes the others'
 * control plane: it had not begun to write, so a waiter pre-empts it, and when it runs again
 * it finds out and redoes its change. The child stops at a named point (right after it takes
 * the lock while attaching); this process's calls must all return while it is still stopped.
 * The time they take is measured by ShmFaultCampaignTest, never asserted here.
 */
class StoppedLockHolderTest {
    private final Path root = Path.of("/dev/shm", "scif4j-stopped-" + ProcessHandle.current().pid() + "-" + System.nanoTime());

    @AfterEach
    void cleanUp() throws IOException {
        TestTrees.delete(root);
    }

    @Test
    void callsOfOtherProcessesGoOnWhileTheLockHolderIsStopped() throws Exception {
        String uri = "shm:s?dir=" + root + "&node=";
        try (ScifNode n = Scif.attach(uri + 0)) {
            Process child = ChildJvm.start(List.of("-Dscif4j.shm.test.stopAt=lock.held"),
                "org.scif4j.shm.ShmChild", "attach", uri + 1);
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                assertEquals("STOPPED lock.held", out.readLine());
                waitUntilStopped((int) child.pid());
                assertTimeoutPreemptively(Duration.ofSeconds(20), () -> controlPlaneCalls(n), "open, bind, listen and close must not wait for the stopped lock holder");
                assertTrue(ProcessIdentity.isStopped((int) child.pid()), "all of it ran while the holder was stopped");
                assertTrue(((ShmNode) n).fabric().controlLock().preemptions() > 0, "the stopped holder's lock was pre-empted");
                resume(child);
                assertEquals("OK 1", out.readLine(), "the pre-empted attach redid its change and succeeded");
            } finally {
                resume(child);
                assertTrue(child.waitFor(60, TimeUnit.SECONDS));
            }
            assertEquals(0, child.exitValue());
            assertArrayEquals(new int[] {0}, n.nodeIds().online(), "the child left cleanly");
            try (Stream<Path> files = Files.list(root.resolve("s"))) {
                assertEquals(List.of("fabric"), files.map(p -> p.getFileName().toString()).toList());
            }
        }
    }

    /**
     * Layout 4: attaching and leaving are logged changes. A child stopped at each step of its
     * registration or departure (its change committed but not applied, half applied, or
     * applied with the lock still held) no longer holds this process's control plane: open,
     * bind and close return while the child is still stopped, since a waiter finishes its
     * change from its log (found by the child's pid: it holds the lock as minus its pid) or
     * pre-empts a hold that has not committed. The child, resumed, goes on and leaves cleanly.
     */
    @ParameterizedTest
    @ValueSource(strings = {"attach.committed", "attach.slot-half-written", "attach.registered",
        "detach.committed", "detach.half-applied", "detach.slot-freed"})
    void aProcessStoppedWhileAttachingOrLeavingHoldsNobody(String point) throws Exception {
        String uri = "shm:s?dir=" + root + "&node=";
        try (ScifNode n = Scif.attach(uri + 0)) {
            Process child = ChildJvm.start(List.of("-Dscif4j.shm.test.stopAt=" + point),
                "org.scif4j.shm.ShmChild", "attach", uri + 1);
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line = out.readLine();
                boolean leaving = point.startsWith("detach.");
                if (leaving) {
                    assertEquals("OK 1", line, "the child attached; it stops while it leaves");
                    line = out.readLine();
                }
                assertEquals("STOPPED " + point, line);
                waitUntilStopped((int) child.pid());
                FabricLock lock = ((ShmNode) n).fabric().controlLock();
                int before = lock.preemptions() + lock.finishes();
                assertTimeoutPreemptively(Duration.ofSeconds(20), () -> controlPlaneCalls(n), "open, bind, listen and close must not wait for the process stopped at " + point);
                assertTrue(ProcessIdentity.isStopped((int) child.pid()), "all of it ran while the child was stopped at " + point);
                assertTrue(lock.preemptions() + lock.finishes() > before,
                    "the stopped holder's change was finished, or its hold pre-empted, by this process");
                resume(child);
                if (!leaving) {
                    assertEquals("OK 1", out.readLine(), "the resumed child's attach succeeded");
                }
            } finally {
                resume(child);
                assertTrue(child.waitFor(60, TimeUnit.SECONDS));
            }
            assertEquals(0, child.exitValue());
            assertArrayEquals(new int[] {0}, n.nodeIds().online(), "the child left cleanly");
            assertEquals(1, ((ShmNode) n).fabric().processes().liveCount(), "the child's process slot is free");
            try (Stream<Path> files = Files.list(root.resolve("s"))) {
                assertEquals(List.of("fabric"), files.map(p -> p.getFileName().toString()).toList());
            }
        }
    }

    /**
     * Layout 5: reaping is logged changes. A process that died holding a connected pair and a
     * memory file is reaped by the next process to attach; that process stops inside its
     * reaping change (committed, or half applied). Another process's attach, open, bind,
     * listen and close return while it is still stopped, since a waiter finishes the reaping
     * change from its log (written into the dead process's log area, its header naming the
     * stopped registrant's pid): the dead process's node, endpoints, connection file and
     * memory file are gone meanwhile. The resumed process finds its change done and attaches.
     */
    @ParameterizedTest
    @ValueSource(strings = {"reap.committed", "reap.half-applied"})
    void aReaperStoppedInsideAReapingChangeHoldsNobody(String point) throws Exception {
        String uri = "shm:s?dir=" + root + "&node=";
        Path fabricDir = root.resolve("s");
        Process dead = ChildJvm.start(List.of(), "org.scif4j.shm.ShmChild", "hold", uri + 2);
        try (BufferedReader out = new BufferedReader(new InputStreamReader(dead.getInputStream(), StandardCharsets.UTF_8))) {
            String line = out.readLine();
            assertTrue(line != null && line.startsWith("READY "), "the child that dies attached and connected: " + line);
        } finally {
            dead.destroyForcibly();
            assertTrue(dead.waitFor(60, TimeUnit.SECONDS));
        }
        Path memory = fabricDir.resolve("mem-" + dead.pid() + "-1"); // what a window of the dead process leaves
        Files.write(memory, new byte[4096]);
        Process reaper = ChildJvm.start(List.of("-Dscif4j.shm.test.stopAt=" + point),
            "org.scif4j.shm.ShmChild", "attach", uri + 1);
        ScifNode[] n = new ScifNode[1];
        try (BufferedReader out = new BufferedReader(new InputStreamReader(reaper.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("STOPPED " + point, out.readLine(), "the attaching child reaps the dead one, and stops inside");
            waitUntilStopped((int) reaper.pid());
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                n[0] = Scif.attach(uri + 0);
                controlPlaneCalls(n[0]);
            }, "attach, open, bind, listen and close must not wait for the reaper stopped at " + point);
            assertTrue(ProcessIdentity.isStopped((int) reaper.pid()), "all of it ran while the reaper was stopped at " + point);
            assertArrayEquals(new int[] {0}, n[0].nodeIds().online(), "the dead process's node is offline");
            assertEquals(1, ((ShmNode) n[0]).fabric().processes().liveCount(), "the dead process's slot is free");
            try (Stream<Path> files = Files.list(fabricDir)) {
                assertEquals(List.of("fabric"), files.map(p -> p.getFileName().toString()).toList(),
                    "the dead process's connection file and memory file were removed");
            }
            resume(reaper);
            assertEquals("OK 1", out.readLine(), "the resumed child found its reaping done and attached");
            assertTrue(reaper.waitFor(60, TimeUnit.SECONDS));
            // The resumed reaper went on from what it read before it stopped only if nobody
            // changed the tables meanwhile: else the dead's process slot, which this process
            // took since, would have been freed under it.
            assertArrayEquals(new int[] {0}, n[0].nodeIds().online(), "this process is still attached");
            assertEquals(1, ((ShmNode) n[0]).fabric().processes().liveCount(), "and holds its process slot");
        } finally {
            resume(reaper);
            assertTrue(reaper.waitFor(60, TimeUnit.SECONDS));
            if (n[0] != null) {
                n[0].close();
            }
        }
        assertEquals(0, reaper.exitValue());
        assertFalse(Files.exists(fabricDir), "the last process removed the fabric");
    }

    @Test
    void aHolderStoppedAfterCommittingIsFinishedByOthers() throws Exception {
        stoppedInsideTheWritingPart("change.committed");
    }

    @Test
    void aHolderStoppedHalfWayThroughApplyingIsFinishedByOthers() throws Exception {
        stoppedInsideTheWritingPart("change.half-applied");
    }

    /**
     * The child stops inside the writing part of its first logged change (its open): the
     * lock word is committed, so nobody pre-empts it; instead this process finishes its
     * change from its log, and its open, bind, listen, connect, accept and close all return
     * while the child is still stopped. The child, resumed, finds its change done and goes on.
     */
    private void stoppedInsideTheWritingPart(String point) throws Exception {
        String uri = "shm:s?dir=" + root + "&node=";
        try (ScifNode n = Scif.attach(uri + 0)) {
            Process child = ChildJvm.start(List.of("-Dscif4j.shm.test.stopAt=" + point),
                "org.scif4j.shm.ShmChild", "open", uri + 1);
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                assertEquals("STOPPED " + point, out.readLine());
                waitUntilStopped((int) child.pid());
                assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                    Endpoint l = n.open();
                    int port = l.bind(0);
                    l.listen(4);
                    Endpoint c = n.open();
                    Endpoint[] accepted = new Endpoint[1];
                    Thread acceptor = new Thread(() -> {
                        try {
                            accepted[0] = l.accept(Scif.ACCEPT_SYNC);
                        } catch (Exception e) {
                            throw new AssertionError(e);
                        }
                    });
                    acceptor.start();
                    c.connect(new PortId(0, port));
                    acceptor.join();
                    assertNotNull(accepted[0], "accepted");
                    accepted[0].close();
                    c.close();
                    l.close();
                }, "open, bind, listen, connect, accept and close must not wait for the stopped lock holder");
                assertTrue(ProcessIdentity.isStopped((int) child.pid()), "all of it ran while the holder was stopped");
                // Progress is what is asserted; which process finished the change (this one's
                // calls or its watchdog, counted by FabricLock.finishes) is not asserted.
                resume(child);
                String line = out.readLine();
                assertTrue(line != null && line.startsWith("OK "), "the resumed child went on: " + line);
            } finally {
                resume(child);
                assertTrue(child.waitFor(60, TimeUnit.SECONDS));
            }
            assertEquals(0, child.exitValue());
            assertArrayEquals(new int[] {0}, n.nodeIds().online(), "the child left cleanly");
        }
    }

    private static void waitUntilStopped(int pid) throws InterruptedException {
        for (int i = 0; i < 10_000 && !ProcessIdentity.isStopped(pid); i++) {
            TimeUnit.MILLISECONDS.sleep(1); // polling the child's state, bounded: no ordering relies on it
        }
        assertTrue(ProcessIdentity.isStopped(pid), "the child stopped itself");
    }

    /** Open, bind, listen and close: control-plane calls that each take the fabric's lock. */
    private static void controlPlaneCalls(ScifNode n) throws Exception {
        Endpoint l = n.open();
        l.bind(2000);
        l.listen(4);
        n.open().close();
        l.close();
    }

    /** Sends SIGCONT to a child this test started (and stopped), by pid. */
    private static void resume(Process child) throws Exception {
        new ProcessBuilder("kill", "-CONT", Long.toString(child.pid())).start().waitFor();
    }
}
