package org.scif4j.shm.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Frees what dead processes left in the fabric: their endpoint slots (closed as SCIF closes
 * them, so their peers see ECONNRESET), their memory files and their process slots. A
 * watchdog thread looks for dead processes every {@value #PERIOD_MILLIS} ms, and refreshes
 * this process's heartbeat; every taker of the lock also reaps (see {@link FabricLock}).
 * Reaping is a direct change (layout 4 still has it so, docs/shm-format.md item 3): it is
 * never pre-empted, and nobody finishes it for the reaper; the hold goes back to logged
 * changes once it is done.
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
     * Frees the entries of every process that has died. Caller holds the lock.
     *
     * @throws Fabric.Preempted if the hold was pre-empted while it looked and the tables changed
     */
    void reapDeadLocked() {
        for (int i = 0; i < FabricDescriptor.MAX_PROCESSES; i++) {
            if (processes.isDead(i, procSlot)) {
                lock.beginWrite(); // reaping is a direct change: not pre-empted, nobody finishes it
                int deadPid = processes.pid(i);
                endpoints.reapOwnerLocked(i);
                deleteMemoryFiles(deadPid);
                processes.freeLocked(lock, i);
                LOG.log(Level.INFO, "scif4j: reaped dead process {0} (process slot {1}) of fabric {2}",
                    deadPid, i, dir);
            }
        }
        lock.endDirect(); // what the hold does next is a logged change again
    }

    /** {@link #reapDeadLocked}, again from the start if it was pre-empted (the lock is held again then). */
    void reapAllDeadLocked() {
        while (true) {
            try {
                reapDeadLocked();
                return;
            } catch (Fabric.Preempted e) {
                // stopped while looking, and the tables changed: look again
            }
        }
    }

    /** Removes a dead process's memory files; peers that map them keep their mappings. */
    private void deleteMemoryFiles(int deadPid) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "mem-" + deadPid + "-*")) {
            for (Path p : ds) {
                FabricFiles.deleteOwn(p);
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "scif4j: cannot remove memory files of dead process " + deadPid + ": " + e);
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
