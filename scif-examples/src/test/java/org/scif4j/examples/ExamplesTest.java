package org.scif4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.scif4j.Errno;
import org.scif4j.ScifException;

/**
 * Runs every example's {@code main} as a user would and checks what it printed against
 * figures computed here, so that the examples keep working. The shm examples run on a scratch
 * fabric directory of their own, which must be empty again afterwards.
 */
class ExamplesTest {
    private Path scratch;

    @BeforeEach
    void makeScratch() throws IOException {
        scratch = Files.createTempDirectory(Path.of("/dev/shm"), "scif-examples-");
    }

    @AfterEach
    void removeScratch() throws IOException {
        try (Stream<Path> all = Files.walk(scratch)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    void messagingChecksumsEveryFrame() throws Exception {
        CRC32 crc = new CRC32();
        long bytes = 0;
        for (int i = 0; i < Messaging.MESSAGES; i++) {
            crc.update(Messaging.message(i));
            bytes += Messaging.message(i).length;
        }
        String out = runShm("messaging", Messaging::main);
        assertContains(out, String.format("host: received %d messages, %d bytes, crc32 %08x", Messaging.MESSAGES, bytes,
            crc.getValue()));
        assertContains(out, String.format("card: the host's crc32 matches: %08x", crc.getValue()));
    }

    @Test
    void rmaOffloadSquaresEveryBatch() throws Exception {
        long sum = 0;
        for (int b = 1; b <= RmaOffload.BATCHES; b++) {
            for (int i = 0; i < RmaOffload.COUNT; i++) {
                sum += RmaOffload.input(b, i) * RmaOffload.input(b, i);
            }
        }
        String out = runShm("offload", RmaOffload::main);
        assertContains(out, "host: batch " + RmaOffload.BATCHES + " done");
        assertContains(out, "all correct; sum of the squares = " + sum);
    }

    @Test
    void mmapRingDeliversEveryValueInOrder() throws Exception {
        long n = MmapRing.VALUES;
        String out = runShm("ring", MmapRing::main);
        assertContains(out, "in order; sum = " + n * (n + 1) / 2);
    }

    @Test
    void mmapRingOnTcpSaysMmapNeedsShm() {
        ScifException e = assertThrows(ScifException.class, () -> run(TcpFabric.loopbackFabric(), MmapRing::main));
        assertEquals(Errno.EOPNOTSUPP, e.errno());
        assertTrue(e.getMessage().contains("only the shm: transport"), e.getMessage());
    }

    @Test
    void pollLoopServesEveryClient() throws Exception {
        long requests = (long) PollLoop.CLIENTS * PollLoop.REQUESTS;
        String out = runShm("poll", PollLoop::main);
        // the answers are 2n for n = 0 .. requests-1
        assertContains(out, "served " + PollLoop.CLIENTS + " connections, " + requests
            + " requests; sum of the answers = " + requests * (requests - 1));
    }

    @Test
    void nodeWatchSeesTheCardComeAndGo() throws Exception {
        String out = runShm("watch", NodeWatch::main);
        assertContains(out, "host: node 0 watches the fabric");
        int online = out.indexOf("host: node 1 is online");
        assertTrue(online >= 0 && out.indexOf("host: node 1 is offline") > online, "online, then offline:\n" + out);
    }

    @Test
    void nodeWatchOnTcp() throws Exception {
        String out = run(TcpFabric.loopbackFabric(), NodeWatch::main);
        int online = out.indexOf("host: node 1 is online");
        assertTrue(online >= 0 && out.indexOf("host: node 1 is offline") > online, "online, then offline:\n" + out);
    }

    @Test
    void tcpFabricOnLoopbackMovesTheWindow() throws Exception {
        CRC32 crc = new CRC32();
        crc.update(TcpFabric.pattern());
        String out = run(new String[0], TcpFabric::main);       // its default: free ports of 127.0.0.1
        assertContains(out, "node 0: tcp:0@127.0.0.1:");
        assertContains(out, String.format("holds node 1's %d bytes, crc32 %08x", TcpFabric.BYTES, crc.getValue()));
    }

    @Test
    void asyncSignalCompletesEveryFutureAndTheCardHasEveryBlock() throws Exception {
        CRC32 crc = new CRC32();
        for (int i = 0; i < AsyncSignal.BLOCKS * AsyncSignal.BLOCK; i++) {
            crc.update(AsyncSignal.data(i));
        }
        String out = runShm("asyncsignal", AsyncSignal::main);
        assertContains(out, "host: all " + AsyncSignal.BLOCKS + " signals completed");
        assertContains(out, String.format("card: word = %d, crc32 %08x (expected %08x)", AsyncSignal.BLOCKS,
            crc.getValue(), crc.getValue()));
    }

    @Test
    void metricsPrintsTheExactCounts() throws Exception {
        String out = runShm("metrics", Metrics::main);
        long bytes = (long) Metrics.MESSAGES * Metrics.MESSAGE;
        assertContains(out, "card endpoint: sent " + bytes + " bytes in " + Metrics.MESSAGES + " sends, wrote "
            + Metrics.RMA + " bytes in 1 RMAs, 1 fence waits");
        assertContains(out, "host endpoint: received " + bytes + " bytes in 1 receives");
        assertContains(out, "card node: 1 endpoints opened, 1 connects, 1 refused");
        assertContains(out, "micrometer: scif.node.bytes.sent = " + bytes + ", scif.node.connects.refused = 1");
    }

    @Test
    void wrongArgumentsAreRefusedWithAUsage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> Messaging.main(new String[] {"shm:x?node=0"}));
        assertTrue(e.getMessage().contains("two fabric URIs"), e.getMessage());
    }

    /** A main method. */
    private interface Main {
        void run(String[] args) throws Exception;
    }

    /** Runs {@code main} on nodes 0 and 1 of fabric {@code name} in the scratch directory. */
    private String runShm(String name, Main main) throws Exception {
        String fabric = "shm:" + name + "?dir=" + scratch + "&node=";
        String out = run(new String[] {fabric + 0, fabric + 1}, main);
        try (Stream<Path> left = Files.list(scratch)) {
            assertEquals(0, left.count(), "the example leaves no fabric behind");
        }
        return out;
    }

    /** Runs {@code main} and returns what it printed. */
    private static String run(String[] args, Main main) throws Exception {
        PrintStream stdout = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            main.run(args);
        } finally {
            System.setOut(stdout);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        stdout.print(printed);
        return printed;
    }

    private static void assertContains(String out, String expected) {
        assertTrue(out.contains(expected), "expected \"" + expected + "\" in:\n" + out);
    }
}
