package org.scif4j.shm.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The version-2 ring on its own, a writer and a reader object over one mapped file (as the two
 * sides of a connection): a byte stream whatever the sizes of writes and reads, across line
 * ends and laps, with at most R - 1 bytes outstanding.
 */
class ByteRingTest {
    private static final int R = 4096;
    private final Path path = Path.of("/dev/shm", "scif4j-ring-" + ProcessHandle.current().pid() + "-"
        + System.nanoTime());
    private SharedFile file;
    private ByteRing writer;
    private ByteRing reader;

    @BeforeEach
    void map() throws IOException {
        file = SharedFile.map(path, ConnectionDescriptor.fileSize(R));
        writer = ring();
        reader = ring();
    }

    private ByteRing ring() {
        return new ByteRing(file, ConnectionDescriptor.ringHeader(0, R), ConnectionDescriptor.ringData(0, R), R);
    }

    @AfterEach
    void unmap() throws IOException {
        file.close();
        Files.deleteIfExists(path);
    }

    @Test
    void lineCountCoversTheLimit() {
        assertEquals(128, ConnectionDescriptor.ringLines(4096), "docs/shm-format.md: R = 4096 gives L = 128");
        assertEquals(4736, ConnectionDescriptor.ringLines(262144), "docs/shm-format.md: R = 262144 gives L = 4736");
        for (int r = 4096; r <= 1 << 24; r <<= 1) {
            int lines = ConnectionDescriptor.ringLines(r);
            // R - 1 outstanding bytes starting at the last byte of a line touch this many lines.
            int touched = (55 + r - 2) / 56 + 1;
            assertTrue(lines > touched - 1 && lines * 64 % 4096 == 0, "R " + r + ": " + lines + " lines");
        }
    }

    @Test
    void atMostRMinus1BytesOutstanding() {
        ByteBuffer src = ByteBuffer.allocate(10_000);
        assertEquals(R - 1, writer.write(src), "a write to an empty ring takes R - 1 bytes");
        assertEquals(0, writer.write(src), "and no more");
        assertEquals(0, writer.free());
        assertTrue(reader.readable() && reader.hasData());
        ByteBuffer dst = ByteBuffer.allocate(1);
        assertEquals(1, reader.read(dst));
        assertEquals(1, writer.free(), "one byte read frees one");
        assertEquals(1, writer.write(src));
        assertEquals(0, writer.write(src));
    }

    @Test
    void emptyRingHasNothing() {
        assertFalse(reader.readable());
        assertFalse(reader.hasData());
        assertEquals(0, reader.read(ByteBuffer.allocate(8)));
        assertEquals(R - 1, writer.free());
    }

    @Test
    void aReadTakesPartOfAWriteOrSeveralWrites() {
        writer.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        writer.write(ByteBuffer.wrap(new byte[] {4, 5, 6, 7, 8, 9, 10, 11, 12, 13}));
        ByteBuffer two = ByteBuffer.allocate(2);
        assertEquals(2, reader.read(two));
        assertArrayEquals(new byte[] {1, 2}, two.array());
        ByteBuffer rest = ByteBuffer.allocate(100);
        assertEquals(11, reader.read(rest), "the rest of the first write and all of the second");
        assertArrayEquals(new byte[] {3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}, java.util.Arrays.copyOf(rest.array(), 11));
        assertFalse(reader.readable());
    }

    /** Many laps of random write and read sizes, heap and direct buffers, every line offset. */
    @Test
    void randomSizesKeepTheStreamIntact() {
        Random random = new Random(42);
        CRC32 sent = new CRC32();
        CRC32 received = new CRC32();
        long total = 0;
        long got = 0;
        ByteBuffer direct = ByteBuffer.allocateDirect(3 * R);
        ByteBuffer heap = ByteBuffer.allocate(3 * R);
        ByteBuffer in = direct;
        for (int round = 0; round < 20_000; round++) {
            in = random.nextBoolean() ? direct : heap;
            int n = random.nextInt(random.nextBoolean() ? 70 : 3 * R) + 1;
            byte[] bytes = new byte[n];
            random.nextBytes(bytes);
            ByteBuffer src = random.nextBoolean() ? ByteBuffer.wrap(bytes)
                : ByteBuffer.allocateDirect(n).put(bytes).flip();
            int w = writer.write(src.asReadOnlyBuffer());
            assertTrue(w >= 0 && w <= n && writer.free() >= 0, "write " + w + " of " + n);
            sent.update(bytes, 0, w);
            total += w;
            in.clear().limit(random.nextInt(3 * R) + 1);
            int r = reader.read(in);
            in.flip();
            assertEquals(r, in.remaining());
            byte[] out = new byte[r];
            in.get(out);
            received.update(out);
            got += r;
            assertTrue(total - got <= R - 1, "outstanding " + (total - got));
            assertEquals(got < total, reader.readable(), "readable() tells whether bytes wait");
        }
        for (int r; (r = reader.read(in.clear())) > 0; got += r) {
            in.flip();
            byte[] out = new byte[r];
            in.get(out);
            received.update(out);
        }
        assertEquals(total, got, "every byte written is read");
        assertTrue(total > 100L * R, "many laps: " + total);
        assertEquals(sent.getValue(), received.getValue(), "in order and intact");
    }
}
