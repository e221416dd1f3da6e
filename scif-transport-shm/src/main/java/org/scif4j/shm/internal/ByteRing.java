package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.ConnectionDescriptor.FRAME_HEADER;
import static org.scif4j.shm.internal.ConnectionDescriptor.MAX_FRAME;
import static org.scif4j.shm.internal.ConnectionDescriptor.WRAP;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import net.openhft.chronicle.core.UnsafeMemory;

/**
 * One direction of a connection: a single-producer single-consumer byte stream in shared
 * memory (layout version 3 of docs/shm-format.md, "The byte rings"). The data area of 2R
 * bytes holds frames: an 8-byte header word, then up to 16 KiB of contiguous payload, so a
 * bulk send or recv is one memory copy per frame. The reader waits on the header word of the
 * frame at its position, which shares a cache line with the first payload bytes: a small
 * message costs one cache-line transfer.
 *
 * <p>Invariants the code relies on:
 * <ul>
 * <li>The writer stores a frame's payload, then 0 into the header word where the next frame
 * starts (the zero-ahead word), then the frame's header with release order. So a reader that
 * acquires a header finds 0 or a newer header at the next frame's position, never a stale
 * word of an earlier lap (the zero word rule). Only the writer stores into the data area.
 * <li>The writer stores only below {@code headFrame + 2R} (its frames and the zero-ahead word):
 * all of that was read in the previous lap, since the reader publishes its head frame after it
 * has copied the frames below it.
 * <li>At most {@code R - 1} stream bytes are outstanding ({@code tail - head}), as SCIF keeps
 * one byte of its queue empty; the area can fill first when frames are small.
 * </ul>
 *
 * <p>A ring object is used in one role only (writer or reader), by one thread at a time: the
 * endpoint's send or receive lock serialises its users. {@link #readable()} and
 * {@link #free()} may be called from any thread.
 */
final class ByteRing {
    /** Eight bytes of any buffer (heap, direct or read-only) at any index, in native order. */
    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class,
        ByteOrder.nativeOrder());
    private static final UnsafeMemory MEMORY = UnsafeMemory.MEMORY;
    private static final long BYTES_BASE = MEMORY.arrayBaseOffset(byte[].class);
    /**
     * Copies up to this many bytes a word at a time: below it a bulk copy's fixed cost is
     * larger than the copy.
     */
    private static final int WORD_COPY_MAX = 64;
    /**
     * Room in the area that lets a send move at least one byte wherever the tail is: a wrap,
     * a 1-byte frame (16 bytes) and the zero-ahead word.
     */
    static final int MIN_ROOM = FRAME_HEADER + 2 * FRAME_HEADER + FRAME_HEADER;
    /** A cache line: the writer zeroes the first word of the next one ahead ({@link #zeroNextLine}). */
    private static final int LINE = 64;
    /**
     * Area offset from which a send of at most {@link #EARLY_WRAP_SEND_MAX} bytes wraps early
     * when the reader has taken every frame (docs/shm-format.md, "Wrapping early"): small
     * messages that the reader keeps up with circle in the area's first 256 KiB, whose pages
     * stay mapped and whose lines stay in the two cores' caches. A stream the reader is behind
     * on, like bulk sends, goes on through the whole area, whose lines the reader's caches have
     * mostly let go of by the time the writer comes round again: taking back lines the reader still
     * holds is what limited a stream of small messages when the two cores share no cache.
     */
    static final int EARLY_WRAP_AT = 256 * 1024;
    /** The largest send that wraps early: a page. */
    static final int EARLY_WRAP_SEND_MAX = 4096;

    /**
     * Addresses in this process of the ring's counters, checked against the mapping once here
     * (as {@link #area} is): the connection file stays mapped while a ring is used (the
     * endpoint unmaps it only after taking both data-path locks, and poll looks under its
     * control lock), so the calls skip {@link SharedFile}'s per-access bounds check.
     */
    private final long tailAddress;
    private final long tailFrameAddress;
    private final long headAddress;
    private final long headFrameAddress;
    private final long headTakenAddress;
    /** Address in this process of the data area's first byte. */
    private final long area;
    /** Bytes of the data area, 2R: a power of two. */
    private final int areaBytes;
    private final long areaMask;
    private final int size;
    /**
     * Whether to publish the counters with a fence: only where {@link Futex#fenceEveryProcess()}
     * cannot put the fence into this thread on a sleeper's behalf (see {@link Waiter}).
     */
    private final boolean fence = !Futex.fencesEveryProcess();
    // Writer: stream bytes written, the area position of its next frame, the head last read.
    private long tail;
    private long tailFrame;
    private long cachedHead;
    private long cachedHeadFrame;
    /**
     * Writer: the area position of the word it zeroed ahead ({@link #zeroNextLine}), or -1.
     * While it lies above the tail frame it holds 0, so a zero-ahead word there is not stored
     * again.
     */
    private long zeroedAhead = -1;
    /**
     * Writer: the area position where the lap it decided to stream through ends (the next
     * lap's start), or -1. At {@link #EARLY_WRAP_AT} a small send wraps early only if the
     * reader has taken every frame; if not, the writer streams on until the tail frame reaches
     * this position, and the next lap decides afresh.
     */
    private long streamingLapEnd = -1;
    /**
     * Writer: the most bytes {@link #write} may put into one frame at the tail frame by the
     * one-frame fast path (at most {@link #WORD_COPY_MAX}; 0 or less for none), worked out
     * after each write, off the path to the next header. It errs low only: the cached
     * counters it comes from only grow between writes, and the tail moves only in a write.
     */
    private long fastRoom;
    // Reader: stream bytes read, the area position of its frame, the payload bytes taken of it.
    private long head;
    private long headFrame;
    private int headTaken;
    /** Reader: what was wrong with the last frame that {@link #read} refused, or null. */
    private String corruption;

    ByteRing(SharedFile file, long headerOffset, long dataOffset, int size) {
        this.tailAddress = longAddress(file, headerOffset + ConnectionDescriptor.R_TAIL);
        this.tailFrameAddress = longAddress(file, headerOffset + ConnectionDescriptor.R_TAIL_FRAME);
        this.headAddress = longAddress(file, headerOffset + ConnectionDescriptor.R_HEAD);
        this.headFrameAddress = longAddress(file, headerOffset + ConnectionDescriptor.R_HEAD_FRAME);
        this.headTakenAddress = longAddress(file, headerOffset + ConnectionDescriptor.R_HEAD_TAKEN);
        this.size = size;
        this.areaBytes = ConnectionDescriptor.ringDataBytes(size);
        this.areaMask = areaBytes - 1;
        file.address(dataOffset + areaBytes - FRAME_HEADER); // the whole area is in the mapping
        this.area = file.address(dataOffset);
        // A new connection file is all zero; a side taken over starts where the last one left
        // (docs/shm-format.md): the reader's three words read until head bytes held still.
        this.tail = MEMORY.readVolatileLong(tailAddress);
        this.tailFrame = MEMORY.readVolatileLong(tailFrameAddress) & -FRAME_HEADER;
        long h;
        long hf;
        long ht;
        do {
            h = MEMORY.readVolatileLong(headAddress);
            hf = MEMORY.readVolatileLong(headFrameAddress);
            ht = MEMORY.readVolatileLong(headTakenAddress);
        } while (MEMORY.readVolatileLong(headAddress) != h);
        this.head = h;
        this.headFrame = hf & -FRAME_HEADER;
        this.headTaken = (int) Math.max(0, Math.min(ht, MAX_FRAME - 1));
        this.cachedHead = head;
        this.cachedHeadFrame = headFrame;
        this.fastRoom = fastRoom(tailFrame);
    }

    /**
     * Writer: copies as much of {@code src} as fits now, in frames, and publishes it.
     *
     * @param src bytes from position to limit; the position advances by the count written
     * @return bytes written, possibly 0
     */
    int write(ByteBuffer src) {
        int want = src.remaining();
        // A small message that fits where the tail is by the cached counters, from an array
        // or direct memory: one frame, the first turn of writeFrames' loop without the loop.
        // Never an empty one: a header of 0 is "not written", the reader would wait there.
        if (want <= fastRoom && want > 0) {
            int pos = src.position();
            Object base = baseOf(src);
            long next = storeFrame(tailFrame, src, pos, base, offsetOf(src, base), want);
            src.position(pos + want);
            published(next, want);
            return want;
        }
        return writeFrames(src);
    }

    /**
     * Writer: stores one frame of {@code k} bytes of {@code src} from {@code pos} at area
     * position {@code p}, by the zero word rule: the payload, 0 into the next frame's header
     * word, then the header with release order.
     *
     * @return the area position of the next frame
     */
    private long storeFrame(long p, ByteBuffer src, int pos, Object base, long offset, int k) {
        long at = p & areaMask;
        long to = area + at + FRAME_HEADER;
        if (offset < 0) {
            copyIn(src, pos, to, k);
        } else {
            copyIn(base, offset + pos, to, k);
        }
        long next = p + ConnectionDescriptor.frameSpan(k);
        zeroAhead(next);
        MEMORY.writeOrderedLong(area + at, k); // release: payload and zero word first
        return next;
    }

    /** {@link #write}'s general case: any size, any buffer, frames until the bytes or the room run out. */
    private int writeFrames(ByteBuffer src) {
        int want = src.remaining();
        long t = tail;
        long p = tailFrame;
        if (bytesFree(t, cachedHead) < want) {
            refreshHead();
        }
        int start = src.position();
        int pos = start;
        int end = start + (int) Math.min(want, bytesFree(t, cachedHead));
        Object base = baseOf(src);
        long offset = offsetOf(src, base);
        boolean refreshed = false;
        while (true) {
            if (pos < end) {
                long at = p & areaMask;
                long room = roomFrom(p, cachedHeadFrame) - FRAME_HEADER; // less the zero-ahead word
                long rest = areaBytes - at;
                boolean early = want <= EARLY_WRAP_SEND_MAX && at >= EARLY_WRAP_AT && rest > FRAME_HEADER
                    && p >= streamingLapEnd;
                if (early) {
                    // Once a lap: wrap early only if the reader has taken every frame before
                    // this write's (by its published head frame, not the cached one, which is
                    // usually far behind; this write may have cut its first frame short).
                    if (!refreshed) {
                        refreshHead();
                        refreshed = true;
                        room = roomFrom(p, cachedHeadFrame) - FRAME_HEADER;
                    }
                    if (cachedHeadFrame != tailFrame) { // tailFrame: where this write began
                        streamingLapEnd = p + rest;
                        early = false;
                    }
                }
                if (rest == FRAME_HEADER || early) {
                    // A wrap: one word left before the area's end (too little for a frame), or a
                    // small send past EARLY_WRAP_AT that the reader has caught up with (so the
                    // whole area is room).
                    if (room >= rest) {
                        zeroAhead(p + rest); // offset 0 of the next lap
                        MEMORY.writeOrderedLong(area + at, WRAP);
                        p += rest;
                        continue;
                    }
                } else {
                    int k = Math.min(end - pos, maxPayload(at, room));
                    if (k > 0) {
                        p = storeFrame(p, src, pos, base, offset, k);
                        pos += k;
                        continue;
                    }
                }
            }
            // Out of room by the cached counters: read the reader's once more, then stop.
            if (refreshed || pos - start == want) {
                break;
            }
            refreshHead();
            refreshed = true;
            end = start + (int) Math.min(want, bytesFree(t, cachedHead));
        }
        int written = pos - start;
        if (written == 0) {
            return 0;
        }
        src.position(pos);
        published(p, written);
        return written;
    }

    /** Writer, after storing the last header of a write: the counters, then the next line's word. */
    private void published(long p, int written) {
        long t = tail + written;
        tail = t;
        tailFrame = p;
        MEMORY.writeOrderedLong(tailFrameAddress, p);
        publish(tailAddress, t); // what free(), poll and inspectors read
        zeroNextLine(p);
        fastRoom = fastRoom(p);
    }

    /**
     * @return what writeFrames' first turn would put into one frame at area position {@code p}
     *     (not a wrap: one word left), by the cached counters, at most {@link #WORD_COPY_MAX}
     */
    private long fastRoom(long p) {
        long at = p & areaMask;
        if (areaBytes - at == FRAME_HEADER || (at >= EARLY_WRAP_AT && p >= streamingLapEnd)) {
            return 0; // a wrap, or the early-wrap decision, first: writeFrames makes it
        }
        return Math.min(WORD_COPY_MAX, Math.min(bytesFree(tail, cachedHead),
            maxPayload(at, roomFrom(p, cachedHeadFrame) - FRAME_HEADER)));
    }

    /** Writer: stores 0 into the zero-ahead word at area position {@code z}, unless it was zeroed ahead. */
    private void zeroAhead(long z) {
        if (z != zeroedAhead) {
            MEMORY.writeLong(area + (z & areaMask), 0L);
        }
    }

    /**
     * Writer, after publishing: zeroes the first word of the cache line after the one its next
     * frame starts in, if the room allows. A frame that ends where a line ends has its
     * zero-ahead word there, in a line that nothing of the frame itself stores into and that
     * the reader holds a copy of from the previous lap: stored then, before the header (as the
     * zero word rule wants), the word would make the header wait for that line's transfer
     * (measured: such frames took 60 to 80 ns longer at the 90th percentile of an 8-byte
     * round trip). Stored here, after the header is out, the transfer overlaps the wait for
     * the peer, and the frame finds its word zero already.
     *
     * <p>Invariant: while {@link #zeroedAhead} lies above the tail frame, the word there holds
     * 0. The word may be stored into (its line ends at or below {@code headFrame + 2R}, so it
     * was read in the previous lap, as for any frame), and only the writer's later frames store
     * into it, each leaving its tail frame above every word it stored (a zero-ahead word, which
     * lies at or above the next tail frame, is only ever stored 0).
     */
    private void zeroNextLine(long p) {
        long line = (p & -LINE) + LINE;
        if (line != zeroedAhead && line + FRAME_HEADER <= cachedHeadFrame + areaBytes) {
            MEMORY.writeLong(area + (line & areaMask), 0L);
            zeroedAhead = line;
        }
    }

    /** @return the address of the 8-byte field at {@code offset}, checked to lie inside the mapping */
    private static long longAddress(SharedFile file, long offset) {
        file.address(offset + Long.BYTES - 4); // its last 4 bytes are in the mapping
        return file.address(offset);
    }

    /** Writer: re-reads the reader's counters, the only reads of the reader's cache line. */
    private void refreshHead() {
        cachedHead = MEMORY.readVolatileLong(headAddress);
        cachedHeadFrame = MEMORY.readVolatileLong(headFrameAddress) & -FRAME_HEADER;
    }

    /** @return stream bytes the writer may add, from 0 to R - 1 whatever the counters hold */
    private long bytesFree(long t, long h) {
        return Math.max(0, Math.min(size - 1, size - 1 - (t - h)));
    }

    /** @return area bytes the writer may store into from area position {@code p}, 0 to 2R */
    private long roomFrom(long p, long headFramePosition) {
        return Math.max(0, Math.min(areaBytes, headFramePosition + areaBytes - p));
    }

    /**
     * The largest payload of a frame at area offset {@code at} whose span fits in
     * {@code room} bytes and ends at or before the area's end.
     */
    private int maxPayload(long at, long room) {
        return (int) Math.min(MAX_FRAME, Math.min(areaBytes - at, room) - FRAME_HEADER);
    }

    /**
     * Stores a counter with release order, the last store of a call before the caller reads
     * the peer's sleeper count. No fence between the two: a sleeper puts one into this thread
     * (Futex.fenceEveryProcess, Waiter's protocol), where it can.
     */
    private void publish(long address, long value) {
        if (fence) {
            MEMORY.writeVolatileLong(address, value);
        } else {
            MEMORY.writeOrderedLong(address, value);
        }
    }

    /**
     * Reader: copies as much as is there, up to {@code dst}'s remaining space, and frees it.
     *
     * @param dst destination from position to limit; the position advances
     * @return bytes read, possibly 0; -1 if the frame at the head is corrupt (see {@link #corruption()})
     */
    int read(ByteBuffer dst) {
        int want = dst.remaining();
        long p = headFrame;
        long at = p & areaMask;
        long header = MEMORY.readVolatileLong(area + at); // acquire: the payload is there
        // A small read that the frame at the head fills alone, from its start: readFrames'
        // first turn without the loop.
        if (headTaken == 0 && want <= header && want <= WORD_COPY_MAX && validFrame(header, at) && want > 0) {
            int pos = dst.position();
            Object base = baseOf(dst);
            takeOut(area + at + FRAME_HEADER, dst, pos, base, offsetOf(dst, base), want);
            dst.position(pos + want);
            if (want == header) {
                consumed(p + ConnectionDescriptor.frameSpan(want), 0, want);
            } else {
                consumed(p, want, want);
            }
            return want;
        }
        return readFrames(dst);
    }

    /** {@link #read}'s general case: any size, any buffer, frame after frame, wraps and corruption. */
    private int readFrames(ByteBuffer dst) {
        int want = dst.remaining();
        int pos = dst.position();
        int got = 0;
        long p = headFrame;
        int taken = headTaken;
        Object base = baseOf(dst);
        long offset = offsetOf(dst, base);
        while (got < want) {
            long at = p & areaMask;
            long header = MEMORY.readVolatileLong(area + at); // acquire: the payload is there
            if (header == 0) {
                break;
            }
            if (header == WRAP && at != 0) {
                p += areaBytes - at;
                continue;
            }
            if (!validFrame(header, at) || taken >= header) {
                corruption = "frame header " + header + " at area offset " + at + " (position " + p
                    + ", " + taken + " bytes of it read): expected 0, -1 (not at offset 0) or a length of 1 to "
                    + MAX_FRAME + " ending inside the " + areaBytes + "-byte area";
                if (got > 0) {
                    break; // deliver what came before; the next read reports it
                }
                return -1;
            }
            int n = (int) header; // read once: what the peer stores meanwhile changes nothing here
            int k = Math.min(n - taken, want - got);
            takeOut(area + at + FRAME_HEADER + taken, dst, pos + got, base, offset, k);
            got += k;
            taken += k;
            if (taken == n) {
                p += ConnectionDescriptor.frameSpan(n);
                taken = 0;
            }
        }
        if (got == 0) {
            return 0;
        }
        dst.position(pos + got);
        consumed(p, taken, got);
        return got;
    }

    /** @return whether {@code header} at area offset {@code at} is a frame: 1 to MAX_FRAME bytes ending inside the area */
    private boolean validFrame(long header, long at) {
        return header >= 1 && header <= MAX_FRAME && at + FRAME_HEADER + header <= areaBytes;
    }

    /** Reader: copies {@code k} payload bytes from {@code from} into {@code dst} at {@code pos}. */
    private static void takeOut(long from, ByteBuffer dst, int pos, Object base, long offset, int k) {
        if (offset < 0) {
            copyOut(from, dst, pos, k);
        } else {
            copyOut(from, base, offset + pos, k);
        }
    }

    /** Reader, after copying: its position is frame {@code p}, {@code taken} bytes in; publishes it. */
    private void consumed(long p, int taken, int got) {
        long h = head + got;
        head = h;
        headFrame = p;
        headTaken = taken;
        // Taken and frame before bytes: a side taken over reads them until bytes held still.
        MEMORY.writeOrderedLong(headTakenAddress, taken);
        MEMORY.writeOrderedLong(headFrameAddress, p);
        publish(headAddress, h); // frees the room
    }

    /** @return what was wrong with the frame that made {@link #read} return -1 */
    String corruption() {
        return corruption;
    }

    /**
     * The object to address {@code b}'s bytes through: its array, or null for direct memory
     * (and for a read-only heap buffer, whose array is hidden: {@link #offsetOf} is then -1).
     */
    private static Object baseOf(ByteBuffer b) {
        return b.hasArray() ? b.array() : null;
    }

    /** @return the raw offset of {@code b}'s index 0 in {@code base}, or -1 to go through the buffer */
    private static long offsetOf(ByteBuffer b, Object base) {
        if (base != null) {
            return BYTES_BASE + b.arrayOffset();
        }
        return b.isDirect() ? MEMORY.address(b) : -1;
    }

    /** Copies {@code k} bytes from raw memory (an array or direct memory) into the ring. */
    private static void copyIn(Object base, long offset, long address, int k) {
        if (k > WORD_COPY_MAX) {
            Memory.copyRaw(base, offset, null, address, k);
            return;
        }
        int i = 0;
        for (; i + Long.BYTES <= k; i += Long.BYTES) {
            MEMORY.writeLong(address + i, MEMORY.readLong(base, offset + i));
        }
        for (; i < k; i++) {
            MEMORY.writeByte(address + i, MEMORY.readByte(base, offset + i));
        }
    }

    /** Copies {@code k} bytes out of the ring into raw memory (an array or direct memory). */
    private static void copyOut(long address, Object base, long offset, int k) {
        if (k > WORD_COPY_MAX) {
            Memory.copyRaw(null, address, base, offset, k);
            return;
        }
        int i = 0;
        for (; i + Long.BYTES <= k; i += Long.BYTES) {
            MEMORY.writeLong(base, offset + i, MEMORY.readLong(address + i));
        }
        for (; i < k; i++) {
            MEMORY.writeByte(base, offset + i, MEMORY.readByte(address + i));
        }
    }

    /** Copies {@code k} bytes from a buffer without an accessible array (read-only heap) into the ring. */
    private static void copyIn(ByteBuffer src, int pos, long address, int k) {
        int i = 0;
        for (; i + Long.BYTES <= k; i += Long.BYTES) {
            MEMORY.writeLong(address + i, (long) LONGS.get(src, pos + i));
        }
        for (; i < k; i++) {
            MEMORY.writeByte(address + i, src.get(pos + i));
        }
    }

    /** Copies {@code k} bytes out of the ring into a buffer without an accessible array; see copyIn. */
    private static void copyOut(long address, ByteBuffer dst, int pos, int k) {
        int i = 0;
        for (; i + Long.BYTES <= k; i += Long.BYTES) {
            LONGS.set(dst, pos + i, MEMORY.readLong(address + i));
        }
        for (; i < k; i++) {
            dst.put(pos + i, MEMORY.readByte(address + i));
        }
    }

    /**
     * Reader only: spins on the header word at its position, the word the next bytes arrive
     * on, until a frame is there or {@code spins} loads were made: loads of one word, with a
     * pause instruction after each that finds nothing. The pause is not for power: measured on
     * a two-process round trip, the spin that pauses sees the frame sooner than one of plain
     * loads (docs/decisions.md, "Spinning with a pause"). A wrap word moves the spin to the
     * area's start, as {@link #hasData} looks past it, so that a true answer always has
     * {@link #read} return bytes (or -1 for a corrupt header), never 0.
     *
     * @param spins how many loads at most
     * @return whether a frame (or a corrupt header) is there
     */
    boolean spinForData(int spins) {
        long address = area + (headFrame & areaMask);
        for (int i = 0; i < spins; i++) {
            long header = MEMORY.readVolatileLong(address);
            if (header != 0) {
                if (header != WRAP || address == area) {
                    return true;
                }
                address = area; // the next frame starts the next lap
            }
            Thread.onSpinWait();
        }
        return false;
    }

    /**
     * Reader only: whether bytes are waiting, from the header word at its own position alone:
     * the cache line that the next bytes arrive on.
     */
    boolean hasData() {
        return waiting(headFrame);
    }

    /**
     * Whether bytes are waiting, from the published head frame (any thread). The reader never
     * stores into the area, so a head frame read just before the reader moved on still holds
     * its (non-zero) header: a stale read errs towards "readable", never loses a frame.
     */
    boolean readable() {
        return waiting(MEMORY.readVolatileLong(headFrameAddress));
    }

    /** @return whether the header at area position {@code p}, or after its wrap, is non-zero */
    private boolean waiting(long p) {
        long at = p & areaMask & -FRAME_HEADER;
        long header = MEMORY.readVolatileLong(area + at);
        if (header == WRAP && at != 0) {
            header = MEMORY.readVolatileLong(area);
        }
        return header != 0;
    }

    /**
     * @return bytes that can be written now, from the shared counters (any thread): 0 when
     *     the area has less than {@link #MIN_ROOM} bytes of room, so a send after a positive
     *     answer always moves at least one byte
     */
    long free() {
        long t = MEMORY.readVolatileLong(tailAddress);
        long p = MEMORY.readVolatileLong(tailFrameAddress);
        long h = MEMORY.readVolatileLong(headAddress);
        long hf = MEMORY.readVolatileLong(headFrameAddress);
        return roomFrom(p, hf) < MIN_ROOM ? 0 : bytesFree(t, h);
    }
}
