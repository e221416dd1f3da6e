package org.scif4j.shm.internal;

import java.util.concurrent.locks.ReentrantLock;

/**
 * The change the current hold of the fabric lock prepares, and how each write of a table
 * writer reaches the tables: a cell write, a wake, a file removal or an after-step is
 * recorded in the change ({@link ChangeLog}) while the calling thread holds the lock and
 * prepares a logged change, so that {@link FabricLock#commit} publishes it in one piece;
 * otherwise (a direct hold, or a process's own field outside the lock) it is done at once.
 *
 * <p>The change is guarded by the fabric lock's JVM half: only the holding thread records
 * into it or reads its values, and {@link FabricLock} clears, commits and sets it aside. A
 * thread without the lock ({@link #cellValue} on the data path) reads the tables alone, with
 * one volatile load and the change's emptiness check before the lock check.
 */
final class PendingChange {
    private final SharedFile file;
    private final ReentrantLock jvmLock;
    private final LockWord word;
    private final FileRemovals removals;
    /** The change being prepared (another one while a lock take-over reaps, see {@code FabricLock.reapAside}). */
    private ChangeLog change = new ChangeLog();

    /**
     * @param file     the mapped fabric file
     * @param jvmLock  the fabric lock's JVM half
     * @param word     the lock word of this JVM's hold, which says whether the hold is logged
     * @param removals removes files at once, outside a logged change
     */
    PendingChange(SharedFile file, ReentrantLock jvmLock, LockWord word, FileRemovals removals) {
        this.file = file;
        this.jvmLock = jvmLock;
        this.word = word;
        this.removals = removals;
    }

    /** @return the change being prepared; caller holds the JVM half */
    ChangeLog log() {
        return change;
    }

    /**
     * Sets the change being prepared aside for a new, empty one. Caller holds the JVM half.
     *
     * @return the change set aside, to give back with {@link #restore}
     */
    ChangeLog setAside() {
        ChangeLog pending = change;
        change = new ChangeLog();
        return pending;
    }

    /** @param pending the change {@link #setAside} returned, prepared again from here */
    void restore(ChangeLog pending) {
        change = pending;
    }

    /** Whether the calling thread holds the lock and prepares a logged change: its writes are recorded. */
    private boolean recording() {
        return jvmLock.isHeldByCurrentThread() && word.isLogging();
    }

    /** @param offset a cell @return its value, as this hold's pending change has it if it writes it */
    int cellValue(long offset) {
        int v = file.getInt(offset);
        return change.isEmpty() || !jvmLock.isHeldByCurrentThread() ? v : change.valueOr(offset, v);
    }

    /**
     * Writes a cell: recorded in this hold's change while it prepares a logged change, else
     * stored at once by compare-and-swap (a direct hold, or a process's own field outside the
     * lock).
     *
     * @param offset a cell
     * @param value its new value
     */
    void putCell(long offset, int value) {
        if (recording()) {
            change.put(offset, file.getLong(offset), value);
            return;
        }
        while (true) {
            long cell = file.getLong(offset);
            if (file.casLong(offset, cell, ChangeLog.next(cell, value))) {
                return;
            }
        }
    }

    /** @param offset a futex word to bump and wake: at once, or when the logged change is applied */
    void wake(long offset) {
        if (recording()) {
            change.wake(offset);
            return;
        }
        file.addInt(offset, 1);
        Futex.wakeAll(file.address(offset));
    }

    /** @param id a connection whose file goes: at once, or when the logged change is applied */
    void removeConnectionFile(long id) {
        if (recording()) {
            change.remove(id);
            return;
        }
        removals.connectionFile(id);
    }

    /**
     * Removes a dead process's memory files: at once, or when the logged change is applied (a
     * log entry of kind 4, layout 5).
     *
     * @param deadPid   the dead process's pid
     * @param startTime its start time, as its process slot held it
     */
    void removeMemoryFiles(int deadPid, long startTime) {
        if (recording()) {
            change.removeMemory(deadPid, startTime);
            return;
        }
        removals.memoryFiles(deadPid, startTime);
    }

    /**
     * Runs {@code action} once the change this hold prepares is applied, by this process (not
     * by a finisher); at once outside a logged change.
     *
     * @param action what only the holder does after its change: the reset of a reaped slot's counters
     */
    void afterApplied(Runnable action) {
        if (recording()) {
            change.afterApplied(action);
            return;
        }
        action.run();
    }
}
