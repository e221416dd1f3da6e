package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.FabricDescriptor.*;

/**
 * What a waiter for the fabric lock does about a holder that does not let go: judges it dead
 * or stopped (SIGSTOP, a debugger), and finishes, from its log, the change a stopped or dead
 * holder committed (docs/shm-format.md, "Change logs"). {@link LockWord} decides with these
 * answers whether to wait, pre-empt, take over or finish; the reaping of the dead that follows
 * a take-over is the lock's ({@link FabricLock}), in logged changes of its own.
 *
 * <p>Nothing here needs a lock: it reads the process table and the log areas, and finishing
 * is idempotent (every log entry is a compare-and-swap from the cell as it was), so the
 * holder, or other waiters, applying the same log too is harmless.
 */
final class HolderRecovery {
    private final SharedFile file;
    private final ProcessTable processes;
    private final ChangeLog.Removals removals;

    /**
     * @param file      the mapped fabric file
     * @param processes the process table, to judge a holder alive or stopped
     * @param removals  removes the files a finished log's removal entries name
     */
    HolderRecovery(SharedFile file, ProcessTable processes, ChangeLog.Removals removals) {
        this.file = file;
        this.processes = processes;
        this.removals = removals;
    }

    /** @param owner a lock word's owner id @return whether the process it names is alive */
    boolean isAlive(int owner) {
        return processes.isAlive(owner - 1);
    }

    /** @param owner a lock word's owner id @return whether the process it names is stopped */
    boolean isStopped(int owner) {
        int holderPid = owner < 0 ? -owner : owner <= MAX_PROCESSES ? processes.pid(owner - 1) : 0;
        return holderPid > 0 && ProcessIdentity.isStopped(holderPid);
    }

    /**
     * @param owner a lock word's owner id
     * @return whether its holder has a log area: a process slot's, or the one naming its pid
     */
    static boolean hasLog(int owner) {
        return owner > 0 && owner <= MAX_PROCESSES || owner < 0;
    }

    /**
     * Finishes the change that lock word {@code w} commits: the log is copied, and used only
     * if the lock word still commits it after the copy (so the copy is not a log its holder
     * began later), then applied and marked finished. A committed word with no valid log of
     * its epoch is a direct change, which nobody finishes. The log of an owner that is a
     * process slot is in that slot's area; that of an owner without a slot (minus its pid:
     * registering, or leaving) in the area whose header names its pid and the word's epoch.
     *
     * @param w a committed lock word, of a dead or stopped holder
     * @return whether the change is finished (the caller may take the lock from {@code w})
     */
    boolean finish(long w) {
        int owner = LockWord.owner(w);
        int epoch = LockWord.epochOf(w);
        long area = owner > 0 ? logArea(owner - 1) : ChangeLog.findByPid(file, -owner, epoch);
        if (area < 0) {
            return false;
        }
        long[] log = ChangeLog.read(file, area, epoch);
        if (log == null || file.getLong(H_LOCK) != w) {
            return false;
        }
        ChangeLog.apply(file, log, removals, false);
        ChangeLog.markFinished(file, area, epoch);
        return true;
    }
}
