package org.scif4j.shm;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.scif4j.Scif;
import org.scif4j.ScifNode;

/**
 * A process killed at any step of attaching or leaving a fabric leaves one that the next
 * process recovers: each step of docs/shm-format.md's lifecycle is a crash point where a child
 * JVM ends as a kill -9 would (no hook, no unlock), and this JVM then attaches, finds only its
 * own state, and removes the fabric when it leaves. The suite runs a few random steps; {@link
 * ShmFaultCampaignTest} runs them all, many times.
 */
class ShmCrashRecoveryTest {
    /** Every crash point of attach and detach, in the order a process passes them. */
    static final List<String> STEPS = List.of("attach.directory", "attach.new-file", "attach.initialised",
        "attach.linked", "attach.locked", "attach.committed", "attach.slot-half-written", "attach.registered",
        "detach.locked", "detach.committed", "detach.half-applied", "detach.slot-freed", "detach.closed",
        "detach.file-removed", "detach.renamed", "detach.unlocked");
    /** The steps of the logged changes of attach and detach (layout 4), all taken with the lock held. */
    static final List<String> LOGGED_STEPS = List.of("attach.committed", "attach.slot-half-written",
        "attach.registered", "detach.committed", "detach.half-applied", "detach.slot-freed");

    private final Path root = Path.of("/dev/shm", "scif4j-crash-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
    private final String name = "crash";
    private final Path dir = root.resolve(name);

    @AfterEach
    void cleanUp() throws IOException {
        boolean left = Files.exists(dir);
        TestTrees.delete(root);
        assertFalse(left, "the fabric directory was left behind");
    }

    private String uri(int node) {
        return "shm:" + name + "?node=" + node + "&dir=" + root;
    }

    @Test
    void aProcessKilledAtAnyStepOfAttachOrDetachLeavesARecoverableFabric() throws Exception {
        long seed = System.nanoTime();
        List<String> steps = new ArrayList<>(STEPS);
        java.util.Collections.shuffle(steps, new Random(seed));
        for (String step : steps.subList(0, 4)) {
            crashAt(step, "seed " + seed);
        }
    }

    /** One round: a child ends at {@code step}; this JVM then attaches and leaves cleanly. */
    void crashAt(String step, String context) throws Exception {
        String where = step + " (" + context + ")";
        try (ShmChild child = ShmChild.start(true, List.of("-Dscif4j.shm.test.crashAt=" + step),
            "lifecycle", uri(3), dir.toString())) {
            assertEquals(137, child.waitFor(60), "the child must end at the crash point " + where);
        }
        try (ScifNode n = Scif.attach(uri(0))) {
            assertArrayEquals(new int[] {0}, n.nodeIds().online(), "only this process's node is online after " + where);
            assertEquals(1089, n.open().bind(1089), "the dead process's ports are free after " + where);
            try (Stream<Path> files = Files.list(dir)) {
                assertEquals(List.of("fabric"), files.map(p -> p.getFileName().toString()).toList(),
                    "the dead process's files are gone after " + where);
            }
        }
        assertFalse(Files.exists(dir), "the last process removed the fabric after " + where);
    }

    /**
     * A process killed inside the logged change of its attach or of its detach, with another
     * process attached: the other's next call finishes the change from the dead one's log (or
     * takes its uncommitted hold over) and reaps it, so its node goes offline, its slot is free,
     * and the fabric works on.
     */
    @ParameterizedTest
    @MethodSource("loggedSteps")
    void aProcessKilledInsideItsAttachOrDetachChangeIsRecoveredByItsNeighbour(String step) throws Exception {
        try (ScifNode n = Scif.attach(uri(0))) {
            try (ShmChild child = ShmChild.start(true, List.of("-Dscif4j.shm.test.crashAt=" + step), "attach", uri(1))) {
                assertEquals(137, child.waitFor(60), "the child must end at the crash point " + step);
            }
            assertEquals(1089, n.open().bind(1089), "the fabric works on after a crash at " + step);
            assertArrayEquals(new int[] {0}, n.nodeIds().online(), "the dead child's node is offline after " + step);
            try (Stream<Path> files = Files.list(dir)) {
                assertEquals(List.of("fabric"), files.map(p -> p.getFileName().toString()).toList());
            }
        }
        assertFalse(Files.exists(dir), "the last process removed the fabric");
    }

    static List<String> loggedSteps() {
        return LOGGED_STEPS;
    }

    /**
     * The state a last process killed while leaving left (2, closed, in the state cell at header offset 96):
     * every later attach used to fail with ENODEV for ever.
     */
    @Test
    void aClosedFabricWhoseLastProcessDiedIsRemovedByTheNextAttach() throws Exception {
        try (ShmChild child = ShmChild.start(true, List.of(), "hold", uri(1))) {
            assertTrue(child.readLine().startsWith("READY"));
            child.kill9();
        }
        putInt(dir.resolve("fabric"), 96, 2);
        try (ScifNode n = Scif.attach(uri(0))) {
            assertArrayEquals(new int[] {0}, n.nodeIds().online());
            assertEquals(1, getInt(dir.resolve("fabric"), 96), "a fresh, active fabric");
        }
        assertFalse(Files.exists(dir));
    }

    /** A closed state under live processes is not the protocol's: the next attach sets it active again. */
    @Test
    void aClosedStateWithLiveProcessesIsRepaired() throws Exception {
        try (ScifNode n = Scif.attach(uri(0))) {
            putInt(dir.resolve("fabric"), 96, 2);
            try (ShmChild child = ShmChild.start(true, List.of(), "attach", uri(1))) {
                assertEquals("OK 1", child.readLine());
                assertEquals(0, child.waitFor(30));
            }
            assertEquals(1, getInt(dir.resolve("fabric"), 96));
            assertEquals(1089, n.open().bind(1089), "this process's node works on");
        }
        assertFalse(Files.exists(dir));
    }

    static void putInt(Path file, long offset, int value) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(0, value), offset);
        }
    }

    static int getInt(Path file, long offset) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder());
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ch.read(b, offset);
        }
        return b.getInt(0);
    }
}
