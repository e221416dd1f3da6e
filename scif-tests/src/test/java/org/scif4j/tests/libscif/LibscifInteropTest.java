package org.scif4j.tests.libscif;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;
import org.scif4j.tests.process.PeerProcess;

/**
 * A Java node and a C node (a program built against {@code libscif/}, run as a child process)
 * on one shm fabric: either one listens, they stream checksummed data both ways, and each
 * sees the other die. The C program is {@code libscif/target/bin/scif-peer}; its stream
 * pattern is byte i = (i * 31 + 7) mod 256, followed by the FNV-1a 64 checksum of the stream.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS) // a C peer that failed must not leave a Java call waiting
class LibscifInteropTest {
    private static final Path PEER = Path.of(System.getProperty("libscif.dir", "../libscif/target"))
        .resolve("bin/scif-peer").toAbsolutePath().normalize();
    private static final int BYTES = 3 * 1024 * 1024 + 5;

    private Path root;
    private final String name = "interop";

    /** libscif's header that defines the layout version it speaks (docs/shm-format.md). */
    private static final Path LAYOUT_H = PEER.getParent().getParent().getParent().resolve("src/layout.h");

    @BeforeEach
    void scratch() throws IOException {
        // Both implementations live in this repository and must speak one version: a mismatch
        // is a failure here, never a reason to skip the interop tests.
        assertEquals(cLayout(), javaLayout(), "the layout version of libscif (" + LAYOUT_H
            + ") and of the Java shm transport (FabricDescriptor.VERSION)");
        assertTrue(Files.isExecutable(PEER), PEER + " is missing: the libscif module builds it");
        root = Files.createTempDirectory(Path.of("/dev/shm"), "libscif-interop-");
    }

    @AfterEach
    void noLeftovers() throws IOException {
        if (root == null) {
            return; // skipped before it made a scratch directory
        }
        Path fabric = root.resolve(name);
        boolean left = Files.exists(fabric);
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
        assertFalse(left, "fabric directory " + fabric + " was left behind");
    }

    /** The Java side's layout version, read at run time (a compile-time constant would be inlined). */
    private static int javaLayout() {
        try {
            return org.scif4j.shm.internal.FabricDescriptor.class.getField("VERSION").getInt(null);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("FabricDescriptor.VERSION is not readable", e);
        }
    }

    /** libscif's layout version, from its LAYOUT_VERSION definition. */
    private static int cLayout() throws IOException {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("#define LAYOUT_VERSION (\\d+)")
            .matcher(Files.readString(LAYOUT_H));
        assertTrue(m.find(), LAYOUT_H + " defines no LAYOUT_VERSION");
        return Integer.parseInt(m.group(1));
    }

    private String uri(int node) {
        return "shm:" + name + "?node=" + node + "&dir=" + root;
    }

    private Process peer(int node, String... args) throws IOException {
        String[] cmd = new String[args.length + 1];
        cmd[0] = PEER.toString();
        System.arraycopy(args, 0, cmd, 1, args.length);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("SCIF_FABRIC", uri(node));
        return pb.start();
    }

    /** Reads the C peer's "listening PORT" line: it is then ready to accept. */
    /** @return an endpoint of {@code host} connected to the C peer's (node 1) {@code port} */
    private static Endpoint connectedToC(ScifNode host, int port) throws ScifException {
        Endpoint e = host.open();
        e.connect(new PortId(1, port));
        return e;
    }

    private static void awaitListening(Process p) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
        String line = r.readLine();
        assertTrue(line != null && line.startsWith("listening"), "the C peer said " + line);
    }

    private static void assertExitsZero(Process p) throws InterruptedException {
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the C peer did not finish");
        assertEquals(0, p.exitValue(), "the C peer's exit status");
    }

    private static long fnv(long h, ByteBuffer b) {
        for (int i = b.position(); i < b.limit(); i++) {
            h = (h ^ (b.get(i) & 0xff)) * 0x100000001b3L;
        }
        return h;
    }

    private static void streamOut(Endpoint e) throws ScifException {
        ByteBuffer b = ByteBuffer.allocateDirect(65536);
        long h = 0xcbf29ce484222325L;
        for (long at = 0; at < BYTES;) {
            b.clear();
            int n = (int) Math.min(b.capacity(), BYTES - at);
            for (int i = 0; i < n; i++) {
                b.put((byte) ((at + i) * 31 + 7));
            }
            b.flip();
            h = fnv(h, b);
            while (b.hasRemaining()) {
                e.send(b, Scif.SEND_BLOCK);
            }
            at += n;
        }
        ByteBuffer sum = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, h);
        while (sum.hasRemaining()) {
            e.send(sum, Scif.SEND_BLOCK);
        }
    }

    private static void streamIn(Endpoint e) throws ScifException {
        ByteBuffer b = ByteBuffer.allocateDirect(65536);
        long h = 0xcbf29ce484222325L;
        for (long at = 0; at < BYTES;) {
            b.clear().limit((int) Math.min(b.capacity(), BYTES - at));
            int n = e.recv(b, Scif.RECV_BLOCK);
            b.flip();
            for (int i = 0; i < n; i++) {
                assertEquals((byte) ((at + i) * 31 + 7), b.get(i), "byte " + (at + i));
            }
            h = fnv(h, b);
            at += n;
        }
        ByteBuffer sum = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
        while (sum.hasRemaining()) {
            e.recv(sum, Scif.RECV_BLOCK);
        }
        assertEquals(h, sum.getLong(0), "checksum of the stream from the C node");
    }

    @Test
    void javaListensAndCConnects() throws Exception {
        try (ScifNode host = Scif.attach(uri(0))) {
            Endpoint l = host.open();
            int port = l.bind(0);
            l.listen(1);
            Process c = peer(1, "connect", "0", Integer.toString(port), Integer.toString(BYTES));
            Endpoint e = l.accept(Scif.ACCEPT_SYNC);
            assertEquals(1, e.peerPort().node());
            assertArrayEquals(new int[] {0, 1}, host.nodeIds().online());
            streamIn(e);
            streamOut(e);
            assertExitsZero(c);
            ScifException gone = assertThrows(ScifException.class,
                () -> e.recv(ByteBuffer.allocate(1), Scif.RECV_BLOCK));
            assertEquals(Errno.ECONNRESET, gone.errno());
            e.close();
            l.close();
        }
    }

    @Test
    void cListensAndJavaConnects() throws Exception {
        Process c = peer(1, "listen", "2345", Integer.toString(BYTES));
        awaitListening(c);
        try (ScifNode host = Scif.attach(uri(0))) {
            Endpoint e = connectedToC(host, 2345);
            streamOut(e);
            streamIn(e);
            e.close(); // the C peer checks that it then sees ECONNRESET
            assertExitsZero(c);
        }
    }

    /**
     * A C program waits in poll(2) on scif_get_fd's descriptor: the Java node's sends and its
     * close wake it (the doorbell of docs/shm-format.md, rung by the Java side), and between
     * them the descriptor shows nothing.
     */
    @Test
    void javaSendsAndCloseWakeACProgramPollingItsDescriptor() throws Exception {
        Process c = peer(1, "poll-fd", "2346");
        awaitListening(c);
        try (ScifNode host = Scif.attach(uri(0))) {
            Endpoint e = connectedToC(host, 2346);
            ByteBuffer one = ByteBuffer.allocateDirect(1);
            ByteBuffer four = ByteBuffer.allocateDirect(4);
            for (int i = 0; i < 3; i++) {
                one.clear();
                e.recv(one, Scif.RECV_BLOCK); // the C node saw an idle descriptor
                assertEquals(i, one.get(0));
                four.clear();
                e.send(four, Scif.SEND_BLOCK);
            }
            e.close(); // the C node's poll then reports POLLHUP
            assertExitsZero(c);
        }
    }

    @Test
    void rmaSignalsAndMappingsBothWays() throws Exception {
        rmaBothWays();
    }

    /**
     * The C node's window is a shared mapping of a file (at file offset 4096): libscif links
     * that file into the fabric instead of copying, so what the Java node writes into the
     * window is in the file itself after the C node has gone.
     */
    @Test
    void aCNodesWindowOverASharedFileMappingIsTheFileItself() throws Exception {
        Path file = root.resolve("c-window");
        rmaBothWays(file.toString());
        ByteBuffer f = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(4096 + 65536, f.capacity(), "the C node's file");
        for (int i = 0; i < 4096; i++) {
            assertEquals((byte) (i * 5 + 2), f.get(4096 + i), "byte " + i + " of our vwriteTo, in the file");
        }
        assertEquals(0xBEEFL, f.getLong(4096 + 8192), "our fence signal, in the file");
        assertEquals(0x6161L, f.getLong(4096 + 12288), "our store through mmap, in the file");
    }

    /** The rma scenario of scif-peer (extra: its FILE argument). */
    private void rmaBothWays(String... extra) throws Exception {
        try (ScifNode host = Scif.attach(uri(0))) {
            Endpoint l = host.open();
            int port = l.bind(0);
            l.listen(1);
            String[] args = new String[3 + extra.length];
            args[0] = "rma";
            args[1] = "0";
            args[2] = Integer.toString(port);
            System.arraycopy(extra, 0, args, 3, extra.length);
            Process c = peer(1, args);
            Endpoint e = l.accept(Scif.ACCEPT_SYNC);
            try (org.scif4j.ScifMemory mem = host.allocate(65536)) {
                ByteBuffer mine = mem.buffer().order(ByteOrder.LITTLE_ENDIAN);
                long myOffset = e.register(mine, 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
                ByteBuffer off = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
                while (off.hasRemaining()) {
                    e.recv(off, Scif.RECV_BLOCK);
                }
                long theirs = off.getLong(0);
                off.clear().putLong(0, myOffset);
                while (off.hasRemaining()) {
                    e.send(off, Scif.SEND_BLOCK);
                }
                ByteBuffer one = ByteBuffer.allocateDirect(1);
                e.recv(one, Scif.RECV_BLOCK); // the C node wrote into our window
                for (int i = 0; i < 4096; i++) {
                    assertEquals((byte) (i * 3 + 1), mine.get(i), "byte " + i + " of the C node's vwriteto");
                }
                assertEquals(0xC0FFEEL, mine.getLong(8192), "the C node's fence signal");
                assertEquals(0x5151L, mine.getLong(12288), "the C node's store through scif_mmap");

                ByteBuffer b = ByteBuffer.allocateDirect(4096);
                for (int i = 0; i < 4096; i++) {
                    b.put(i, (byte) (i * 5 + 2));
                }
                e.vwriteTo(b, theirs, Scif.RMA_SYNC);
                e.fenceSignal(0, 0, theirs + 8192, 0xBEEF, Scif.FENCE_INIT_SELF | Scif.SIGNAL_REMOTE);
                e.fenceWait(e.fenceMark(Scif.FENCE_INIT_SELF));
                try (org.scif4j.Mapping m = e.mmap(theirs, 65536, Scif.PROT_READ | Scif.PROT_WRITE)) {
                    m.buffer().order(ByteOrder.LITTLE_ENDIAN).putLong(12288, 0x6161);
                    assertEquals((byte) (3 * 5 + 2), m.buffer().get(3), "our vwriteTo, seen in the C node's window through mmap");
                }
                one.clear();
                e.send(one, Scif.SEND_BLOCK);
                one.clear();
                e.recv(one, Scif.RECV_BLOCK);
                assertEquals(1, one.get(0), "the C node found our writes in its window");
                one.clear();
                e.send(one, Scif.SEND_BLOCK);
                assertExitsZero(c);
                e.close();
            }
            l.close();
        }
    }

    @Test
    void aCNodeSeesAKilledJavaNodeWithinASecondAndReapsIt() throws Exception {
        Process c = peer(1, "await-reset", "2345");
        awaitListening(c);
        try (PeerProcess java = PeerProcess.start(uri(2))) {
            java.ok("connect 1 2345");
            long t0 = System.nanoTime();
            java.kill(); // SIGKILL: the C node's watchdog reaps the Java process
            assertExitsZero(c);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms < 1000, "the C node noticed after " + ms + " ms");
        }
        // noLeftovers: the C node, the last process, removed the fabric and the Java node's files
    }

    /**
     * docs/shm-format.md, "Wrapping early": both writers wrap a small send past the area's first
     * 256 KiB, and each reader must follow the other's wrap words at that offset. 40,000 8-byte
     * round trips with the C peer's echo are 625 KiB of 16-byte frames each way, so both rings
     * (of the default 4 MiB, where no wrap at the area's end is near) wrap early twice: the Java
     * writer's wraps read by libscif, libscif's by the Java reader; each echo must come back
     * as sent, in order.
     */
    @Test
    void smallMessagesWrapEarlyInBothRingsAndEachSideFollowsTheOthersWraps() throws Exception {
        Process c = peer(1, "pong", "2346");
        awaitListening(c);
        try (ScifNode host = Scif.attach(uri(0))) {
            Endpoint e = connectedToC(host, 2346);
            ByteBuffer out = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer in = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
            for (long i = 0; i < 40_000; i++) {
                out.clear();
                out.putLong(0, i * 0x9E3779B97F4A7C15L);
                assertEquals(8, e.send(out, Scif.SEND_BLOCK));
                in.clear();
                assertEquals(8, e.recv(in, Scif.RECV_BLOCK));
                assertEquals(i * 0x9E3779B97F4A7C15L, in.getLong(0), "echo " + i + " came back as sent");
            }
            e.close(); // the C peer's recv then fails and it ends
            assertExitsZero(c);
        } finally {
            c.destroyForcibly();
        }
    }

    @Test
    void javaSeesAKilledCNodeWithinASecond() throws Exception {
        Process c = peer(1, "pong", "2345");
        awaitListening(c);
        try (ScifNode host = Scif.attach(uri(0))) {
            Endpoint e = connectedToC(host, 2345);
            ByteBuffer m = ByteBuffer.allocateDirect(8);
            e.send(m, Scif.SEND_BLOCK);
            m.clear();
            while (m.hasRemaining()) {
                e.recv(m, Scif.RECV_BLOCK);
            }
            long t0 = System.nanoTime();
            c.destroyForcibly(); // SIGKILL
            c.waitFor();
            m.clear();
            ScifException gone = assertThrows(ScifException.class, () -> e.recv(ByteBuffer.allocate(1), Scif.RECV_BLOCK));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertEquals(Errno.ECONNRESET, gone.errno());
            assertTrue(ms < 1000, "noticed after " + ms + " ms");
            // the reaper (in either process) takes the node offline as it resets the endpoints
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            while (host.nodeIds().online().length > 1 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertArrayEquals(new int[] {0}, host.nodeIds().online());
            e.close();
        }
    }
}
