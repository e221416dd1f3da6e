package org.scif4j.shm.internal;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Random;
import org.scif4j.shm.TestTrees;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifMemory;
import org.scif4j.ScifNode;

/**
 * Files planted in a fabric directory (or next to it) by anything but the protocol: links,
 * FIFOs, directories and garbage under the protocol's own names. None is ever followed,
 * opened for writing, reused unreset, or removed beyond the link itself; an attach that meets
 * one where the fabric file should be fails with EINVAL at once, never hangs.
 */
class HostileFilesTest {
    private final Path root = Path.of("/dev/shm", "scif4j-hostile-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
    private final Path dir = root.resolve("f");
    private final Path outside = root.resolve("outside");

    @AfterEach
    void cleanUp() throws IOException {
        TestTrees.delete(root);
    }

    private String uri(int node) {
        return "shm:f?node=" + node + "&dir=" + root;
    }

    private byte[] plantOutsideFile() throws IOException {
        Files.createDirectories(outside);
        byte[] content = new byte[1000];
        new Random(7).nextBytes(content);
        Files.write(outside.resolve("victim"), content);
        return content;
    }

    private static void mkfifo(Path p) throws Exception {
        Process mk = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
        assertEquals(0, mk.waitFor());
    }

    @Test
    void connectionNamesTakenByLinksFifosDirectoriesOrGarbageAreSkipped() throws Exception {
        byte[] victim = plantOutsideFile();
        try (ScifNode n = Scif.attach(uri(0))) {
            long next = ((ShmNode) n).fabric().file().getLong(FabricDescriptor.H_NEXT_CONNECTION_ID);
            Files.createSymbolicLink(dir.resolve("conn-" + next), outside.resolve("victim"));
            mkfifo(dir.resolve("conn-" + (next + 1)));
            Files.createDirectory(dir.resolve("conn-" + (next + 2)));
            byte[] garbage = new byte[1 << 20];
            new Random(1).nextBytes(garbage);
            Files.write(dir.resolve("conn-" + (next + 3)), garbage);

            Endpoint l = n.open();
            int port = l.bind(0);
            l.listen(4);
            Endpoint c = n.open();
            c.configureBlocking(false);
            assertThrows(ScifException.class, () -> c.connect(new PortId(0, port))); // EINPROGRESS
            Endpoint a = l.accept(Scif.ACCEPT_SYNC);
            c.connect(new PortId(0, port));
            ByteBuffer out = ByteBuffer.wrap("through a fresh file".getBytes());
            c.send(out, Scif.SEND_BLOCK);
            ByteBuffer in = ByteBuffer.allocate(out.capacity());
            a.recv(in, Scif.RECV_BLOCK);
            assertArrayEquals(out.array(), in.array(), "the connection works on a file of its own");
            assertArrayEquals(victim, Files.readAllBytes(outside.resolve("victim")), "the link's target is untouched");
            assertArrayEquals(garbage, Files.readAllBytes(dir.resolve("conn-" + (next + 3))), "garbage is never reused");
        }
        assertArrayEquals(victim, Files.readAllBytes(outside.resolve("victim")), "leaving removes the link, not its target");
        assertFalse(Files.exists(dir.resolve("conn-0"), LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void memoryFileNamesTakenByALinkAreSkippedByAllocate() throws Exception {
        byte[] victim = plantOutsideFile();
        try (ScifNode n = Scif.attach(uri(0))) {
            long pid = ProcessHandle.current().pid();
            int seq = MemoryRegistry.SEQ.get();
            Files.createSymbolicLink(dir.resolve("mem-" + pid + "-" + (seq + 1)), outside.resolve("victim"));
            mkfifo(dir.resolve("mem-" + pid + "-" + (seq + 2)));
            try (ScifMemory m = n.allocate(8192)) {
                m.buffer().putLong(0, 42);
            }
            assertArrayEquals(victim, Files.readAllBytes(outside.resolve("victim")), "allocate never writes a link's target");
        }
        assertArrayEquals(victim, Files.readAllBytes(outside.resolve("victim")));
    }

    @Test
    void aLinkFifoOrDirectoryNamedFabricIsRefusedAtOnce() throws Exception {
        byte[] victim = plantOutsideFile();
        Files.createDirectories(dir);
        Files.createSymbolicLink(dir.resolve("fabric"), outside.resolve("victim"));
        assertRefused("a symbolic link");
        assertArrayEquals(victim, Files.readAllBytes(outside.resolve("victim")));
        Files.delete(dir.resolve("fabric"));
        mkfifo(dir.resolve("fabric"));
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertRefused("a special file"));
        Files.delete(dir.resolve("fabric"));
        Files.createDirectory(dir.resolve("fabric"));
        assertRefused("a directory");
    }

    private void assertRefused(String kind) {
        ScifException e = assertThrows(ScifException.class, () -> Scif.attach(uri(0)));
        assertEquals(Errno.EINVAL, e.errno(), e.getMessage());
        assertTrue(e.getMessage().contains(kind), e.getMessage());
    }

    @Test
    void theFabricDirectoryIsPrivateAndAWorldWritableOneIsRefused() throws Exception {
        try (ScifNode n = Scif.attach(uri(0))) {
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        }
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        ScifException e = assertThrows(ScifException.class, () -> Scif.attach(uri(0)));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("anybody may write"), e.getMessage());
    }

    @Test
    void aLinkToTheFabricDirectoryItselfIsRefused() throws Exception {
        Files.createDirectories(outside);
        Files.createSymbolicLink(dir, outside);
        ScifException e = assertThrows(ScifException.class, () -> Scif.attach(uri(0)));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("a symbolic link"), e.getMessage());
    }

    /**
     * Reclaiming remnants under a root named scif4j walks its real subdirectories only: a
     * symbolic link to another directory is never descended, whatever it holds.
     */
    @Test
    void reclaimingNeverDescendsASymlinkedDirectory() throws Exception {
        Path defaultRoot = root.resolve("scif4j");
        Files.createDirectories(defaultRoot);
        Files.createDirectories(outside);
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path bait = Files.createFile(outside.resolve("fabric.new-" + gone.pid() + "-1"));
        Files.createSymbolicLink(defaultRoot.resolve("evil"), outside);
        try (ScifNode n = Scif.attach("shm:fresh?node=0&dir=" + defaultRoot)) {
            assertTrue(Files.exists(bait), "a file behind a symlinked directory is never removed");
            assertTrue(Files.isSymbolicLink(defaultRoot.resolve("evil")), "nor the link");
        }
    }
}
