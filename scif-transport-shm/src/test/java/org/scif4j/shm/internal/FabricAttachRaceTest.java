package org.scif4j.shm.internal;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.scif4j.shm.TestTrees;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;

/**
 * Attaching while the last process leaves: the departing process removes the fabric file and
 * directory at any moment of a newcomer's attach, which must then start over, never create a
 * file under the fabric's name, and never fail.
 */
class FabricAttachRaceTest {
    private final Path root = Path.of("/dev/shm", "scif4j-race-" + ProcessHandle.current().pid() + "-" + System.nanoTime());

    @AfterEach
    void cleanUp() throws IOException {
        TestTrees.delete(root);
    }

    private static String uri(Path root, int node) {
        return "shm:churn?node=" + node + "&dir=" + root;
    }

    /** Attaches and closes {@code iterations} times; @return the failures by message, none expected */
    private static Map<String, Integer> churn(Path root, int node, int iterations) {
        Map<String, Integer> failures = new TreeMap<>();
        for (int i = 0; i < iterations; i++) {
            try (ScifNode n = Scif.attach(uri(root, node))) {
                n.open().close();
            } catch (ScifException e) {
                failures.merge(e.errno() + " " + e.getMessage(), 1, Integer::sum);
            }
        }
        return failures;
    }

    /** The peer process: churns, then prints its failures. */
    public static void main(String[] args) {
        Map<String, Integer> failures = churn(Path.of(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]));
        System.out.println("FAILURES " + failures.values().stream().mapToInt(Integer::intValue).sum() + " " + failures);
    }

    @Test
    void twoProcessesChurningAttachAndCloseNeverFail() throws Exception {
        int iterations = 400; // before the fix, two processes bricked the fabric within ~100
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens") || a.startsWith("--add-exports") || a.startsWith("-Dchronicle")) {
                cmd.add(a);
            }
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), FabricAttachRaceTest.class.getName(),
            root.toString(), "1", Integer.toString(iterations)));
        Process peer = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            Map<String, Integer> mine = churn(root, 0, iterations);
            String line;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(peer.getInputStream(), StandardCharsets.UTF_8))) {
                line = out.readLine();
            }
            assertTrue(peer.waitFor(30, TimeUnit.SECONDS), "the peer process did not finish");
            assertEquals(Map.of(), mine, "attach failures in this process");
            assertEquals("FAILURES 0 {}", line, "attach failures in the peer process");
            assertFalse(Files.exists(root.resolve("churn")), "the last process removes the fabric");
        } finally {
            peer.destroyForcibly();
        }
    }

    @Test
    void zeroFilledFabricFileLeftByALostRaceIsRemoved() throws Exception {
        Path dir = Files.createDirectories(root.resolve("churn"));
        try (FileChannel ch = FileChannel.open(dir.resolve("fabric"), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            ch.truncate(0);
            ch.write(java.nio.ByteBuffer.allocate(1), FabricDescriptor.FILE_SIZE - 1);
        }
        try (ScifNode n = Scif.attach(uri(root, 0))) {
            assertEquals(FabricDescriptor.MAGIC, readMagic(dir.resolve("fabric")), "a fresh fabric replaced the orphan");
        }
        assertFalse(Files.exists(dir), "the last process removes the fabric");
    }

    private static long readMagic(Path fabric) throws IOException {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.nativeOrder());
        try (FileChannel ch = FileChannel.open(fabric, StandardOpenOption.READ)) {
            ch.read(b, 0);
        }
        return b.getLong(0);
    }

    @Test
    void mappingAnExistingFileNeverGrowsIt() throws Exception {
        Path f = Files.createDirectories(root).resolve("short");
        Files.write(f, new byte[100]);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            assertThrows(NoSuchFileException.class, () -> SharedFile.mapExisting(ch, f, 4096));
        }
        assertEquals(100, Files.size(f));
        Files.write(f, new byte[8192]);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            SharedFile m = SharedFile.mapExisting(ch, f, 8192);
            m.putLong(8, 42);
            m.close();
        }
        assertEquals(8192, Files.size(f));
        assertEquals(42, java.nio.ByteBuffer.wrap(Files.readAllBytes(f)).order(java.nio.ByteOrder.nativeOrder()).getLong(8));
    }

    /**
     * A JVM ended (Ctrl-C) between making a {@code fabric.new-PID-N} or {@code fabric.dead-PID-N}
     * file and linking or deleting it, or between removing a fabric's file and its directory,
     * leaves remnants no live process will touch: attaching under the default root removes those
     * of dead processes, and empty fabric directories, and leaves a live process's alone.
     */
    @Test
    void remnantsOfProcessesEndedMidAttachAreRemoved() throws Exception {
        Path defaultRoot = root.resolve("scif4j");
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        long deadPid = gone.pid();
        long livePid = ProcessHandle.current().pid();
        Path half = Files.createDirectories(defaultRoot.resolve("half-made"));
        Path deadNew = Files.createFile(half.resolve("fabric.new-" + deadPid + "-1"));
        Path liveNew = Files.createFile(half.resolve("fabric.new-" + livePid + "-2"));
        Path empty = Files.createDirectories(defaultRoot.resolve("emptied"));
        Path emptiedToo = Files.createDirectories(defaultRoot.resolve("emptied-too"));
        Path deadDead = Files.createFile(emptiedToo.resolve("fabric.dead-" + deadPid + "-3"));
        try (ScifNode n = Scif.attach("shm:fresh?node=0&dir=" + defaultRoot)) {
            assertFalse(Files.exists(deadNew), "a dead process's fabric.new file is removed");
            assertTrue(Files.exists(liveNew), "a live process's fabric.new file is left alone");
            assertFalse(Files.exists(empty), "an empty fabric directory is removed");
            assertFalse(Files.exists(deadDead.getParent()), "a directory holding only a dead process's fabric.dead"
                + " file is removed");
        }
    }
}
