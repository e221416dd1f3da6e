package org.scif4j.spi;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToLongFunction;
import org.scif4j.Errno;
import org.scif4j.ScifException;

/**
 * The windows of one registered address space (scif_register(3)) by offset, with the placement and
 * unregistration rules every transport shares: MAP_FIXED overlap, LNX's top-down automatic
 * offsets, and "a run of whole windows" for unregister. Changes are serialised by this
 * object's monitor; RMA lookups read an immutable {@link Snapshot} without any lock and
 * allocate nothing.
 *
 * <p>The RAS is [0, 2^63). A window may end exactly at 2^63, where {@code offset + length}
 * overflows, so range arithmetic here uses last bytes ({@code offset + length - 1}).
 *
 * @param <W> the transport's window type
 */
public final class WindowSet<W extends WindowSet.Window> {
    /** What a transport's window tells the set. */
    public interface Window {
        /** @return the window's first offset in the RAS */
        long offset();

        /** @return its length in bytes, a multiple of the page size */
        long length();

        /** @return whether it was unregistered (its range may still be reserved) */
        boolean unregistered();

        /** @return its last offset */
        default long last() {
            return offset() + length() - 1;
        }
    }

    private final TreeMap<Long, W> windows = new TreeMap<>();
    private volatile Snapshot<W> snapshot = new Snapshot<>(new long[0], new Object[0]);

    /** An empty set: the whole registered address space is free. */
    public WindowSet() {
    }

    /** @return the windows now, for lock-free lookups */
    public Snapshot<W> snapshot() {
        return snapshot;
    }

    /**
     * @param offset first offset of a range
     * @param length its length
     * @return a window (unregistered ones included: their range is still reserved) that
     *         overlaps the range, or null
     */
    public synchronized W overlapping(long offset, long length) {
        Map.Entry<Long, W> below = windows.floorEntry(offset + length - 1);
        return below != null && below.getValue().last() >= offset ? below.getValue() : null;
    }

    /**
     * Top-down, as LNX's IOVA allocator with its limit one page below 2^63.
     *
     * @param length bytes wanted, a multiple of the page size
     * @return the start of the highest free range that fits, ending at most at 2^63 - 4096;
     *         -1 when none does
     */
    public synchronized long highestFree(long length) {
        long gapLast = Long.MAX_VALUE - Pages.PAGE;
        for (W w : windows.descendingMap().values()) {
            if (gapLast - w.last() >= length) {
                return gapLast - length + 1;
            }
            gapLast = Math.min(gapLast, w.offset() - 1);
        }
        return gapLast >= length - 1 ? gapLast - length + 1 : -1; // the gap [0, gapLast]
    }

    /**
     * The windows scif_unregister of {@code [offset, offset+length)} takes: registered ones lying
     * entirely inside, which must form an exact run of adjacent windows (G3/LNX rule).
     *
     * @param offset first offset
     * @param length bytes
     * @param call   the call, for the message
     * @return the run, in offset order
     * @throws ScifException EINVAL when the range cuts a window; ENXIO when it is not exactly a run
     */
    public synchronized List<W> wholeRun(long offset, long length, Call call) throws ScifException {
        long last = offset + length - 1;
        List<W> run = new ArrayList<>();
        Long from = windows.floorKey(offset);
        for (W w : windows.subMap(from == null ? offset : from, true, last, true).values()) {
            if (w.unregistered() || w.last() < offset) {
                continue;
            }
            if (w.offset() < offset || w.last() > last) {
                throw ScifException.of(call.text(), Errno.EINVAL, "the range cuts the window at " + w.offset() + " ("
                    + w.length() + " bytes); unregister whole windows");
            }
            run.add(w);
        }
        long next = offset;
        for (W w : run) {
            if (w.offset() != next) {
                break;
            }
            next = w.last() + 1; // wraps to Long.MIN_VALUE at 2^63, as offset + length does
        }
        if (run.isEmpty() || next != offset + length) {
            throw ScifException.of(call.text(), Errno.ENXIO, "the " + length + " bytes at " + offset
                + " are not exactly a run of whole registered windows");
        }
        return run;
    }

    /** @param w a window that overlaps none in the set */
    public synchronized void add(W w) {
        windows.put(w.offset(), w);
        publish();
    }

    /** @param w a window of the set; it leaves the set and its range is free */
    public synchronized void remove(W w) {
        if (windows.remove(w.offset(), w)) {
            publish();
        }
    }

    /** @return how many windows the set holds, unregistered ones included */
    public synchronized int size() {
        return windows.size();
    }

    /** @return every window, in offset order */
    public synchronized List<W> all() {
        return new ArrayList<>(windows.values());
    }

    /** Empties the set. */
    public synchronized void clear() {
        windows.clear();
        publish();
    }

    private void publish() {
        snapshot = snapshotOf(windows.values(), Window::offset);
    }

    /**
     * A snapshot of windows kept outside a set, such as a cache of the peer's windows that is
     * replaced as a whole.
     *
     * @param <T>     the window type
     * @param windows the windows, sorted by their first offset and not overlapping
     * @param start   a window's first offset
     * @return an immutable snapshot of them
     */
    public static <T> Snapshot<T> snapshotOf(Collection<? extends T> windows, ToLongFunction<? super T> start) {
        long[] starts = new long[windows.size()];
        Object[] items = new Object[windows.size()];
        int i = 0;
        for (T w : windows) {
            starts[i] = start.applyAsLong(w);
            items[i++] = w;
        }
        return new Snapshot<>(starts, items);
    }

    /**
     * An immutable, sorted view of the windows: a lookup is a binary search over a
     * {@code long[]} and allocates nothing.
     *
     * @param <W> the window type
     */
    public static final class Snapshot<W> {
        private final long[] starts;
        private final Object[] items;

        Snapshot(long[] starts, Object[] items) {
            this.starts = starts;
            this.items = items;
        }

        /**
         * @param offset an offset
         * @return the position of the last window starting at or before it, or -1
         */
        public int floor(long offset) {
            int i = Arrays.binarySearch(starts, offset);
            return i >= 0 ? i : -i - 2;
        }

        /**
         * @param i a position
         * @return the window there, or null past either end
         */
        @SuppressWarnings("unchecked")
        public W at(int i) {
            return i >= 0 && i < items.length ? (W) items[i] : null;
        }
    }
}
