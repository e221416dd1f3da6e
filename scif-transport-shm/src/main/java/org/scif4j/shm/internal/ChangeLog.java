package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.FabricDescriptor.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One change to the fabric's tables, prepared under the control-plane lock, and the redo log
 * it is published as (docs/shm-format.md, "Change logs"). While a hold prepares its change,
 * every cell it writes is recorded here with the cell as it was (expected) and its new value,
 * so that its own later reads see the new value and the tables see nothing yet. The log is
 * then written into the process's log area, committed by the lock word, and applied; a waiter
 * that finds a stopped or dead holder's committed log copies it ({@link #read}) and applies it
 * itself. Every entry is idempotent: a cell entry is a compare-and-swap from (value, version)
 * to (new value, version + 1), so applying a log twice, or late, changes nothing.
 *
 * <p>An entry is three longs: (offset &lt;&lt; 32 | kind), expected, new: exactly its bytes
 * in the log area, native (little-endian) order.
 */
final class ChangeLog {
    static final int KIND_CELL = 1;
    static final int KIND_WAKE = 2;
    static final int KIND_REMOVE = 3;
    /** Layout 5: remove the memory files of a dead pid (expected: its start time; new: the pid). */
    static final int KIND_REMOVE_MEMORY = 4;
    /** Log header: the hold's epoch, the state, the entry count, the checksum, the writer's pid. */
    static final int L_EPOCH = 0;
    static final int L_STATE = 4;
    static final int L_COUNT = 8;
    static final int L_CHECKSUM = 12;
    /** The pid of the process that wrote the log: how a finisher finds the log of a lock owner without a slot. */
    static final int L_PID = 16;
    static final int L_ENTRIES = 24;
    static final int ENTRY = 24;
    static final int MAX_ENTRIES = (LOG_AREA - L_ENTRIES) / ENTRY;
    static final int WRITING = 0;
    static final int WRITTEN = 1;
    static final int FINISHED = 2;

    /** Cell entries first, in the order first written; then wakes and removals. Three longs each. */
    private long[] cells = new long[3 * 16];
    private int cellCount;
    private long[] others = new long[3 * 16];
    private int otherCount;
    /** What the holder does once the change is applied, outside the log (see {@link #afterApplied}). */
    private final List<Runnable> after = new ArrayList<>();

    /**
     * The files a log's removal entries name, removed by whoever applies it (kinds 3 and 4).
     */
    interface Removals {
        /** @param connectionId a connection whose {@code conn-ID} file goes */
        void connectionFile(long connectionId);

        /**
         * @param pid a dead process whose {@code mem-PID-*} files go
         * @param startTime its start time: a live process slot holding the pid with another one is a newer process
         */
        void memoryFiles(int pid, long startTime);
    }

    /** @return whether nothing has been recorded */
    boolean isEmpty() {
        return cellCount == 0 && otherCount == 0;
    }

    /** Forgets the change (it was applied, or it is to be prepared again). */
    void clear() {
        cellCount = 0;
        otherCount = 0;
        after.clear();
    }

    /**
     * Records what the holder does once this change is applied, in this process, outside the
     * log (a finisher does not do it): resetting the plain counters of a reaped slot it
     * allocates, which only the slot's owner may do.
     *
     * @param action run by the holder once the change is applied
     */
    void afterApplied(Runnable action) {
        after.add(action);
    }

    /** @return the actions {@link #afterApplied} recorded, now forgotten here */
    List<Runnable> takeAfterApplied() {
        List<Runnable> actions = new ArrayList<>(after);
        after.clear();
        return actions;
    }

    /** @return the entries the log will hold, the "changes" cell included */
    int size() {
        return cellCount + otherCount + 1;
    }

    /** @return the index of the cell entry for {@code offset}, or -1 */
    private int find(long offset) {
        for (int i = 0; i < cellCount; i++) {
            if (cells[3 * i] >>> 32 == offset) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The pending value of a cell this change writes.
     *
     * @param offset the cell's offset
     * @param current the value to report when this change does not write it
     * @return the value this change gives it, or {@code current}
     */
    int valueOr(long offset, int current) {
        int i = cellCount == 0 ? -1 : find(offset);
        return i < 0 ? current : (int) cells[3 * i + 2];
    }

    /**
     * Records a cell's new value.
     *
     * @param offset the cell's offset
     * @param cell the cell as it is in the file now (used only the first time it is written)
     * @param value its new value
     */
    void put(long offset, long cell, int value) {
        int i = find(offset);
        if (i < 0) {
            cells = room(cells, cellCount);
            i = cellCount++;
            cells[3 * i] = offset << 32 | KIND_CELL;
            cells[3 * i + 1] = cell;
        }
        cells[3 * i + 2] = next(cells[3 * i + 1], value);
    }

    /** @param offset a futex word to bump and wake once the change is applied */
    void wake(long offset) {
        for (int i = 0; i < otherCount; i++) {
            if (others[3 * i] == (offset << 32 | KIND_WAKE)) {
                return; // one wake per word is enough
            }
        }
        add(offset << 32 | KIND_WAKE, 0, 0);
    }

    /** @param connectionId a connection whose file is to be removed once the change is applied */
    void remove(long connectionId) {
        add(KIND_REMOVE, 0, connectionId);
    }

    /**
     * @param pid a dead process whose memory files are to be removed once the change is applied
     * @param startTime its start time
     */
    void removeMemory(int pid, long startTime) {
        add(KIND_REMOVE_MEMORY, startTime, pid & 0xffffffffL);
    }

    private void add(long head, long expected, long update) {
        others = room(others, otherCount);
        int i = otherCount++;
        others[3 * i] = head;
        others[3 * i + 1] = expected;
        others[3 * i + 2] = update;
    }

    private static long[] room(long[] a, int entries) {
        return 3 * (entries + 1) <= a.length ? a : Arrays.copyOf(a, a.length * 2);
    }

    /** @return the cell after a change to {@code value}: same layout, version + 1 */
    static long next(long cell, int value) {
        return (((cell >>> 32) + 1) << 32) | (value & 0xffffffffL);
    }

    /**
     * The whole log: the cells, then "changes" bumped, then wakes and removals.
     *
     * @param changes the "changes" cell as it is now
     * @return three longs per entry
     */
    long[] entries(long changes) {
        long[] e = new long[3 * size()];
        System.arraycopy(cells, 0, e, 0, 3 * cellCount);
        int c = 3 * cellCount;
        e[c] = (long) H_CHANGES << 32 | KIND_CELL;
        e[c + 1] = changes;
        e[c + 2] = next(changes, (int) changes + 1);
        System.arraycopy(others, 0, e, c + 3, 3 * otherCount);
        return e;
    }

    // ---------------------------------------------------------------- the log area

    /**
     * Writes a log into an area: state "being written" first, then the entries, count, epoch,
     * pid and checksum, then state "written" with release order.
     *
     * @param f the fabric file
     * @param area the log area's offset
     * @param epoch the lock epoch of the hold that will commit it
     * @param pid the writer's pid
     * @param entries from {@link #entries}, at most {@link #MAX_ENTRIES}
     */
    static void write(SharedFile f, long area, int epoch, int pid, long[] entries) {
        int count = entries.length / 3;
        f.putInt(area + L_STATE, WRITING);
        for (int i = 0; i < entries.length; i++) {
            f.putLongOrdered(area + L_ENTRIES + 8L * i, entries[i]);
        }
        f.putIntOrdered(area + L_COUNT, count);
        f.putIntOrdered(area + L_EPOCH, epoch);
        f.putIntOrdered(area + L_PID, pid);
        f.putIntOrdered(area + L_CHECKSUM, checksum(epoch, count, pid, entries));
        f.putInt(area + L_STATE, WRITTEN);
    }

    /**
     * Finds the log area that the committed lock word of an owner without a slot (minus its
     * pid) names: the one whose header holds that pid and epoch. A scan of every header, on a
     * waiter's slow path only.
     *
     * @return the area's offset, or -1 if none (a direct change, or a torn log)
     */
    static long findByPid(SharedFile f, int pid, int epoch) {
        for (int i = 0; i < MAX_PROCESSES; i++) {
            long area = logArea(i);
            if (f.getInt(area + L_PID) == pid && f.getInt(area + L_EPOCH) == epoch) {
                return area;
            }
        }
        return -1;
    }

    /**
     * Copies a log out of an area and validates it. The caller checks afterwards that the
     * lock word still commits this log (so the copy is not of a log its holder began later).
     *
     * @param f the fabric file
     * @param area the log area's offset
     * @param epoch the epoch of the committed lock word
     * @return the entries, or null if the area holds no valid log of that epoch (torn, foreign)
     */
    static long[] read(SharedFile f, long area, int epoch) {
        int state = f.getInt(area + L_STATE);
        int count = f.getInt(area + L_COUNT);
        if ((state != WRITTEN && state != FINISHED) || f.getInt(area + L_EPOCH) != epoch
            || count < 1 || count > MAX_ENTRIES) {
            return null;
        }
        long[] e = new long[3 * count];
        for (int i = 0; i < e.length; i++) {
            e[i] = f.getLong(area + L_ENTRIES + 8L * i);
        }
        int pid = f.getInt(area + L_PID);
        if (f.getInt(area + L_CHECKSUM) != checksum(epoch, count, pid, e) || f.getInt(area + L_EPOCH) != epoch) {
            return null;
        }
        for (int i = 0; i < count; i++) {
            if (!valid(e[3 * i], e[3 * i + 2])) {
                return null;
            }
        }
        return e;
    }

    /** An entry's kind and offset: only the cells and futex words a change may touch. */
    static boolean valid(long head, long update) {
        int kind = (int) head;
        long off = head >>> 32;
        switch (kind) {
            case KIND_CELL:
                return off == H_CHANGES || off == H_STATE || off % 8 == 0 && (inSlot(off)
                    && (off - ENDPOINT_TABLE_OFFSET) % ENDPOINT_SLOT < E_CELLS_END
                    || inProcessTable(off) && (off - PROCESS_TABLE_OFFSET) % PROCESS_SLOT < P_CELLS_END);
            case KIND_WAKE:
                if (inSlot(off)) {
                    long field = (off - ENDPOINT_TABLE_OFFSET) % ENDPOINT_SLOT;
                    return field == E_EVENT_SEQ || field == E_SPACE_SEQ || field == E_FENCE_SEQ;
                }
                return inProcessTable(off) && (off - PROCESS_TABLE_OFFSET) % PROCESS_SLOT == P_DOORBELL;
            case KIND_REMOVE:
                return off == 0 && update > 0;
            case KIND_REMOVE_MEMORY:
                return off == 0 && update > 0 && update <= Integer.MAX_VALUE;
            default:
                return false;
        }
    }

    private static boolean inSlot(long off) {
        return off >= ENDPOINT_TABLE_OFFSET && off < LOG_AREA_OFFSET;
    }

    private static boolean inProcessTable(long off) {
        return off >= PROCESS_TABLE_OFFSET && off < ENDPOINT_TABLE_OFFSET;
    }

    /** FNV-1a over the 32-bit words of (epoch, count, pid, entries). */
    static int checksum(int epoch, int count, int pid, long[] entries) {
        int h = 0x811C9DC5;
        h = (h ^ epoch) * 0x01000193;
        h = (h ^ count) * 0x01000193;
        h = (h ^ pid) * 0x01000193;
        for (long v : entries) {
            h = (h ^ (int) v) * 0x01000193;
            h = (h ^ (int) (v >>> 32)) * 0x01000193;
        }
        return h;
    }

    /**
     * Marks a finished log, if the area still holds that epoch's log.
     *
     * @param f the fabric file
     * @param area the log area's offset
     * @param epoch the log's epoch
     */
    static void markFinished(SharedFile f, long area, int epoch) {
        long epochUnsigned = epoch & 0xffffffffL;
        f.casLong(area + L_EPOCH, (long) WRITTEN << 32 | epochUnsigned, (long) FINISHED << 32 | epochUnsigned);
    }

    /**
     * Applies a log: every entry is idempotent, so this is harmless when someone else applies
     * the same log before, at the same time, or after.
     *
     * @param f the fabric file
     * @param entries from {@link #entries} or {@link #read}
     * @param removals removes the files that removal entries name
     * @param holder whether the caller is the log's own holder (the crash point is its)
     */
    static void apply(SharedFile f, long[] entries, Removals removals, boolean holder) {
        apply(f, entries, removals, holder ? "change.half-applied" : null);
    }

    /**
     * {@link #apply(SharedFile, long[], Removals, boolean)} by the log's holder, which names
     * the crash point half-way through.
     *
     * @param halfApplied the crash point half-way, null for a waiter that finishes the log
     */
    static void apply(SharedFile f, long[] entries, Removals removals, String halfApplied) {
        int count = entries.length / 3;
        for (int i = 0; i < count; i++) {
            if (halfApplied != null && i == count / 2) {
                CrashPoint.at(halfApplied);
            }
            long head = entries[3 * i];
            long off = head >>> 32;
            switch ((int) head) {
                case KIND_CELL:
                    // Fails when applied already, or changed since by a later change: skip it.
                    f.casLong(off, entries[3 * i + 1], entries[3 * i + 2]);
                    break;
                case KIND_WAKE:
                    f.addInt(off, 1);
                    Futex.wakeAll(f.address(off));
                    break;
                case KIND_REMOVE_MEMORY:
                    removals.memoryFiles((int) entries[3 * i + 2], entries[3 * i + 1]);
                    break;
                default:
                    removals.connectionFile(entries[3 * i + 2]);
                    break;
            }
        }
    }
}
