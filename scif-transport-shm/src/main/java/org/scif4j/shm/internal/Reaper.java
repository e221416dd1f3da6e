package org.scif4j.shm.internal;

import java.lang.System.Logger.Level;
import java.nio.file.Path;

/**
 * Frees what dead processes left in the fabric: their endpoint slots (closed as SCIF closes
 * them, so their peers see ECONNRESET), their memory files and their process slots. A
 * watchdog thread looks for dead processes every {@value #PERIOD_MILLIS} ms, and refreshes
 * this process's heartbeat; attach, detach and a lock take-over also reap (see {@link FabricLock}).
 * Reaping is logged changes (layout 5, docs/shm-format.md, "Reaping a dead process"): of at
 * most a log each, each leaving the tables consistent, the process slot freed by the last; so
 * a reaper stopped inside one is finished by a waiter, one stopped before its commit
 * pre-empted, like any other holder.
 */
final class Reaper {
    static final long PERIOD_MILLIS = 200;
    private static final System.Logger LOG = System.getLogger("org.scif4j.shm");

    private final Path dir;
    private final FabricLock lock;
    private final ProcessTable processes;
    private final EndpointTable endpoints;
    private final int procSlot;
    private final Thread watchdog;
    private volatile boolean stopped;

    Reaper(Path dir, FabricLock lock, ProcessTable processes, EndpointTable endpoints, int procSlot) {
        this.dir = dir;
        this.lock = lock;
        this.processes = processes;
        this.endpoints = endpoints;
        this.procSlot = procSlot;
        this.watchdog = new Thread(this::watch, "scif4j-watchdog-" + dir.getFileName());
        this.watchdog.setDaemon(true);
    }

    /** Starts the watchdog. */
    void start() {
        watchdog.start();
    }

    /** Stops the watchdog and waits (bounded) for it to end: it must not touch an unmapped file. */
    void stop() {
        stopped = true;
        watchdog.interrupt();
        try {
            watchdog.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Frees the entries of every process that has died. Caller holds the lock. The changes
     * already committed stand if this throws: what is left is reaped by the next call.
     *
     * @throws Fabric.Preempted if the hold was pre-empted while it prepared a change and the tables changed
     */
    void reapDeadLocked() {
        for (int i = firstDead(); i >= 0; i = firstDead()) {
            reapLocked(i);
        }
    }

    private int firstDead() {
        for (int i = 0; i < FabricDescriptor.MAX_PROCESSES; i++) {
            if (processes.isDead(i, procSlot)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Reaps one dead process in logged changes: its nodes go offline first (so that a peer
     * woken by a close sees the node gone), then its endpoints are closed, committed whenever
     * the change holds half a log, its memory files removed (a kind 4 entry) with the last of
     * them; then its process slot is freed in a change of its own. A hold without a log area
     * of its own (a registering process) writes into the dead process's.
     */
    private void reapLocked(int dead) {
        int deadPid = processes.pid(dead);
        long deadStart = processes.startTime(dead);
        int ownLogSlot = lock.logSlot();
        if (ownLogSlot < 0) {
            lock.logInto(dead); // the dead process writes there no more, and nobody picks a live slot
        }
        try {
            processes.clearNodesLocked(lock, dead); // its nodes go offline first
            endpoints.slots().reapOwnerLocked(dead);
            lock.removeMemoryFiles(deadPid, deadStart);
            lock.commitAndGoOn("reap.committed", "reap.half-applied"); // overtaken: the slot may be another's now
            processes.freeLocked(lock, dead); // state free first, then pid, start time and nodes
            lock.commit("reap.committed", "reap.half-applied");
        } finally {
            lock.logInto(ownLogSlot);
        }
        LOG.log(Level.INFO, "scif4j: reaped dead process {0} (process slot {1}) of fabric {2}", deadPid, dead, dir);
    }

    /** {@link #reapDeadLocked}, again from the start if it was pre-empted (the lock is held again then). */
    void reapAllDeadLocked() {
        while (true) {
            try {
                reapDeadLocked();
                return;
            } catch (Fabric.Preempted e) {
                // stopped while preparing, and the tables changed: look again
            }
        }
    }

    /** Notices dead processes within a period and reaps them; keeps our heartbeat fresh. */
    private void watch() {
        while (!stopped) {
            try {
                Thread.sleep(PERIOD_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            if (stopped) {
                return;
            }
            processes.heartbeat(procSlot);
            try {
                if (processes.anyDead(procSlot)) {
                    lock.lock();
                    try {
                        reapAllDeadLocked();
                    } finally {
                        lock.unlock();
                    }
                }
            } catch (RuntimeException e) { // a corrupt table: say so, and keep watching
                LOG.log(Level.WARNING, "scif4j: reaping dead processes of " + dir + " failed: " + e);
            }
        }
    }
}
