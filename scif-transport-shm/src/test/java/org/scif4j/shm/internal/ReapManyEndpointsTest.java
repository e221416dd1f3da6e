package org.scif4j.shm.internal;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.scif4j.Scif;
import org.scif4j.ScifNode;
import org.scif4j.shm.TestTrees;

/**
 * Reaping a dead process that held more endpoints than one change log can close: the reaper
 * goes on in several logged changes (docs/shm-format.md, "Reaping a dead process"), each within
 * one log, never one direct change too big for a log, and frees everything the process held.
 */
class ReapManyEndpointsTest {
    /** Loopback pairs the dying child holds: 2 endpoints and a connection file each, many logs' worth. */
    private static final int PAIRS = 100;

    private final Path root = Path.of("/dev/shm", "scif4j-reapmany-" + ProcessHandle.current().pid() + "-" + System.nanoTime());

    @AfterEach
    void cleanUp() throws Exception {
        TestTrees.delete(root);
    }

    @Test
    void aDeadProcessWithManyEndpointsIsReapedInLoggedChanges() throws Exception {
        String uri = "shm:r?dir=" + root + "&node=";
        Path fabricDir = root.resolve("r");
        try (ScifNode n = Scif.attach(uri + 0)) { // this process's watchdog reaps the child
            Fabric fabric = ((ShmNode) n).fabric();
            Process dead = ChildJvm.start(List.of(), "org.scif4j.shm.ShmChild", "hold", uri + 2, Integer.toString(PAIRS));
            try (BufferedReader out = new BufferedReader(new InputStreamReader(dead.getInputStream(), StandardCharsets.UTF_8))) {
                String line = out.readLine();
                assertTrue(line != null && line.startsWith("READY "), "the child that dies attached and connected: " + line);
                assertEquals(PAIRS, connectionFiles(fabricDir), "a connection file per pair of the child");
            } finally {
                dead.destroyForcibly();
                assertTrue(dead.waitFor(60, TimeUnit.SECONDS));
            }
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                while (fabric.processes().liveCount() != 1) {
                    Thread.onSpinWait(); // the watchdog notices the death within its period
                }
            }, "the watchdog reaps the killed child");
            assertEquals(0, fabric.controlLock().oversized(), "every reaping change fitted in a log");
            assertArrayEquals(new int[] {0}, n.nodeIds().online(), "the dead process's node is offline");
            assertEquals(0, connectionFiles(fabricDir), "the dead process's connection files were removed");
        }
        assertFalse(Files.exists(fabricDir), "the last process removed the fabric");
    }

    private static long connectionFiles(Path fabricDir) throws Exception {
        try (Stream<Path> files = Files.list(fabricDir)) {
            return files.filter(p -> p.getFileName().toString().startsWith("conn-")).count();
        }
    }
}
