package org.scif4j.bench.baseline;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.scif4j.bench.stats.LatencyStats;

/**
 * The baselines run to completion and clean up, and the ones that move data move the right
 * bytes; their numbers are not judged here.
 */
class BaselineTest {
    private static final String RAW_PREFIX =
        "scif4j-bench-raw-" + ProcessHandle.current().pid() + "-";

    @Test
    void rawPingPongCompletesInTwoProcessesAndLeavesNoFileInDevShm() throws IOException {
        Path shm = Path.of("/dev/shm");
        org.junit.jupiter.api.Assumptions.assumeTrue(
            Files.isDirectory(shm) && Files.isWritable(shm), "no writable /dev/shm");
        LatencyStats s = new RawShmPingPong(shm, List.of()).run(1_000, 5_000);
        assertEquals(5_000, s.count());
        assertTrue(s.median() > 0 && s.median() <= s.p99() && s.p99() <= s.max(), s.toString());
        assertEquals(List.of(), ours(shm));
    }

    @Test
    void rawPingPongInAnyDirectoryLeavesItEmpty(@TempDir Path dir) throws IOException {
        LatencyStats s = new RawShmPingPong(dir, List.of()).run(0, 100);
        assertEquals(100, s.count());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(), files.collect(Collectors.toList()));
        }
    }

    @Test
    void memcpyReportsAThroughput() {
        double gbs = MemcpyBaseline.gigabytesPerSecond(64 * 1024, 16L << 20);
        assertTrue(gbs > 0 && Double.isFinite(gbs), Double.toString(gbs));
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
    private static void assertCopied(ByteBuffer src, ByteBuffer dst, String what) {
        int size = src.remaining();
        assertEquals(src, dst.slice(0, size), what);
        for (int i = size; i < dst.capacity(); i++) {
            assertEquals(0, dst.get(i), what + ": byte " + i + " after the message");
        }
    }

    private static List<Path> ours(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith(RAW_PREFIX))
                .collect(Collectors.toList());
        }
    }
}
