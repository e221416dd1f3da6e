package org.scif4j.natives.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.scif4j.Endpoint;
import org.scif4j.Scif;
import org.scif4j.ScifNode;

/**
 * Layout 5 across implementations: a C process (libscif's {@code scif-peer}) reaps a dead C
 * process as it attaches and is stopped inside its reaping change (committed, not applied,
 * {@code SCIF4J_TEST_STOP_AT=reap.committed}); a Java {@code shm:} node then attaches and
 * runs control-plane calls while the C reaper is still stopped: it finds the C reaper's log
 * (in the dead process's log area, naming the reaper's pid) and finishes it, so the dead
 * process's node and memory file are gone. The resumed C reaper goes on and listens.
 */
class CReaperInteropTest {
    private static final String STOP_POINT = "reap.committed";

    @Test
    void aJavaNodeFinishesTheReapingChangeOfAStoppedCReaper() throws Exception {
        assertTrue(Files.isExecutable(ThreeParties.C_PEER), ThreeParties.C_PEER + " is built by the libscif module");
        String fabric = "cr" + ProcessHandle.current().pid() + "r"
            + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000));
        Path dir = Path.of("/dev/shm", "scif4j", fabric);
        Process dead = cPeer(fabric, 2, Map.of(), "listen", "3000", "1");
        try (BufferedReader out = reader(dead)) {
            assertEquals("listening 3000", out.readLine(), "the C process that dies attached and listens");
        } finally {
            dead.destroyForcibly();
            assertTrue(dead.waitFor(30, TimeUnit.SECONDS));
        }
        Path memory = dir.resolve("mem-" + dead.pid() + "-1"); // what a window of the dead process leaves
        Files.write(memory, new byte[4096]);
        Process reaper = cPeer(fabric, 1, Map.of("SCIF4J_TEST_STOP_AT", STOP_POINT), "listen", "3001", "1");
        ScifNode[] n = new ScifNode[1];
        try (BufferedReader out = reader(reaper)) {
            awaitStopped(reaper.pid());
            assertTrue(Files.exists(memory), "the C reaper's change is committed, not applied");
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                n[0] = Scif.attach("shm:" + fabric + "?node=0");
                Endpoint l = n[0].open();
                l.bind(2000);
                l.listen(4);
                n[0].open().close();
                l.close();
            }, "the Java node's attach and calls must not wait for the C reaper stopped at " + STOP_POINT);
            assertEquals('T', state(reaper.pid()), "all of it ran while the C reaper was stopped");
            assertArrayEquals(new int[] {0}, n[0].nodeIds().online(), "the dead C process's node is offline");
            assertFalse(Files.exists(memory), "the kind 4 entry of the C reaper's log removed the dead's memory file");
            signal("-CONT", reaper.pid());
            assertEquals("listening 3001", out.readLine(), "the resumed C reaper found its change done and attached");
            assertArrayEquals(new int[] {0, 1}, n[0].nodeIds().online());
        } finally {
            signal("-CONT", reaper.pid());
            reaper.destroyForcibly();
            assertTrue(reaper.waitFor(30, TimeUnit.SECONDS));
            if (n[0] != null) {
                n[0].close(); // reaps the killed reaper and, the last, removes the fabric
            }
        }
        assertFalse(Files.exists(dir), "the fabric directory was removed");
    }

    private static Process cPeer(String fabric, int node, Map<String, String> env, String... args) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(new java.util.ArrayList<>(List.of(ThreeParties.C_PEER.toString())))
            .redirectErrorStream(true);
        pb.command().addAll(List.of(args));
        pb.environment().put("SCIF_FABRIC", "shm:" + fabric + "?node=" + node);
        pb.environment().putAll(env);
        return pb.start();
    }

    private static BufferedReader reader(Process p) {
        return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
    }

    private static char state(long pid) throws Exception {
        String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        return s.charAt(s.lastIndexOf(')') + 2);
    }

    private static void awaitStopped(long pid) throws Exception {
        for (int i = 0; i < 20_000; i++) {
            char c = state(pid);
            if (c == 'T' || c == 't') {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(1); // polling the child's state, bounded: no ordering relies on it
        }
        fail("scif-peer " + pid + " never stopped at " + STOP_POINT);
    }

    /** Sends a signal to a process this test started, by pid. */
    private static void signal(String sig, long pid) throws Exception {
        new ProcessBuilder("kill", sig, Long.toString(pid)).start().waitFor();
    }
}
