package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.FabricDescriptor.*;

/**
 * The fabric's process table: one slot per JVM attached to the fabric, with its pid, start
 * time, heartbeat, state and poll doorbell. Every write to a process slot's identity is made
 * here (the node bits are {@link NodeTable}'s). Its fields are versioned cells (layout 4):
 * methods ending in {@code Locked} need the fabric lock and store their cells through it, so
 * that registering and leaving are logged changes a waiter can finish for a stopped process.
 */
final class ProcessTable {
    private final SharedFile file;

    ProcessTable(SharedFile file) {
        this.file = file;
    }

    /**
     * @param slot a process slot, or minus (pid + 1) for a process without a slot (a lock owner)
     * @return whether that process is registered here and alive (the same pid and start time)
     */
    boolean isAlive(int slot) {
        if (slot < -1) {
            return ProcessIdentity.startTime(-(slot + 1)) >= 0; // a registering process: -pid
        }
        if (slot < 0 || slot >= MAX_PROCESSES) {
            return false; // a lock word naming no process (corrupt): nobody holds it
        }
        long p = process(slot);
        return file.getInt(p + P_STATE) == P_LIVE && ProcessIdentity.isAlive(file.getInt(p + P_PID), startTime(slot));
    }

    /** @param slot a process slot in range @return the start time it holds */
    long startTime(int slot) {
        long p = process(slot);
        return FabricDescriptor.startTime(file.getInt(p + P_START_TIME), file.getInt(p + P_START_TIME_HIGH));
    }

    /** @param slot a process slot read from shared memory @return whether it is in range and LIVE */
    boolean isLive(int slot) {
        return slot >= 0 && slot < MAX_PROCESSES && file.getInt(process(slot) + P_STATE) == P_LIVE;
    }

    /** @param slot a process slot in range @return the pid it holds */
    int pid(int slot) {
        return file.getInt(process(slot) + P_PID);
    }

    /** @return how many slots are LIVE (alive or not) */
    int liveCount() {
        int n = 0;
        for (int i = 0; i < MAX_PROCESSES; i++) {
            if (isLive(i)) {
                n++;
            }
        }
        return n;
    }

    /** @param except a slot not to count @return how many other slots are LIVE */
    int liveCountExcept(int except) {
        return liveCount() - (isLive(except) ? 1 : 0);
    }

    /** @param except a slot not to look at (this process's) @return whether a LIVE slot's process is dead */
    boolean anyDead(int except) {
        for (int i = 0; i < MAX_PROCESSES; i++) {
            if (isDead(i, except)) {
                return true;
            }
        }
        return false;
    }

    /** @return whether slot {@code i} (not {@code except}) is LIVE but its process is gone */
    boolean isDead(int i, int except) {
        return i != except && isLive(i) && !isAlive(i);
    }

    /** @return the first slot that holds no live process (free, or garbage), -1 if none */
    int firstFree() {
        for (int i = 0; i < MAX_PROCESSES; i++) {
            if (!isLive(i)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Registers a process in a free slot, as one change prepared through the lock: its pid,
     * start time and nodes (none), then state LIVE, last in the log, so that a slot is LIVE
     * only once it is complete (docs/shm-format.md, attaching, step 7). The caller commits.
     */
    void claimLocked(FabricLock lock, int slot, int pid, long startTime) {
        long p = process(slot);
        lock.putCell(p + P_PID, pid);
        lock.putCell(p + P_START_TIME, (int) startTime);
        lock.putCell(p + P_START_TIME_HIGH, (int) (startTime >>> 32));
        clearNodesLocked(lock, p);
        lock.putCell(p + P_STATE, P_LIVE);
    }

    /** Frees a slot, as part of the change the lock prepares: state FREE first, then pid, start time and nodes. */
    void freeLocked(FabricLock lock, int slot) {
        long p = process(slot);
        lock.putCell(p + P_STATE, P_FREE);
        lock.putCell(p + P_PID, 0);
        lock.putCell(p + P_START_TIME, 0);
        lock.putCell(p + P_START_TIME_HIGH, 0);
        clearNodesLocked(lock, p);
    }

    /** Takes a process's nodes offline, as part of the change the lock prepares (the first step of reaping it). */
    void clearNodesLocked(FabricLock lock, int slot) {
        clearNodesLocked(lock, process(slot));
    }

    private static void clearNodesLocked(FabricLock lock, long p) {
        for (int c = 0; c < P_NODE_CELLS; c++) {
            if (lock.cellValue(p + P_NODES + 8L * c) != 0) {
                lock.putCell(p + P_NODES + 8L * c, 0);
            }
        }
    }

    /** Refreshes the heartbeat of this process's own slot (no lock: only its process writes it). */
    void heartbeat(int slot) {
        file.putLong(process(slot) + P_HEARTBEAT_MILLIS, System.currentTimeMillis());
    }

    /** @param slot a process slot @return the offset of its poll doorbell futex word */
    static long doorbell(int slot) {
        return process(slot) + P_DOORBELL;
    }
}
