package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.FabricDescriptor.*;

/**
 * The fabric's process table: one slot per JVM attached to the fabric, with its pid, start
 * time, heartbeat, state and poll doorbell. Every write to a process slot's identity is made
 * here (the node bits are {@link NodeTable}'s). Methods ending in {@code Locked} need the
 * fabric lock in its writing part ({@link FabricLock#beginWrite}): the process table is
 * written directly, never through a change log.
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
        return file.getInt(p + P_STATE) == P_LIVE
            && ProcessIdentity.isAlive(file.getInt(p + P_PID), file.getLong(p + P_START_TIME));
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
     * Registers this process in a free slot: state, nodes, pid, start time and heartbeat,
     * state LIVE last, so that a slot is LIVE only once it is complete (docs/shm-format.md,
     * attaching, step 7).
     */
    void claimLocked(int slot, int pid, long startTime) {
        long p = process(slot);
        file.putInt(p + P_STATE, P_FREE);
        for (int i = 0; i < P_NODES_LONGS; i++) {
            file.putLong(p + P_NODES + 8L * i, 0);
        }
        file.putInt(p + P_PID, pid);
        CrashPoint.at("attach.slot-half-written");
        file.putLong(p + P_START_TIME, startTime);
        file.putLong(p + P_HEARTBEAT_MILLIS, System.currentTimeMillis());
        file.putInt(p + P_STATE, P_LIVE);
    }

    /** Frees a slot: its nodes, pid, then state FREE. */
    void freeLocked(int slot) {
        long p = process(slot);
        for (int i = 0; i < P_NODES_LONGS; i++) {
            file.putLong(p + P_NODES + 8L * i, 0);
        }
        file.putInt(p + P_PID, 0);
        file.putInt(p + P_STATE, P_FREE);
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
