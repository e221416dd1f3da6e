package org.scif4j.bench.baseline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scif4j.bench.process.CpuPinning;
import org.scif4j.bench.stats.LatencyStats;

/**
 * The baselines run to completion and clean up, and the ones that move data move the right
 * bytes; their numbers are not judged here.
 */
class BaselineTest {
    @Test
    void rawPingPongRoundsGoOnFromOneAnotherAndTheFileIsGoneOnceUnlinked(@TempDir Path dir) throws Exception {
        RawShmPingPong.Flags flags = RawShmPingPong.create(dir);
        java.nio.ByteBuffer peerSide = RawShmPingPong.map(flags.file());
        flags.unlink();
        assertEquals(List.of(), list(dir), "the mappings outlive the file");
        long[][] rounds = {{1, 100, 1_000}, {1_101, 0, 500}}; // first, warm-up, recorded
        Thread pong = new Thread(() -> {
            for (long[] r : rounds) {
                RawShmPingPong.pong(peerSide, r[0], r[1] + r[2]);
            }
        });
        pong.start();
        for (long[] r : rounds) {
            LatencyStats s = RawShmPingPong.ping(flags.buffer(), r[0], r[1], r[2], pong::isAlive);
            assertEquals(r[2], s.count());
            assertTrue(s.median() > 0 && s.median() <= s.p99() && s.p99() <= s.max(), s.toString());
        }
        pong.join(10_000);
        assertFalse(pong.isAlive(), "the peer answered every ping of both rounds");
    }

    /**
     * The floor's loop with its two flags in two buffers (as the round trip through mapped
     * windows runs it): each ping lands at the ping flag's index of one buffer, each pong at the
     * pong flag's index of the other, and nothing else is written.
     */
    @Test
    void theFloorsLoopRunsWithItsFlagsInTwoBuffers() throws Exception {
        ByteBuffer peerPage = ByteBuffer.allocateDirect(256).order(java.nio.ByteOrder.nativeOrder());
        ByteBuffer ownPage = ByteBuffer.allocateDirect(256).order(java.nio.ByteOrder.nativeOrder());
        Thread pong = new Thread(() -> RawShmPingPong.pong(peerPage, 64, ownPage, 128, 1, 300));
        pong.start();
        LatencyStats s = RawShmPingPong.ping(peerPage, 64, ownPage, 128, 1, 100, 200, pong::isAlive);
        pong.join(10_000);
        assertFalse(pong.isAlive(), "the peer answered every ping");
        assertEquals(200, s.count());
        assertEquals(300, peerPage.getLong(64), "the last ping, where it was sent");
        assertEquals(300, ownPage.getLong(128), "the last pong, where it was awaited");
        for (int i = 0; i < 256; i += 8) {
            assertEquals(i == 64 ? 300 : 0, peerPage.getLong(i), "peer page word " + i);
            assertEquals(i == 128 ? 300 : 0, ownPage.getLong(i), "own page word " + i);
        }
    }

    @Test
    void rawPingPongEndsWhenThePeerIsDeadInsteadOfSpinningForever(@TempDir Path dir) throws IOException {
        try (RawShmPingPong.Flags flags = RawShmPingPong.create(dir)) {
            IOException e = assertThrows(IOException.class,
                () -> RawShmPingPong.ping(flags.buffer(), 1, 0, 10, () -> false));
            assertTrue(e.getMessage().contains("raw round trip 1"), e.getMessage());
        }
        assertEquals(List.of(), list(dir), "close removes the file");
    }

    @Test
    void copyBaselinesCopyTheBytesBetweenPageAlignedMappingsThatLeaveNoFile(@TempDir Path dir) throws IOException {
        CopyBuffers b = CopyBuffers.map(dir, 1 << 20);
        assertEquals(List.of(), list(dir));
        assertEquals(0, b.src().alignmentOffset(0, 4096), "page-aligned like a window");
        assertEquals(0, b.dst().alignmentOffset(0, 4096), "page-aligned like a window");
        for (int i = 0; i < 65536; i++) {
            b.src().put(i, (byte) (i * 7 + 1));
        }
        double gbs = MemcpyBaseline.gigabytesPerSecond(b, 4096, 100);
        assertTrue(gbs > 0 && Double.isFinite(gbs), Double.toString(gbs));
        assertEquals(b.src().slice(0, 4096), b.dst().slice(0, 4096));
        assertEquals(0, b.dst().get(4096), "a 4 KiB copy stops at 4 KiB");
        gbs = TwoThreadCopy.gigabytesPerSecond(b, 65536, 3);
        assertTrue(gbs > 0 && Double.isFinite(gbs), Double.toString(gbs));
        assertEquals(b.src().slice(0, 65536), b.dst().slice(0, 65536), "both halves copied");
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.collect(Collectors.toList());
        }
    }

    @Test
    void nettyRmaMovesAndAcknowledgesTheExactBytes() throws IOException {
        long reps = 40;
        long messages = reps / 4 + 2 * reps; // the warm-up batch, then two measured ones
        try (NettyLoopback loopback = new NettyLoopback()) {
            NettyRma rma = new NettyRma(loopback);
            int seed = 0;
            for (int size : new int[] {1, 1000, 300_000}) {
                for (boolean sync : new boolean[] {false, true}) {
                    ByteBuffer src = pattern(size, ++seed);
                    ByteBuffer dst = ByteBuffer.allocateDirect(size + 64);
                    double gbs = rma.writeGbps(src, dst, reps, sync, 2);
                    assertTrue(gbs > 0 && Double.isFinite(gbs), Double.toString(gbs));
                    assertEquals(messages * size, rma.bytesAcknowledged(), "write " + size + " sync " + sync);
                    assertCopied(src, dst, "write " + size + " sync " + sync);

                    src = pattern(size, ++seed);
                    dst = ByteBuffer.allocateDirect(size + 64);
                    gbs = rma.readGbps(src, dst, reps, sync, 2);
                    assertTrue(gbs > 0 && Double.isFinite(gbs), Double.toString(gbs));
                    assertEquals(messages * size, rma.bytesAcknowledged(), "read " + size + " sync " + sync);
                    assertCopied(src, dst, "read " + size + " sync " + sync);
                }
            }
        }
    }

    /** The server's decoding does not depend on how TCP cuts the stream: here, into single bytes. */
    @Test
    void nettyRmaServerCopiesFramesCutAnywhereAndAcknowledgesEach() {
        ByteBuffer dst = ByteBuffer.allocateDirect(16);
        EmbeddedChannel ch = new EmbeddedChannel(new NettyRma.Server(dst, null, 0));
        ByteBuf wire = Unpooled.buffer();
        for (int i = 0; i < 3; i++) {
            wire.writeLong(5).writeBytes(new byte[] {1, 2, 3, 4, (byte) (10 + i)});
        }
        while (wire.isReadable()) {
            ch.writeInbound(wire.readRetainedSlice(1));
        }
        wire.release();
        ch.flushOutbound();
        for (long acked = 5; acked <= 15; acked += 5) {
            ByteBuf ack = ch.readOutbound();
            assertEquals(acked, ack.readLong());
            ack.release();
        }
        assertNull(ch.readOutbound());
        assertEquals(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 12}), dst.slice(0, 5));
        ch.finishAndReleaseAll();
    }

    private static ByteBuffer pattern(int size, int seed) {
        ByteBuffer b = ByteBuffer.allocateDirect(size);
        for (int i = 0; i < size; i++) {
            b.put(i, (byte) (i * 31 + seed));
        }
        return b;
    }

    /** {@code dst} starts with {@code src}'s bytes and holds nothing after them. */
    @Test
    void aeronPeerPinsItsThreadsRefusesACpuThatDoesNotExistAndGoesOnMeasuring(@TempDir Path dir) throws IOException {
        CpuPinning plan = CpuPinning.plan(true); // plans only: this JVM stays as it is
        try (AeronPeer aeron = new AeronPeer(dir.resolve("aeron"))) {
            IOException e = assertThrows(IOException.class, () -> aeron.pin(0, 4095));
            assertTrue(e.getMessage().contains("cpu 4095 does not exist"), e.getMessage());
            if (plan.pinned()) {
                aeron.pin(plan.parentCpu(), plan.childCpu());
            }
            assertEquals(50, aeron.roundTrips(10, 50).count(), "round trips after pinning");
            assertTrue(aeron.stream(4096, 200)[0] > 0, "streaming after pinning");
        }
        assertFalse(Files.exists(dir.resolve("aeron")), "the Aeron directory is removed");
    }

    private static void assertCopied(ByteBuffer src, ByteBuffer dst, String what) {
        int size = src.remaining();
        assertEquals(src, dst.slice(0, size), what);
        for (int i = size; i < dst.capacity(); i++) {
            assertEquals(0, dst.get(i), what + ": byte " + i + " after the message");
        }
    }
}
