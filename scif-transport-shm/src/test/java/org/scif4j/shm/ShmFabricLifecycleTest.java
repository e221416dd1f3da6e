package org.scif4j.shm;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;

/** The shm fabric's life on disk: creation, removal, crash recovery, refusal of foreign state. */
class ShmFabricLifecycleTest {
    private final String name = "life" + ProcessHandle.current().pid() + "x" + System.nanoTime();
    private final Path dir = Path.of(ShmOptions.DEFAULT_DIR, name);

    @AfterEach
    void noLeftovers() throws Exception {
        if (Files.exists(dir)) {
            try (Stream<Path> files = Files.list(dir)) {
                List<Path> left = files.toList();
                for (Path p : left) {
                    Files.delete(p);
                }
                Files.delete(dir);
                fail("fabric directory left behind: " + left);
            }
        }
    }

    @Test
    void lastProcessToLeaveRemovesTheFabric() throws Exception {
        ScifNode a = Scif.attach("shm:" + name + "?node=0");
        ScifNode b = Scif.attach("shm:" + name + "?node=1");
        assertTrue(Files.exists(dir.resolve("fabric")));
        a.close();
        assertTrue(Files.exists(dir.resolve("fabric")), "node 1 is still attached");
        b.close();
        assertFalse(Files.exists(dir), "nothing of the fabric may remain");
    }

    /**
     * A thread whose interrupt status is set creates a new fabric and attaches to it (its file
     * work does not fail under the status, which an interrupted FileChannel would), and keeps
     * the status; the fabric goes with the last node as usual.
     */
    @Test
    void attachWithTheInterruptStatusSetCreatesTheFabricAndKeepsTheStatus() throws Exception {
        Thread.currentThread().interrupt();
        ScifNode a;
        try {
            a = Scif.attach("shm:" + name + "?node=0");
        } finally {
            assertTrue(Thread.interrupted(), "attach keeps the interrupt status (cleared here)");
        }
        assertTrue(Files.exists(dir.resolve("fabric")));
        assertEquals(0, a.nodeIds().self());
        a.close();
        assertFalse(Files.exists(dir), "the last node removed the fabric");
    }

    @Test
    void fabricLeftByAKilledProcessIsReclaimedOnTheNextAttach() throws Exception {
        try (ShmChild child = ShmChild.start(true, List.of(), "hold", "shm:" + name + "?node=3")) {
            assertTrue(child.readLine().startsWith("READY"));
            try (Stream<Path> files = Files.list(dir)) {
                assertTrue(files.anyMatch(p -> p.getFileName().toString().startsWith("conn-")),
                    "the child's connection file exists while it lives");
            }
            child.kill9();
        }
        try (ScifNode n = Scif.attach("shm:" + name + "?node=0")) {
            assertArrayEquals(new int[] {0}, n.nodeIds().online(), "the dead process's node is gone");
            try (Stream<Path> files = Files.list(dir)) {
                assertEquals(List.of("fabric"), files.map(p -> p.getFileName().toString()).toList(),
                    "the dead process's connection files are reclaimed at attach");
            }
            assertEquals(1089, n.open().bind(1089), "the dead process's ports are free");
        }
        assertFalse(Files.exists(dir));
    }

    @Test
    void aFabricWhoseLastProcessWasKilledIsReclaimedWhenAnotherFabricIsAttached() throws Exception {
        // A root of its own: under the shared default root, any other JVM attaching a fabric
        // (another test run, a benchmark) would reclaim the abandoned fabric before we look.
        Path root = Path.of("/dev/shm", "scif4j-reclaim-" + name);
        String at = "&dir=" + root;
        String other = name + "-other";
        Path otherDir = root.resolve(other);
        Path ownDir = root.resolve(name);
        try {
            try (ShmChild child = ShmChild.start(true, List.of(), "hold", "shm:" + other + "?node=1" + at)) {
                assertTrue(child.readLine().startsWith("READY"));
                child.kill9();
            }
            assertTrue(Files.exists(otherDir.resolve("fabric")), "a kill -9 of the last process leaves the files");
            try (ScifNode n = Scif.attach("shm:" + name + "?node=0" + at)) {
                assertFalse(Files.exists(otherDir), "attaching any fabric under the same root reclaims the abandoned one");
                assertTrue(Files.exists(ownDir.resolve("fabric")), "and leaves its own alone");
            }
            assertFalse(Files.exists(ownDir));
        } finally {
            Files.deleteIfExists(root); // empty unless a check above failed
        }
    }

    @Test
    void cleanRemovesAFabricWhoseEveryProcessDiedAndNeverTouchesALiveOne() throws Exception {
        // A root of its own: under the shared default root, any other JVM attaching a fabric
        // would reclaim the dead fabrics here first (and be seen attached while doing so).
        Path root = Path.of("/dev/shm", "scif4j-clean-" + name);
        String at = "&dir=" + root;
        Path liveDir = root.resolve(name);
        String dead = name + "-dead";
        Path deadDir = root.resolve(dead);
        try {
            // The live fabric first: attaching the second would reclaim an abandoned first.
            try (ShmChild live = ShmChild.start(true, List.of(), "hold", "shm:" + name + "?node=1" + at)) {
                assertTrue(live.readLine().startsWith("READY"));
                try (ShmChild victim = ShmChild.start(true, List.of(), "hold", "shm:" + dead + "?node=2" + at)) {
                    assertTrue(victim.readLine().startsWith("READY"));
                    victim.kill9();
                }
                assertTrue(Files.exists(deadDir.resolve("fabric")), "a kill -9 of the last process leaves the files");

                List<ShmFabrics.Cleaned> done = ShmFabrics.clean(root, List.of(name, dead, name + "-missing"));

                assertEquals(new ShmFabrics.Cleaned(name, ShmFabrics.Outcome.LIVE, "pid " + live.pid()), done.get(0));
                assertEquals(new ShmFabrics.Cleaned(dead, ShmFabrics.Outcome.REMOVED, ""), done.get(1));
                assertEquals(ShmFabrics.Outcome.MISSING, done.get(2).outcome());
                assertFalse(Files.exists(deadDir), "the abandoned fabric's files and directory are gone");
                assertTrue(Files.exists(liveDir.resolve("fabric")), "the live one is untouched");
            } // kills the live child too
            assertEquals(List.of(new ShmFabrics.Cleaned(name, ShmFabrics.Outcome.REMOVED, "")),
                ShmFabrics.clean(root, List.of(name)), "once its process is dead, it goes too");
            assertFalse(Files.exists(liveDir));
        } finally {
            Files.deleteIfExists(root); // empty unless a check above failed
        }
    }

    /**
     * An abandoned fabric that cannot be reclaimed (a foreign file in its directory makes
     * every attach fail with EINVAL) is reported FAILED by {@link ShmFabrics#clean}, with the
     * attach's reason, and left as it is; once the foreign file is gone it is removed.
     */
    @Test
    void cleanReportsAnAbandonedFabricItCannotReclaimAsFailedWithTheReason() throws Exception {
        Path root = Path.of("/dev/shm", "scif4j-failed-" + name);
        Path deadDir = root.resolve(name);
        try {
            try (ShmChild child = ShmChild.start(true, List.of(), "hold", "shm:" + name + "?node=1&dir=" + root)) {
                assertTrue(child.readLine().startsWith("READY"));
                child.kill9();
            }
            Path foreign = deadDir.resolve("notes.txt");
            Files.writeString(foreign, "not a scif4j file");

            List<ShmFabrics.Cleaned> done = ShmFabrics.clean(root, List.of(name));

            assertEquals(1, done.size());
            assertEquals(ShmFabrics.Outcome.FAILED, done.get(0).outcome(), done.get(0).toString());
            assertTrue(done.get(0).detail().startsWith("reclaiming it failed: ")
                && done.get(0).detail().contains("notes.txt"), "the reason names the foreign file: " + done.get(0).detail());
            assertTrue(Files.exists(deadDir.resolve("fabric")), "a fabric that failed to be reclaimed is left as it is");
            assertTrue(Files.exists(foreign), "and so is the foreign file");
            Files.delete(foreign);
            assertEquals(List.of(new ShmFabrics.Cleaned(name, ShmFabrics.Outcome.REMOVED, "")),
                ShmFabrics.clean(root, List.of(name)), "without the foreign file it goes");
            assertFalse(Files.exists(deadDir));
        } finally {
            TestTrees.delete(root); // empty unless a check above failed
        }
    }

    @Test
    void peerKilledWhileAttachedIsNoticedByTheWatchdog() throws Exception {
        try (ScifNode n = Scif.attach("shm:" + name + "?node=0");
             ShmChild child = ShmChild.start(true, List.of(), "hold", "shm:" + name + "?node=2")) {
            assertTrue(child.readLine().startsWith("READY"));
            assertArrayEquals(new int[] {0, 2}, n.nodeIds().online());
            child.kill9();
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                while (n.nodeIds().online().length != 1) {
                    Thread.onSpinWait();
                }
                // Its nodes go offline in the first of its reaping changes (layout 5), its
                // connection file with a later one, or with the same one applied a moment later.
                while (!fileNames().equals(List.of("fabric"))) {
                    Thread.onSpinWait();
                }
            }, "the dead process's node and files are reclaimed by the watchdog");
        }
        assertFalse(Files.exists(dir));
    }

    private List<String> fileNames() throws java.io.IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void corruptFabricFileIsRefusedAndLeftUntouched() throws Exception {
        Files.createDirectories(dir);
        byte[] junk = "this is not a fabric".getBytes();
        Files.write(dir.resolve("fabric"), junk);
        ScifException e = assertThrows(ScifException.class, () -> Scif.attach("shm:" + name + "?node=0"));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("not a valid scif4j fabric"), e.getMessage());
        assertArrayEquals(junk, Files.readAllBytes(dir.resolve("fabric")), "a foreign file is never written");
        Files.delete(dir.resolve("fabric"));
        Files.delete(dir);
    }

    @Test
    void foreignFileInTheFabricDirectoryIsRefused() throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("notes.txt"), "mine");
        ScifException e = assertThrows(ScifException.class, () -> Scif.attach("shm:" + name + "?node=0"));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("notes.txt"), e.getMessage());
        Files.delete(dir.resolve("notes.txt"));
        Files.delete(dir);
    }

    @Test
    void attachWithoutTheJvmFlagsNamesThem() throws Exception {
        assertNull(new ShmTransport().unavailabilityCause(), "this JVM has the flags");
        assertTrue(new ShmTransport().isAvailable());
        try (ShmChild child = ShmChild.start(false, List.of(), "probe", "shm:" + name + "?node=0")) {
            String probe = child.readLine();
            assertTrue(probe.startsWith("probe: JVM flags missing: ") && probe.contains("sun.nio.ch"),
                "the availability probe says what attach will say: " + probe);
            String line = child.readLine();
            assertNotNull(line);
            assertTrue(line.startsWith("ENODEV"), line);
            assertTrue(line.contains("--add-opens=java.base/java.lang.reflect=ALL-UNNAMED"), line);
            assertTrue(line.contains("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"), line);
            assertEquals(0, child.waitFor(30));
        }
        assertFalse(Files.exists(dir));
    }

    @Test
    void unknownOptionsAndBadValuesAreRefused() {
        for (String uri : new String[] {"shm:" + name + "?node=0&colour=red", "shm:" + name + "?node=999",
            "shm:" + name + "?ring=5000", "shm:" + name + "?wait=sometimes", "shm:" + name + "?dir=relative",
            "shm:../escape?node=0"}) {
            ScifException e = assertThrows(ScifException.class, () -> Scif.attach(uri), uri);
            assertEquals(Errno.EINVAL, e.errno(), uri);
        }
        assertFalse(Files.exists(dir));
    }

    @Test
    void noWakeUpIsLostUnderStress() throws Exception {
        // Futex sleeps unbounded: a lost wake-up would hang the child instead of costing 200 ms.
        try (ShmChild child = ShmChild.start(true, List.of("-Dscif4j.shm.maxSleepMillis=3600000"),
            "stress", "shm:" + name + "?wait=block", "8", "20000")) {
            assertEquals("DONE", child.readLine(), "every blocked ping-pong completed");
            assertEquals(0, child.waitFor(60));
        }
        assertFalse(Files.exists(dir));
    }
}
