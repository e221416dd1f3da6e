package org.scif4j.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * FrameReader's part-read-frame clock, which the frame deadline reads: it starts with the
 * first bytes of a frame that spans reads, keeps running while that frame arrives, learns the
 * frame's size once its prefix is whole, stops when it completes, starts afresh for a frame
 * that begins after a completed one, and only moves on a restart if nothing changed it.
 */
class FrameReaderTest {
    private final FrameReader reader = new FrameReader(System::nanoTime);
    private final List<Integer> frames = new ArrayList<>();

    private void feed(int... bytes) {
        ByteBuf b = Unpooled.buffer(bytes.length);
        for (int x : bytes) {
            b.writeByte(x);
        }
        assertNull(reader.feed(ByteBufAllocator.DEFAULT, b, f -> {
            frames.add(f.readableBytes());
            f.release();
            return true;
        }));
    }

    @Test
    void clockRunsFromTheFirstByteOfAFrameUntilItIsWhole() {
        assertEquals(FrameReader.NONE, reader.partialSince());
        feed(0, 0); // half a prefix
        long since = reader.partialSince();
        assertNotEquals(FrameReader.NONE, since);
        assertEquals(4, reader.partialBytes(), "the size is unknown until the prefix is whole");
        feed(0, 3, 1); // the prefix (3 bytes follow) and one of them
        assertEquals(since, reader.partialSince(), "the same frame: its clock keeps running");
        assertEquals(7, reader.partialBytes());
        assertEquals(5, reader.partialArrived());
        feed(2, 3);
        assertEquals(List.of(3), frames);
        assertEquals(FrameReader.NONE, reader.partialSince(), "no frame in progress");
        reader.release();
    }

    @Test
    void aFrameBegunAfterACompletedOneHasItsOwnClock() {
        feed(0, 0, 0, 1);
        long old = reader.partialSince() - 10_000_000_000L;
        reader.restartClock(reader.partialSince(), old); // as if the first frame began 10 s ago
        feed(9, 0, 0, 0, 2, 7); // completes the first frame, begins a second
        assertEquals(List.of(1), frames);
        assertEquals(6, reader.partialBytes());
        assertNotEquals(FrameReader.NONE, reader.partialSince());
        assertTrue(reader.partialSince() - old >= 10_000_000_000L, "the second frame's clock started with this read");
        reader.release();
        assertEquals(FrameReader.NONE, reader.partialSince());
    }

    @Test
    void restartMovesOnlyTheClockItSaw() {
        feed(0, 0, 0, 5, 1);
        long since = reader.partialSince();
        reader.restartClock(since - 1, since + 1_000_000_000L); // a stale reading: ignored
        assertEquals(since, reader.partialSince());
        reader.restartClock(since, since + 1_000_000_000L);
        assertEquals(since + 1_000_000_000L, reader.partialSince());
        reader.release();
    }

    /** Feeds {@code b} (released by the reader); the frames' bodies go to {@code kept}, retained. */
    private void feedKeeping(ByteBuf b, List<ByteBuf> kept) {
        assertNull(reader.feed(ByteBufAllocator.DEFAULT, b, f -> {
            kept.add(f);
            return true;
        }));
    }

    private static ByteBuf bytes(int... bytes) {
        ByteBuf b = Unpooled.buffer(bytes.length);
        for (int x : bytes) {
            b.writeByte(x);
        }
        return b;
    }

    @Test
    void aFrameInProgressHoldsOnlyTheReadsItLiesIn() {
        // As when a receive queue keeps frames: every read completes a frame the queue takes
        // and begins the next, and the queue is emptied between reads.
        List<ByteBuf> kept = new ArrayList<>();
        ByteBuf first = bytes(0, 0, 0, 1, 9, 0, 0).retain();
        feedKeeping(first, kept);
        ByteBuf second = bytes(0, 1, 7, 0, 0).retain();
        feedKeeping(second, kept);
        assertEquals(2, kept.size());
        kept.forEach(ByteBuf::release);
        kept.clear();
        ByteBuf third = bytes(0, 1, 8, 0, 0).retain();
        feedKeeping(third, kept);
        assertEquals(1, kept.size());
        assertEquals(8, kept.get(0).getByte(kept.get(0).readerIndex()));
        assertEquals(1, first.refCnt(), "the first read, wholly consumed, is held by the reader no more");
        kept.forEach(ByteBuf::release);
        kept.clear();
        feedKeeping(bytes(0, 1, 6), kept);
        assertEquals(1, kept.size());
        assertEquals(6, kept.get(0).getByte(kept.get(0).readerIndex()));
        kept.forEach(ByteBuf::release);
        assertEquals(1, second.refCnt(), "every read consumed and released");
        assertEquals(1, third.refCnt(), "every read consumed and released");
        assertEquals(0, reader.pending());
        first.release();
        second.release();
        third.release();
    }

    @Test
    void readsThatAdjoinInOneBufferMakeOneSlice() {
        // As a user reader reads on into its buffer's tail: frames spanning reads.
        ByteBuf root = Unpooled.directBuffer(64);
        root.writeBytes(new byte[] {0, 0, 0, 3, 1, 2, 3, 0, 0, 0, 2, 4, 5});
        List<ByteBuf> kept = new ArrayList<>();
        int[] cuts = {0, 2, 5, 9, 12, 13};
        for (int i = 1; i < cuts.length; i++) {
            feedKeeping(root.retainedSlice(cuts[i - 1], cuts[i] - cuts[i - 1]), kept);
        }
        assertEquals(2, kept.size());
        assertEquals(3, kept.get(0).readableBytes());
        assertEquals(1, kept.get(0).getByte(kept.get(0).readerIndex()));
        assertEquals(2, kept.get(1).readableBytes());
        assertEquals(5, kept.get(1).getByte(kept.get(1).readerIndex() + 1));
        kept.forEach(ByteBuf::release);
        assertEquals(0, reader.pending());
        assertEquals(1, root.refCnt(), "every slice of the buffer was released");
        root.release();
    }
}
