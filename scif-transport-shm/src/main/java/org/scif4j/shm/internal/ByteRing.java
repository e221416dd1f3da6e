package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.ConnectionDescriptor.LINE;
import static org.scif4j.shm.internal.ConnectionDescriptor.LINE_BYTES;
import static org.scif4j.shm.internal.ConnectionDescriptor.LINE_BYTES_AT;
import static org.scif4j.shm.internal.ConnectionDescriptor.LINE_MARK;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import net.openhft.chronicle.core.UnsafeMemory;

/**
 * One direction of a connection: a single-producer single-consumer byte stream in shared
 * memory (layout version 2 of docs/shm-format.md). The data area is a ring of 64-byte lines,
 * each a fill mark and 56 stream bytes; the mark is the stream position just past the last
 * byte written into the line. A reader waits on the mark of its line, which shares the cache
 * line with the bytes it announces: a small message costs one cache-line transfer, where a
 * separate tail counter costs two (the counter, then the data).
 *
 * <p>The writer owns the tail counter, the reader the head counter; both only grow, so
 * {@code tail - head} is the number of bytes outstanding, at most {@code size - 1} (SCIF keeps
 * one byte of its 4096-byte queue empty, and so do we). The writer caches the head and
 * re-reads it only when the cached value leaves too little room. Marks only grow, so a mark
 * left from an earlier lap is never greater than a position of the current one.
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

    private final SharedFile file;
    private final long tailOffset;
    private final long headOffset;
    /** Offset in the file of line 0's mark. */
    private final long linesOffset;
    /** Address in this process of line 0's first stream byte. */
    private final long bytesAddress;
    private final int size;
    private final int lines;
    /**
     * Whether to publish the counters with a fence: only where {@link Futex#fenceEveryProcess()}
     * cannot put the fence into this thread on a sleeper's behalf (see {@link Waiter}).
     */
    private final boolean fence = !Futex.fencesEveryProcess();
    // Writer: the tail, its line and its offset among the line's bytes; the head last read.
    private long tail;
    private int tailLine;
    private int tailAt;
    private long cachedHead;
    // Reader: the head, its line and its offset among the line's bytes.
    private long head;
    private int headLine;
    private int headAt;

    ByteRing(SharedFile file, long headerOffset, long dataOffset, int size) {
        this.file = file;
        this.tailOffset = headerOffset + ConnectionDescriptor.R_TAIL;
        this.headOffset = headerOffset + ConnectionDescriptor.R_HEAD;
        this.linesOffset = dataOffset;
        this.lines = ConnectionDescriptor.ringLines(size);
        this.bytesAddress = file.address(dataOffset + LINE_BYTES_AT);
        this.size = size;
        this.tail = file.getLong(tailOffset);
        this.tailLine = lineOf(tail);
        this.tailAt = (int) (tail % LINE_BYTES);
        this.head = file.getLong(headOffset);
        this.headLine = lineOf(head);
        this.headAt = (int) (head % LINE_BYTES);
        this.cachedHead = head;
    }

    private int lineOf(long position) {
        return (int) ((position / LINE_BYTES) % lines);
    }

    private long mark(int line) {
        return file.getLong(linesOffset + (long) line * LINE + LINE_MARK);
    }

    /**
     * Writer: copies as much of {@code src} as fits now and publishes it, line by line.
     *
     * @param src bytes from position to limit; the position advances by the count written
     * @return bytes written, possibly 0
     */
    int write(ByteBuffer src) {
        int want = src.remaining();
        long t = tail;
        long free = size - 1 - (t - cachedHead);
        if (free < want) {
            cachedHead = file.getLong(headOffset);
            free = size - 1 - (t - cachedHead);
        }
        int n = (int) Math.min(free, want);
        if (n <= 0) {
            return 0;
        }
        int pos = src.position();
        int end = pos + n;
        int line = tailLine;
        int at = tailAt;
        // The bytes of every line first, then the marks of the lines after the first, then
        // the first line's mark, the one a reader that caught up waits on: so a reader never
        // chases the writer line by line through a long write (each line would then cross
        // between the cores several times), and sees the whole write at once.
        Object base = baseOf(src);
        long offset = offsetOf(src, base);
        while (pos < end) {
            int k = Math.min(end - pos, LINE_BYTES - at);
            long to = bytesAddress + (long) line * LINE + at;
            if (offset < 0) {
                copyIn(src, pos, to, k);
            } else {
                copyIn(base, offset + pos, to, k);
            }
            pos += k;
            at += k;
            if (at == LINE_BYTES && pos < end) {
                at = 0;
                line = line + 1 == lines ? 0 : line + 1;
            }
        }
        publishMarks(t, t + n);
        t += n;
        if (at == LINE_BYTES) {
            at = 0;
            line = line + 1 == lines ? 0 : line + 1;
        }
        src.position(end);
        tail = t;
        tailLine = line;
        tailAt = at;
        publish(tailOffset, t); // what free() and inspectors read
        return n;
    }

    /**
     * Stores a counter with release order, the last store of a call before the caller reads
     * the peer's sleeper count. No fence between the two: a sleeper puts one into this thread
     * (Futex.fenceEveryProcess, Waiter's protocol), where it can.
     */
    private void publish(long offset, long value) {
        if (fence) {
            file.putLong(offset, value);
        } else {
            file.putLongOrdered(offset, value);
        }
    }

    /**
     * Reader: copies as much as is there, up to {@code dst}'s remaining space, and frees it.
     *
     * @param dst destination from position to limit; the position advances
     * @return bytes read, possibly 0
     */
    int read(ByteBuffer dst) {
        int want = dst.remaining();
        int pos = dst.position();
        int got = 0;
        long h = head;
        int line = headLine;
        int at = headAt;
        Object base = baseOf(dst);
        long offset = offsetOf(dst, base);
        while (got < want) {
            long there = Math.min(mark(line), h - at + LINE_BYTES) - h; // acquire
            if (there <= 0) {
                break;
            }
            int k = (int) Math.min(there, want - got);
            long from = bytesAddress + (long) line * LINE + at;
            if (offset < 0) {
                copyOut(from, dst, pos + got, k);
            } else {
                copyOut(from, base, offset + pos + got, k);
            }
            got += k;
            h += k;
            at += k;
            if (at == LINE_BYTES) {
                at = 0;
                line = line + 1 == lines ? 0 : line + 1;
            }
        }
        if (got == 0) {
            return 0;
        }
        dst.position(pos + got);
        head = h;
        headLine = line;
        headAt = at;
        publish(headOffset, h); // frees the room
        return got;
    }

    /**
     * Stores the fill marks of the lines holding stream bytes {@code from} to {@code to - 1},
     * with release order, the first line's last.
     */
    private void publishMarks(long from, long to) {
        long firstEnd = from - tailAt + LINE_BYTES; // stream position where the first line ends
        int line = tailLine;
        for (long start = firstEnd; start < to; start += LINE_BYTES) {
            line = line + 1 == lines ? 0 : line + 1;
            putMark(line, Math.min(to, start + LINE_BYTES));
        }
        // Release, as every mark: a reader that sees it sees the bytes and marks stored before it.
        putMark(tailLine, Math.min(to, firstEnd));
    }

    private void putMark(int line, long mark) {
        file.putLongOrdered(linesOffset + (long) line * LINE + LINE_MARK, mark);
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

    /** Copies {@code k} bytes (at most a line's) from raw memory into the ring, a word at a time. */
    private static void copyIn(Object base, long offset, long address, int k) {
        int i = 0;
        for (; i + Long.BYTES <= k; i += Long.BYTES) {
            MEMORY.writeLong(address + i, MEMORY.readLong(base, offset + i));
        }
        for (; i < k; i++) {
            MEMORY.writeByte(address + i, MEMORY.readByte(base, offset + i));
        }
    }

    /** Copies {@code k} bytes (at most a line's) out of the ring into raw memory. */
    private static void copyOut(long address, Object base, long offset, int k) {
        int i = 0;
        for (; i + Long.BYTES <= k; i += Long.BYTES) {
            MEMORY.writeLong(base, offset + i, MEMORY.readLong(address + i));
        }
        for (; i < k; i++) {
            MEMORY.writeByte(base, offset + i, MEMORY.readByte(address + i));
        }
    }

    /**
     * Copies {@code k} bytes (at most a line's 56) from {@code src} into the ring a word at a
     * time: cheaper than a bulk buffer copy, whose fixed cost is several times that of 56 bytes.
     */
    private static void copyIn(ByteBuffer src, int pos, long address, int k) {
        int i = 0;
        for (; i + Long.BYTES <= k; i += Long.BYTES) {
            MEMORY.writeLong(address + i, (long) LONGS.get(src, pos + i));
        }
        for (; i < k; i++) {
            MEMORY.writeByte(address + i, src.get(pos + i));
        }
    }

    /** Copies {@code k} bytes (at most a line's 56) out of the ring into {@code dst}; see copyIn. */
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
     * Reader only: whether bytes are waiting, from the mark of the head's line alone: the
     * cache line that the next bytes arrive on.
     */
    boolean hasData() {
        return mark(headLine) > head;
    }

    /** @return whether bytes are waiting to be read, from the shared head (any thread) */
    boolean readable() {
        long h = file.getLong(headOffset);
        return mark(lineOf(h)) > h;
    }

    /** @return bytes that can be written now, from the shared counters (any thread) */
    long free() {
        return size - 1 - (file.getLong(tailOffset) - file.getLong(headOffset));
    }
}
