package org.scif4j.shm.internal;

import java.util.Arrays;
import java.util.Collection;
import java.util.function.ToLongFunction;

/**
 * An immutable, sorted index of non-overlapping windows by their start offset, for the RMA
 * path: a lookup is a binary search over a {@code long[]} and allocates nothing (a
 * {@code TreeMap<Long, ...>} boxes the key and copies the entry on every lookup).
 *
 * @param <W> the window type
 */
final class OffsetIndex<W> {
    private final long[] starts;
    private final Object[] items;

    private OffsetIndex(long[] starts, Object[] items) {
        this.starts = starts;
        this.items = items;
    }

    /** @return an index of {@code windows}, which must be sorted by start and not overlap */
    static <W> OffsetIndex<W> of(Collection<W> windows, ToLongFunction<W> start) {
        long[] s = new long[windows.size()];
        Object[] it = new Object[windows.size()];
        int i = 0;
        for (W w : windows) {
            s[i] = start.applyAsLong(w);
            it[i++] = w;
        }
        return new OffsetIndex<>(s, it);
    }

    /** @return the position of the last window starting at or before {@code offset}, or -1 */
    int floor(long offset) {
        int i = Arrays.binarySearch(starts, offset);
        return i >= 0 ? i : -i - 2;
    }

    /** @param i a position @return the window there, or null past either end */
    @SuppressWarnings("unchecked")
    W at(int i) {
        return i >= 0 && i < items.length ? (W) items[i] : null;
    }

    int size() {
        return items.length;
    }
}
