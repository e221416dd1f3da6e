package org.scif4j.shm.internal;

import java.nio.ByteBuffer;

/**
 * One direction of a connection: a single-producer single-consumer byte ring in shared
 * memory. The writer owns the tail counter, the reader the head counter; both only grow, so
 * {@code tail - head} is the number of bytes outstanding, at most {@code size - 1} (SCIF keeps
 * one byte of its 4096-byte queue empty, and so do we). Each side caches the other's counter
 * and re-reads it only when the cached value does not suffice.
 *
 * <p>A ring object is used in one role only (writer or reader), by one thread at a time: the
 * endpoint's send or receive lock serialises its users.
 */
final class ByteRing {
    private final SharedFile file;
    private final long tailOffset;
    private final long headOffset;
    private final ByteBuffer data;
    private final int size;
    private final int mask;
    private long tail;
    private long head;
    private long cachedHead;
    private long cachedTail;

    ByteRing(SharedFile file, long headerOffset, long dataOffset, int size) {
        this.file = file;
        this.tailOffset = headerOffset + ConnectionDescriptor.R_TAIL;
        this.headOffset = headerOffset + ConnectionDescriptor.R_HEAD;
        this.data = file.buffer(dataOffset, size);
        this.size = size;
        this.mask = size - 1;
        this.tail = file.getLong(tailOffset);
        this.head = file.getLong(headOffset);
        this.cachedHead = head;
        this.cachedTail = tail;
    }

    /**
     * Writer: copies as much of {@code src} as fits now and publishes it.
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
        int index = (int) (t & mask);
        int first = Math.min(n, size - index);
        int pos = src.position();
        data.put(index, src, pos, first);
        if (n > first) {
            data.put(0, src, pos + first, n - first);
        }
        src.position(pos + n);
        tail = t + n;
        file.putLong(tailOffset, tail); // volatile: ordered before the read of the sleeper count
        return n;
    }

    /**
     * Reader: copies as much as is there, up to {@code dst}'s remaining space, and frees it.
     *
     * @param dst destination from position to limit; the position advances
     * @return bytes read, possibly 0
     */
    int read(ByteBuffer dst) {
        int want = dst.remaining();
        long h = head;
        long avail = cachedTail - h;
        if (avail < want) {
            cachedTail = file.getLong(tailOffset);
            avail = cachedTail - h;
        }
        int n = (int) Math.min(avail, want);
        if (n <= 0) {
            return 0;
        }
        int index = (int) (h & mask);
        int first = Math.min(n, size - index);
        int pos = dst.position();
        dst.put(pos, data, index, first);
        if (n > first) {
            dst.put(pos + first, data, 0, n - first);
        }
        dst.position(pos + n);
        head = h + n;
        file.putLong(headOffset, head);
        return n;
    }

    /**
     * Reader only: whether bytes are waiting, reading the writer's counter alone (one cache
     * line). Touching the data line here as well was measured to slow the round trip: the
     * writer's stores then have to take the line back from the spinning reader.
     */
    boolean hasData() {
        return file.getLong(tailOffset) != head;
    }

    /** @return bytes waiting to be read, from the shared counters (any thread) */
    long available() {
        return file.getLong(tailOffset) - file.getLong(headOffset);
    }

    /** @return bytes that can be written now, from the shared counters (any thread) */
    long free() {
        return size - 1 - available();
    }

    /** @return bytes ever written into this ring */
    long totalWritten() {
        return file.getLong(tailOffset);
    }
}
