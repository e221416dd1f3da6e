package org.scif4j.shm.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The version-3 ring on its own, a writer and a reader object over one mapped file (as the two
 * sides of a connection): a byte stream of frames whatever the sizes of writes and reads,
 * across the area's end at every alignment, with at most R - 1 bytes outstanding and the
 * zero word rule keeping stale words of earlier laps from being read as headers.
 */
class ByteRingTest {
    private static final int R = 4096;
    private static final int D = 2 * R;
    private final Path path = Path.of("/dev/shm", "scif4j-ring-" + ProcessHandle.current().pid() + "-"
        + System.nanoTime());
    private SharedFile file;
    private int ring = R;
    private ByteRing writer;
    private ByteRing reader;

    private void map(int ringSize) throws IOException {
        ring = ringSize;
        file = SharedFile.map(path, ConnectionDescriptor.fileSize(ringSize));
        writer = ring();
        reader = ring();
    }

    private ByteRing ring() {
        return new ByteRing(file, header(), data(), ring);
    }

    private long header() {
        return ConnectionDescriptor.ringHeader(0, ring);
    }

    private long data() {
        return ConnectionDescriptor.ringData(0, ring);
    }

    @AfterEach
    void unmap() throws IOException {
        if (file != null) {
            file.close();
        }
        Files.deleteIfExists(path);
    }

    @Test
    void theFileHoldsTwoAreasOf2R() {
        assertEquals(D, ConnectionDescriptor.ringDataBytes(R));
        assertEquals(167_936, ConnectionDescriptor.fileSize(4096), "docs/shm-format.md: R = 4096");
        for (int r = 4096; r <= 1 << 24; r <<= 1) {
            assertEquals(4096 + 2L * (4096 + 2L * r) + 2 * 65536 + 2 * 4096, ConnectionDescriptor.fileSize(r), "R " + r);
        }
    }

    @Test
    void spansFollowTheFormat() {
        assertEquals(16, ConnectionDescriptor.frameSpan(1), "a 1-byte frame: one word of payload");
        assertEquals(64, ConnectionDescriptor.frameSpan(56), "header and 56 bytes fill a line");
        assertEquals(72, ConnectionDescriptor.frameSpan(64), "a 64-byte message: 72 bytes, packed");
        assertEquals(16384 + 8, ConnectionDescriptor.frameSpan(16384), "a largest frame");
        for (int n = 1; n <= 300; n++) {
            int span = ConnectionDescriptor.frameSpan(n);
            assertTrue(span >= 8 + n && span < 16 + n && span % 8 == 0, "n " + n);
        }
    }

    @Test
    void atMostRMinus1BytesOutstanding() throws IOException {
        map(R);
        ByteBuffer src = ByteBuffer.allocate(10_000);
        assertEquals(R - 1, writer.write(src), "a write to an empty ring takes R - 1 bytes");
        assertEquals(0, writer.write(src), "and no more");
        assertEquals(0, writer.free());
        assertTrue(reader.readable() && reader.hasData());
        assertEquals(1, reader.read(ByteBuffer.allocate(1)));
        assertEquals(1, writer.free(), "one byte read frees one");
        assertEquals(1, writer.write(src));
        assertEquals(0, writer.write(src));
    }

    @Test
    void emptyRingHasNothing() throws IOException {
        map(R);
        assertFalse(reader.readable());
        assertFalse(reader.hasData());
        assertEquals(0, reader.read(ByteBuffer.allocate(8)));
        assertEquals(R - 1, writer.free());
    }

    /**
     * A blocking recv's first wait ({@code ShmMessages.recv}): a spin on the reader's next
     * header word that answers true only when read will return bytes, so the recv never
     * spins again without progress. A wrap word with no frame after it yet is not data: the
     * spin looks past it to the area's start, as hasData does.
     */
    @Test
    void theSpinEndsOnDataOnlyAndLooksPastAWrap() throws IOException {
        map(R);
        assertFalse(reader.spinForData(1000), "nothing written");
        writer.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertTrue(reader.spinForData(1), "a frame: seen on the first load");
        assertEquals(3, reader.read(ByteBuffer.allocate(8)));
        assertFalse(reader.spinForData(1000), "caught up");

        startAt(3L * D - 8, 40); // one word before the area's end: the writer's next word is a wrap
        file.putLong(data() + D - 8, ConnectionDescriptor.WRAP);
        file.putLong(data(), 0);
        assertFalse(reader.hasData() || reader.readable(), "a wrap word with no frame after it is no data");
        assertFalse(reader.spinForData(1000), "so the spin goes on and ends without data");
        assertEquals(0, reader.read(ByteBuffer.allocate(8)), "as read finds none");

        startAt(3L * D - 8, 40);
        byte[] bytes = {4, 5, 6, 7, 8, 9, 10, 11};
        assertEquals(8, writer.write(ByteBuffer.wrap(bytes)));
        assertEquals(ConnectionDescriptor.WRAP, file.getLong(data() + D - 8), "a wrap, then the frame at offset 0");
        assertTrue(reader.spinForData(2), "the wrap, then the frame after it");
        ByteBuffer out = ByteBuffer.allocate(8);
        assertEquals(8, reader.read(out));
        assertArrayEquals(bytes, out.array());

        startAt(3L * D, 40);
        file.putLong(data(), ConnectionDescriptor.WRAP);
        assertTrue(reader.spinForData(1), "a wrap word at offset 0 is corrupt: read reports it");
        assertEquals(-1, reader.read(ByteBuffer.allocate(8)));
    }

    @Test
    void aReadTakesPartOfAFrameOrSeveralFrames() throws IOException {
        map(R);
        writer.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        writer.write(ByteBuffer.wrap(new byte[] {4, 5, 6, 7, 8, 9, 10, 11, 12, 13}));
        ByteBuffer two = ByteBuffer.allocate(2);
        assertEquals(2, reader.read(two));
        assertArrayEquals(new byte[] {1, 2}, two.array());
        assertEquals(2, file.getLong(header() + ConnectionDescriptor.R_HEAD_TAKEN), "the offset in the frame is published");
        assertEquals(0, file.getLong(header() + ConnectionDescriptor.R_HEAD_FRAME), "still the first frame");
        assertEquals(2, file.getLong(header() + ConnectionDescriptor.R_HEAD));
        assertTrue(reader.readable() && reader.hasData(), "a partly read frame still has bytes");
        // Another reader of the same side starts from the published position.
        ByteRing takeover = ring();
        ByteBuffer rest = ByteBuffer.allocate(100);
        assertEquals(11, takeover.read(rest), "the rest of the first frame and all of the second");
        assertArrayEquals(new byte[] {3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}, Arrays.copyOf(rest.array(), 11));
        assertFalse(takeover.readable());
        assertEquals(0, file.getLong(header() + ConnectionDescriptor.R_HEAD_TAKEN));
        assertEquals(16 + 24, file.getLong(header() + ConnectionDescriptor.R_HEAD_FRAME), "past both frames");
    }

    /**
     * Every 8-byte alignment of the tail near the area's end, a lap in, with writes of sizes
     * around a line and a frame: the bytes split into frames at the end (or wrap when one word
     * is left) and arrive intact, in order, at every read size.
     */
    @Test
    void wrapsAroundAtEveryAlignment() throws IOException {
        map(R);
        int[] sizes = {1, 7, 8, 55, 56, 57, 64, 65, 200, 1000, R - 1};
        Random random = new Random(7);
        for (int back = 8; back <= 200; back += 8) {
            for (int n : sizes) {
                long start = 3L * D - back; // a lap in, so stale words of laps 0 to 2 lie around
                startAt(start, 12345);
                byte[] bytes = new byte[n];
                random.nextBytes(bytes);
                assertEquals(n, writer.write(ByteBuffer.wrap(bytes)), "back " + back + ", n " + n);
                long tailFrame = file.getLong(header() + ConnectionDescriptor.R_TAIL_FRAME);
                assertTrue(tailFrame > start && tailFrame % 8 == 0, "tail frame " + tailFrame);
                if (back == 8) {
                    assertEquals(ConnectionDescriptor.WRAP, file.getLong(data() + D - 8), "one word left: a wrap");
                }
                ByteBuffer out = ByteBuffer.allocate(n);
                int step = 1 + random.nextInt(n);
                while (out.position() < n) {
                    int r = reader.read(out.limit(Math.min(n, out.position() + step)));
                    assertTrue(r > 0, "back " + back + ", n " + n + ": read " + r + " at " + out.position());
                }
                assertArrayEquals(bytes, out.array(), "back " + back + ", n " + n);
                assertFalse(reader.hasData() || reader.readable(), "nothing after the bytes written");
                assertEquals(0, reader.read(ByteBuffer.allocate(8)));
                assertEquals(tailFrame, file.getLong(header() + ConnectionDescriptor.R_HEAD_FRAME),
                    "the reader ends where the writer did");
                assertEquals(12345 + n, file.getLong(header() + ConnectionDescriptor.R_HEAD));
            }
        }
    }

    @Test
    void anEmptyWriteWritesNoFrame() throws IOException {
        map(R);
        assertEquals(0, writer.write(ByteBuffer.allocate(0)));
        assertEquals(0, file.getLong(header() + ConnectionDescriptor.R_TAIL_FRAME), "no frame, no header of 0");
        assertEquals(8, writer.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7, 8})));
        ByteBuffer out = ByteBuffer.allocate(8);
        assertEquals(8, reader.read(out), "the next write's bytes are where the reader looks");
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, out.array());
    }

    @Test
    void sendsOfAPageAtMostWrapEarlyAndLargerOnesUseTheWholeArea() throws IOException {
        map(1 << 20); // a 2 MiB area
        int d = 2 << 20;
        for (int size : new int[] {8, 64, ByteRing.EARLY_WRAP_SEND_MAX, ByteRing.EARLY_WRAP_SEND_MAX + 1, 65536}) {
            byte[] bytes = new byte[size];
            ByteBuffer out = ByteBuffer.allocate(size);
            long farthest = 0;
            long first = file.getLong(header() + ConnectionDescriptor.R_TAIL_FRAME);
            long sends = 3L * d / ConnectionDescriptor.frameSpan(Math.min(size, ConnectionDescriptor.MAX_FRAME))
                * Math.min(size, ConnectionDescriptor.MAX_FRAME) / size; // three whole areas' worth
            for (long i = 0; i < sends; i++) {
                Arrays.fill(bytes, (byte) i);
                assertEquals(size, writer.write(ByteBuffer.wrap(bytes)), "size " + size + ", send " + i);
                long tailFrame = file.getLong(header() + ConnectionDescriptor.R_TAIL_FRAME);
                farthest = Math.max(farthest, (tailFrame - 1) & (d - 1)); // the last byte the send used
                out.clear();
                while (out.hasRemaining()) {
                    assertTrue(reader.read(out) > 0, "size " + size + ", send " + i);
                }
                assertArrayEquals(bytes, out.array(), "size " + size + ", send " + i);
            }
            long laps = file.getLong(header() + ConnectionDescriptor.R_TAIL_FRAME) / d - first / d;
            if (size <= ByteRing.EARLY_WRAP_SEND_MAX) {
                assertTrue(farthest < ByteRing.EARLY_WRAP_AT + ConnectionDescriptor.frameSpan(size),
                    "a send of " + size + " bytes starts no frame past " + ByteRing.EARLY_WRAP_AT + ": " + farthest);
                assertTrue(laps >= 3 * (d / ByteRing.EARLY_WRAP_AT) - 1, "and laps " + laps + " times");
            } else {
                assertTrue(farthest >= d - ConnectionDescriptor.frameSpan(ConnectionDescriptor.MAX_FRAME),
                    "a send of " + size + " bytes goes to the area's end: " + farthest);
            }
        }
    }

    /**
     * docs/shm-format.md, "Wrapping early": the writer wraps a small send early only when the
     * reader has taken every frame. A reader that stays one message behind has the writer
     * stream 64-byte sends through the whole area; once it keeps up again, the next lap
     * circles in the first {@link ByteRing#EARLY_WRAP_AT} bytes again. Every byte arrives in
     * order throughout.
     */
    @Test
    void smallSendsStreamThroughTheWholeAreaWhileTheReaderIsBehind() throws IOException {
        map(1 << 20); // a 2 MiB area
        int d = 2 << 20;
        int size = 64;
        long lap = d / ConnectionDescriptor.frameSpan(size);
        ByteBuffer in = ByteBuffer.allocate(size);
        long farthest = 0;
        long sent = 0;
        long received = 0;
        assertEquals(size, writer.write(message(sent++, size)));
        for (int i = 0; i < 3 * lap; i++) { // three areas' worth, the reader one message behind
            assertEquals(size, writer.write(message(sent++, size)), "send " + sent);
            farthest = Math.max(farthest, lastByteUsed(d));
            assertEquals(message(received++, size), take(in), "message " + received);
        }
        assertEquals(message(received++, size), take(in), "the last message behind");
        assertTrue(farthest >= d - ConnectionDescriptor.frameSpan(size) - 8,
            "with the reader behind, 64-byte sends go to the area's end: " + farthest);
        long caughtUpLap = file.getLong(header() + ConnectionDescriptor.R_TAIL_FRAME) / d;
        farthest = 0;
        for (int i = 0; i < 3 * lap; i++) { // the reader keeps up: each message taken at once
            assertEquals(size, writer.write(message(sent++, size)), "send " + sent);
            if (file.getLong(header() + ConnectionDescriptor.R_TAIL_FRAME) / d > caughtUpLap) {
                farthest = Math.max(farthest, lastByteUsed(d)); // from the next lap on
            }
            assertEquals(message(received++, size), take(in), "message " + received);
        }
        assertTrue(farthest > 0 && farthest < ByteRing.EARLY_WRAP_AT + ConnectionDescriptor.frameSpan(size),
            "with the reader caught up, a lap of 64-byte sends starts no frame past " + ByteRing.EARLY_WRAP_AT + ": "
                + farthest);
    }

    /** @return a {@code size}-byte message whose bytes all derive from its number {@code n} */
    private static ByteBuffer message(long n, int size) {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) (n * 31 + i);
        }
        return ByteBuffer.wrap(bytes);
    }

    /** @return the next message read whole from the ring into {@code in}, flipped for comparing */
    private ByteBuffer take(ByteBuffer in) {
        in.clear();
        while (in.hasRemaining()) {
            assertTrue(reader.read(in) > 0, "a message is waiting");
        }
        return in.flip();
    }

    /** @return the area offset of the last byte the writer's latest frame used */
    private long lastByteUsed(int d) {
        return (file.getLong(header() + ConnectionDescriptor.R_TAIL_FRAME) - 1) & (d - 1);
    }

    /**
     * Puts both sides at area position {@code p} and stream byte {@code bytes} (as a side taken
     * over would find them), over an area full of non-zero garbage but the word at {@code p}:
     * what the earlier laps of payload leave behind.
     */
    private void startAt(long p, long bytes) {
        ByteBuffer area = file.buffer(data(), D);
        while (area.hasRemaining()) {
            area.put((byte) 0x5A);
        }
        file.putLong(data() + (p & (D - 1)), 0);
        file.putLong(header() + ConnectionDescriptor.R_TAIL, bytes);
        file.putLong(header() + ConnectionDescriptor.R_TAIL_FRAME, p);
        file.putLong(header() + ConnectionDescriptor.R_HEAD, bytes);
        file.putLong(header() + ConnectionDescriptor.R_HEAD_FRAME, p);
        file.putLong(header() + ConnectionDescriptor.R_HEAD_TAKEN, 0);
        writer = ring();
        reader = ring();
    }

    @Test
    void framesHoldAtMost16KiB() throws IOException {
        map(65536);
        byte[] bytes = new byte[3 * 16384 + 5];
        new Random(3).nextBytes(bytes);
        assertEquals(bytes.length, writer.write(ByteBuffer.wrap(bytes)));
        long d = data();
        int span = 16384 + 8;
        for (int i = 0; i < 3; i++) {
            assertEquals(16384, file.getLong(d + (long) i * span), "frame " + i + " is a largest one");
        }
        assertEquals(5, file.getLong(d + 3L * span), "the rest");
        assertEquals(0, file.getLong(d + 3L * span + 16), "then the zero-ahead word");
        ByteBuffer out = ByteBuffer.allocateDirect(bytes.length + 10);
        assertEquals(bytes.length, reader.read(out), "one read takes several frames");
        byte[] got = new byte[bytes.length];
        out.flip().get(got);
        assertArrayEquals(bytes, got);
    }

    /**
     * The zero word rule: over an area of garbage (earlier laps' payload), the word where the
     * next frame will start is zero once a frame is published, so a reader that caught up
     * never takes garbage for a header, at any position and across the area's end.
     */
    @Test
    void theWriterZeroesTheNextHeaderWord() throws IOException {
        map(R);
        startAt(5L * D - 3000, 0);
        Random random = new Random(11);
        long written = 0;
        for (int i = 0; i < 2000; i++) {
            int n = 1 + random.nextInt(random.nextBoolean() ? 80 : 700);
            byte[] bytes = new byte[n];
            random.nextBytes(bytes);
            assertEquals(n, writer.write(ByteBuffer.wrap(bytes)));
            written += n;
            long next = file.getLong(header() + ConnectionDescriptor.R_TAIL_FRAME);
            assertEquals(0, file.getLong(data() + (next & (D - 1))), "the next frame's header word, write " + i);
            ByteBuffer out = ByteBuffer.allocate(n + 100);
            assertEquals(n, reader.read(out), "exactly what was written, write " + i);
            assertArrayEquals(bytes, Arrays.copyOf(out.array(), n));
            assertFalse(reader.hasData(), "caught up, write " + i);
        }
        assertTrue(written > 4L * D, "several laps: " + written);
    }

    /**
     * The zero word rule with the word zeroed ahead: 8-byte messages (16-byte frames, so every
     * fourth one ends where a cache line ends) over an area of garbage, lap after lap. After
     * each write the first word of the line after the next frame's line is zero already (the
     * writer zeroed it after publishing, wherever its room reached), and the frame that later
     * ends there, which does not store it again, still leaves a zero there; a writer taken
     * over mid-way (which knows of no word zeroed ahead) stores it as before.
     */
    @Test
    void theWriterZeroesTheNextLinesFirstWordAhead() throws IOException {
        map(R);
        startAt(3L * D - 200, 0);
        long seq = 0;
        int notAhead = 0;
        int writes = 3 * D / 16;
        for (int i = 0; i < writes; i++) {
            if (i == D / 16) {
                // a side taken over: a new writer object, over garbage ahead of the tail frame
                long tailFrame = file.getLong(header() + ConnectionDescriptor.R_TAIL_FRAME);
                long line = (tailFrame & -64) + 64;
                file.putLong(data() + (line & (D - 1)), 0x5A5A5A5A5A5A5A5AL);
                writer = ring();
            }
            ByteBuffer out = ByteBuffer.allocate(8).putLong(0, seq);
            assertEquals(8, writer.write(out), "write " + i);
            long next = file.getLong(header() + ConnectionDescriptor.R_TAIL_FRAME);
            assertEquals(0, file.getLong(data() + (next & (D - 1))), "the next frame's header word, write " + i);
            long line = (next & -64) + 64;
            if (file.getLong(data() + (line & (D - 1))) != 0) {
                notAhead++;
            }
            ByteBuffer in = ByteBuffer.allocate(16);
            assertEquals(8, reader.read(in), "write " + i);
            assertEquals(seq, in.getLong(0), "write " + i);
            assertFalse(reader.hasData(), "caught up, write " + i);
            seq++;
        }
        // The writer zeroes ahead only within the room its cached counters give: not in the
        // last line before it re-reads them (at most 4 frames a lap, as R - 1 bytes and the
        // area both last about 512 of these frames).
        assertTrue(notAhead <= 4 * (writes / 500 + 2), "the next line's first word was zeroed ahead after all but "
            + notAhead + " of " + writes + " writes");
    }

    /**
     * Many 1-byte frames fill the area before R - 1 bytes are outstanding: the writer stops
     * rather than lap an unread frame, POLLOUT says so, and every byte arrives.
     */
    @Test
    void smallFramesFillTheAreaNotMore() throws IOException {
        map(R);
        int sent = 0;
        for (int n; (n = writer.write(ByteBuffer.wrap(new byte[] {(byte) sent}))) > 0; sent += n) {
            assertTrue(sent < R, "the ring never fills");
        }
        assertTrue(sent < R - 1 && sent >= D / 16 - 8, "1-byte frames of 16 bytes fill the area: " + sent);
        assertEquals(0, writer.free(), "no POLLOUT when a send could not move a byte");
        long room = file.getLong(header() + ConnectionDescriptor.R_HEAD_FRAME) + D
            - file.getLong(header() + ConnectionDescriptor.R_TAIL_FRAME);
        assertTrue(room >= 0 && room < ByteRing.MIN_ROOM, "the writer stayed within the area: room " + room);
        ByteBuffer out = ByteBuffer.allocate(R);
        assertEquals(sent, reader.read(out));
        for (int i = 0; i < sent; i++) {
            assertEquals((byte) i, out.get(i), "byte " + i);
        }
        assertTrue(writer.free() > 0, "room again once read");
    }

    /** The writer reads the reader's counters only when its cached values leave too little room. */
    @Test
    void theWriterCachesTheReadersCounters() throws IOException {
        map(R);
        assertEquals(100, writer.write(ByteBuffer.allocate(100)));
        assertEquals(100, reader.read(ByteBuffer.allocate(100)));
        // A reader that (as far as the counters say) read nothing: 0 room if read.
        file.putLong(header() + ConnectionDescriptor.R_HEAD, 100 - (R - 1));
        file.putLong(header() + ConnectionDescriptor.R_HEAD_FRAME, 0);
        assertEquals(100, writer.write(ByteBuffer.allocate(100)), "cached: room for it, not re-read");
        assertEquals(0, writer.write(ByteBuffer.allocate(R)), "too little cached room: re-read, and none");
        file.putLong(header() + ConnectionDescriptor.R_HEAD, 200);
        file.putLong(header() + ConnectionDescriptor.R_HEAD_FRAME, 128 + 128);
        assertEquals(R - 1, writer.write(ByteBuffer.allocate(R)), "re-read: all the room");
    }

    @Test
    void aCorruptHeaderFailsTheRead() throws IOException {
        map(R);
        writer.write(ByteBuffer.allocate(10));
        reader.read(ByteBuffer.allocate(10));
        long next = 24; // a 10-byte frame at 0 spans 24 bytes
        long[] bad = {16385, -2, Long.MIN_VALUE, D};
        for (long header : bad) {
            file.putLong(data() + next, header);
            assertTrue(reader.readable(), "a non-zero header is readable: " + header);
            assertEquals(-1, reader.read(ByteBuffer.allocate(10)), "header " + header);
            assertTrue(reader.corruption().contains(Long.toString(header)), reader.corruption());
        }
        file.putLong(data() + next, 8);
        assertEquals(8, reader.read(ByteBuffer.allocate(10)), "a valid header again reads");
        startAt(D, 0);
        file.putLong(data(), ConnectionDescriptor.WRAP);
        assertEquals(-1, reader.read(ByteBuffer.allocate(10)), "a wrap at offset 0 would loop: corrupt");
    }

    /** Many laps of random write and read sizes, heap, direct and read-only buffers. */
    @Test
    void randomSizesKeepTheStreamIntact() throws IOException {
        map(R);
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
            int w = writer.write(random.nextBoolean() ? src.asReadOnlyBuffer() : src);
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
