package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.FabricDescriptor.*;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The fabric-wide control-plane lock, shared by every process attached to one fabric: this
 * JVM's half (a {@link ReentrantLock}) and the shared half (the 64-bit lock word at header
 * offset {@code H_LOCK}, see docs/shm-format.md, "The control-plane lock"), always taken in
 * that order. It also holds the change a hold prepares ({@link ChangeLog}) and publishes it:
 * every table writer stores its cells through {@link #putCell}, so a change is either
 * logged and committed at once, or written directly by a hold nobody pre-empts.
 *
 * <p>A dead holder's lock is taken over (and the dead reaped, in logged changes of its own,
 * layout 5); a holder stopped before it commits is pre-empted; a holder stopped or dead after
 * it committed is finished by a waiter from its log. Fields other than the final ones are
 * guarded by {@link #jvmLock}.
 */
final class FabricLock {
    private static final long LOCK_OWNER_CHECK_NANOS = 1_000_000L;
    /** How long a stopped holder that has not begun to write may keep the lock. */
    private static final long PREEMPT_NANOS = 2_000_000L;
    /** How long any holder that has not begun to write may keep the lock (descheduled, swapped out). */
    private static final long PREEMPT_IDLE_NANOS = 500_000_000L;

    private final SharedFile file;
    private final Path dir;
    private final int procSlot;
    private final int pid = ProcessIdentity.selfPid();
    /** The slot whose log area this process's logged changes are written into, -1 for none (a direct change). */
    private int logSlot;
    private final ProcessTable processes;
    /** Reaps every dead process; run with the lock held, after taking a dead holder's lock over. */
    private final Runnable reapDead;
    private final ReentrantLock jvmLock = new ReentrantLock();
    /** The lock word of this JVM's current hold, 0 if none. */
    private long held;
    /** The owner id of the current hold. */
    private int heldBy;
    /** The value of the {@code H_CHANGES} cell when the current hold began to read the tables. */
    private int readsSince;
    /** Whether the current hold writes directly (not through a change log). */
    private boolean direct;
    /**
     * Whether the last logged change committed was finished by a waiter (this process was
     * stopped or slow after committing it) and other changes were made before this process
     * took the lock again: what it read before the commit is stale.
     */
    private boolean overtaken;
    /** The change the current hold prepares (another one while a lock take-over reaps, see {@link #reapAside}). */
    private ChangeLog change = new ChangeLog();
    /** Removes the files a log's removal entries name. */
    private final ChangeLog.Removals removals = new ChangeLog.Removals() {
        @Override
        public void connectionFile(long connectionId) {
            removeConnectionFileNow(connectionId);
        }

        @Override
        public void memoryFiles(int pid, long startTime) {
            removeMemoryFilesNow(pid, startTime);
        }
    };
    private int finishes;
    private int preemptions;
    /** Changes too big for a log, written directly instead (not pre-emptible). */
    private int oversized;

    /**
     * @param file      the mapped fabric file
     * @param dir       the fabric's directory (connection files, messages)
     * @param procSlot  this process's slot, {@code MAX_PROCESSES} for a process without one
     * @param processes the process table, to judge a holder alive or stopped
     * @param reapDead  reaps every dead process, with the lock held
     */
    FabricLock(SharedFile file, Path dir, int procSlot, ProcessTable processes, Runnable reapDead) {
        this.file = file;
        this.dir = dir;
        this.procSlot = procSlot;
        this.logSlot = procSlot < MAX_PROCESSES ? procSlot : -1;
        this.processes = processes;
        this.reapDead = reapDead;
    }

    /**
     * Takes the lock as this process: first this JVM's lock, then the shared word. Always in
     * that order (one global order, so no two lockers deadlock). A shared owner that died is
     * detected while waiting; the lock is taken over and the dead process reaped. An owner that
     * is stopped (SIGSTOP, a debugger) before it commits is pre-empted; it then finds out at its
     * first write ({@link #beginWrite}) or commit, see docs/shm-format.md.
     */
    void lock() {
        lockAs(procSlot + 1);
    }

    /** Releases {@link #lock()} or {@link #lockAs}. */
    void unlock() {
        unlockAs();
    }

    /**
     * Makes a registering process (which holds the lock as minus its pid and has no slot yet)
     * write its logged changes into the log area of the free slot it picked (docs/shm-format.md,
     * "A log area for processes without a slot"). Caller holds the lock.
     *
     * @param slot the process slot this hold's change claims
     */
    void logInto(int slot) {
        logSlot = slot;
    }

    /** @return the slot whose log area this hold's logged changes go to, -1 for none */
    int logSlot() {
        return logSlot;
    }

    private static long word(int owner, int epoch, boolean writing) {
        return ((long) (epoch * 2 + (writing ? 1 : 0)) << 32) | (owner & 0xffffffffL);
    }

    private static int epochOf(long word) {
        return (int) (word >>> 32) >>> 1;
    }

    private static boolean isWriting(long word) {
        return ((word >>> 32) & 1) != 0;
    }

    /** @param me the owner id to hold the lock as: a process slot + 1, or minus the pid of a process without a slot */
    void lockAs(int me) {
        jvmLock.lock();
        change.clear(); // a new hold prepares a new change
        takeShared(me);
        readsSince = file.getInt(H_CHANGES);
        CrashPoint.at("lock.held");
    }

    /**
     * The shared half of the lock. Caller holds {@link #jvmLock}. Waits on the futex with
     * a bounded sleep, looking at the owner every {@link #LOCK_OWNER_CHECK_NANOS}: a dead one's
     * lock is taken over (and the dead reaped first); one that has not begun to write and is
     * stopped, or has held the lock without writing for {@link #PREEMPT_IDLE_NANOS}, is
     * pre-empted after {@link #PREEMPT_NANOS}: it wrote nothing, so nothing is half-done.
     */
    private void takeShared(int me) {
        long seen = 0;
        long seenSince = 0;
        long lastCheck = System.nanoTime();
        for (int spins = 0;; spins++) {
            long w = file.getLong(H_LOCK);
            int owner = (int) w;
            if (owner == 0) {
                if (install(w, me, false)) {
                    return;
                }
                continue;
            }
            if (spins < 200) {
                Thread.onSpinWait();
                continue;
            }
            long now = System.nanoTime();
            if (w != seen) {
                seen = w;
                seenSince = now;
            }
            if (now - lastCheck > LOCK_OWNER_CHECK_NANOS) {
                lastCheck = now;
                boolean alive = processes.isAlive(owner - 1);
                boolean hasLog = owner > 0 && owner <= MAX_PROCESSES || owner < 0; // a slot's area, or the one naming the pid
                if (isWriting(w) && hasLog
                    && (!alive || now - seenSince > PREEMPT_NANOS && holderStopped(owner)) && finish(w, me, !alive)) {
                    return;
                }
                if (!alive) {
                    // Not committed: the reaping that follows is logged changes (layout 5).
                    if (install(w, me, false)) {
                        reapAside(); // the dead owner's half-done direct change was its own
                        return;
                    }
                    continue;
                }
                if (!isWriting(w) && now - seenSince > PREEMPT_NANOS
                    && (now - seenSince > PREEMPT_IDLE_NANOS || holderStopped(owner)) && install(w, me, false)) {
                    preemptions++;
                    return;
                }
            }
            file.addInt(H_LOCK_WAITERS, 1);
            Futex.await(file.address(H_LOCK), owner, 1_000_000L);
            file.addInt(H_LOCK_WAITERS, -1);
        }
    }

    /** Replaces lock word {@code w} by a new hold of {@code me}; @return whether it was still {@code w} */
    private boolean install(long w, int me, boolean writing) {
        long mine = word(me, epochOf(w) + 1, writing);
        if (!file.casLong(H_LOCK, w, mine)) {
            return false;
        }
        held = mine;
        heldBy = me;
        direct = writing; // the change being prepared is kept: a pre-empted hold that takes the lock again commits it
        return true;
    }

    /**
     * Finishes the change that a stopped or dead holder committed, and takes the lock: the log
     * is copied, and used only if the lock word still commits it after the copy (so the copy
     * is not a log its holder began later); applying is idempotent, so the holder, or other
     * waiters, applying it too is harmless. A committed word with no valid log of its epoch is
     * a direct change, which nobody finishes. The log of an owner that is a process slot is in
     * that slot's area; that of an owner without a slot (minus its pid: registering, or
     * leaving) in the area whose header names its pid and the word's epoch.
     *
     * @return whether the lock is now held by {@code me}
     */
    private boolean finish(long w, int me, boolean dead) {
        int owner = (int) w;
        long area = owner > 0 ? logArea(owner - 1) : ChangeLog.findByPid(file, -owner, epochOf(w));
        if (area < 0) {
            return false;
        }
        long[] log = ChangeLog.read(file, area, epochOf(w));
        if (log == null || file.getLong(H_LOCK) != w) {
            return false;
        }
        ChangeLog.apply(file, log, removals, false);
        ChangeLog.markFinished(file, area, epochOf(w));
        if (!install(w, me, false)) {
            return false;
        }
        finishes++;
        if (dead) {
            reapAside(); // the dead owner's change is finished; now free its entries
        }
        return true;
    }

    /**
     * Reaps the dead, after taking a dead holder's lock over, in logged changes of its own:
     * the change the caller may have been preparing (a hold taking the lock again after a
     * pre-emption) is set aside meanwhile and given back, with what the caller had read since,
     * so that the caller finds out from "changes" that the tables changed and prepares again.
     */
    private void reapAside() {
        ChangeLog pending = change;
        int pendingLogSlot = logSlot;
        int pendingReads = readsSince;
        change = new ChangeLog();
        readsSince = file.getInt(H_CHANGES);
        try {
            reapDead.run();
        } finally {
            change = pending;
            logSlot = pendingLogSlot;
            readsSince = pendingReads;
        }
    }

    /** @return whether the process the lock word names is stopped */
    private boolean holderStopped(int owner) {
        int holderPid = owner < 0 ? -owner : owner <= MAX_PROCESSES ? processes.pid(owner - 1) : 0;
        return holderPid > 0 && ProcessIdentity.isStopped(holderPid);
    }

    /**
     * Called before the first write of a lock hold to the shared tables: marks the hold as
     * writing, after which nobody pre-empts it. If it was pre-empted meanwhile (this process
     * was stopped while reading), the lock is taken again; if no hold wrote to the tables in
     * between, what this one read still holds and it goes on, else it throws {@link Fabric.Preempted}
     * having written nothing, and the caller runs its change again from the start.
     *
     * @throws Fabric.Preempted if the tables changed since this hold began reading them
     */
    void beginWrite() {
        if (isWriting(held)) {
            return;
        }
        if (!change.isEmpty()) {
            throw new IllegalStateException("a direct write inside a logged change");
        }
        while (!file.casLong(H_LOCK, held, held | (1L << 32))) {
            retakePreempted();
        }
        held |= 1L << 32;
        direct = true;
    }

    /** Takes the lock again after a pre-emption; @throws Fabric.Preempted if the tables changed since the hold began reading */
    private void retakePreempted() {
        takeShared(heldBy);
        if (file.getInt(H_CHANGES) != readsSince) {
            readsSince = file.getInt(H_CHANGES);
            change.clear();
            throw new Fabric.Preempted();
        }
    }

    /**
     * Publishes and applies the change this hold prepared (docs/shm-format.md, "Change
     * logs"): writes it as a redo log into this process's log area, commits it by setting the
     * lock word's committed bit (the word then names the log), applies it, and re-arms the
     * hold with a new epoch, so that the caller may go on reading and preparing. If the hold
     * was pre-empted while it prepared, the lock is taken again; if the tables changed
     * meanwhile, {@link Fabric.Preempted} is thrown (nothing was stored) and the caller prepares its
     * change again. A holder stopped after the commit is finished by a waiter; when it runs
     * again its applying changes nothing and it takes the lock again.
     *
     * <p>A process without a log area, or a change too big for a log, writes directly instead,
     * not pre-emptible, as in layout version 2.
     *
     * @throws Fabric.Preempted if the tables changed while this hold was pre-empted
     */
    void commit() {
        commit("change.committed", "change.half-applied");
    }

    /**
     * {@link #commit()}, with the names of its crash points.
     *
     * @param committedPoint the crash point once the log is committed
     * @param halfAppliedPoint the crash point half-way through applying it
     */
    void commit(String committedPoint, String halfAppliedPoint) {
        commit(committedPoint, halfAppliedPoint, false);
    }

    /**
     * {@link #commit(String, String)}, then holds the lock as a direct change (committed, with
     * no log of its epoch: nobody pre-empts it, nobody finishes it), for steps outside the
     * tables that must not be pre-empted: the last process's removal of the fabric's files.
     *
     * @return true if this process holds the lock, direct; false if a waiter finished the
     *         change meanwhile (this process was stopped or slow after committing), took the
     *         lock and did what follows; the lock is held again then, not direct
     * @throws Fabric.Preempted as {@link #commit()}
     */
    boolean commitThenHoldDirect(String committedPoint, String halfAppliedPoint) {
        return commit(committedPoint, halfAppliedPoint, true);
    }

    private boolean commit(String committedPoint, String halfAppliedPoint, boolean thenDirect) {
        if (direct || change.isEmpty()) {
            if (thenDirect) {
                beginWrite(); // may throw Preempted: nothing stored yet
            }
            return true; // a direct hold stored its cells as it went
        }
        while (true) {
            long[] log = change.entries(file.getLong(H_CHANGES));
            if (logSlot < 0 || log.length / 3 > ChangeLog.MAX_ENTRIES) {
                if (logSlot >= 0) {
                    oversized++;
                }
                List<Runnable> after = change.takeAfterApplied();
                change.clear();
                beginWrite(); // may throw Preempted: nothing stored yet
                ChangeLog.apply(file, log, removals, false);
                after.forEach(Runnable::run);
                return true;
            }
            if (heldBy < 0 && file.getLong(H_LOCK) != held) {
                // A registrant writes into a free slot's area: once pre-empted, that slot may
                // be another process's now, whose log it must not overwrite.
                retakePreempted();
                continue;
            }
            ChangeLog.write(file, logArea(logSlot), epochOf(held), pid, log);
            int changesAfter = (int) file.getLong(H_CHANGES) + 1; // what this change makes "changes"
            long committed = held | (1L << 32);
            if (file.casLong(H_LOCK, held, committed)) {
                CrashPoint.at(committedPoint);
                ChangeLog.apply(file, log, removals, halfAppliedPoint);
                List<Runnable> after = change.takeAfterApplied();
                change.clear();
                after.forEach(Runnable::run); // the change is applied: what only its holder does after it
                long next = word(heldBy, epochOf(held) + 1, thenDirect);
                boolean stillMine = file.casLong(H_LOCK, committed, next);
                overtaken = false;
                if (stillMine) {
                    held = next;
                    direct = thenDirect;
                } else {
                    takeShared(heldBy); // a waiter finished this change and took the lock
                    overtaken = file.getInt(H_CHANGES) != changesAfter; // and others changed the tables since
                }
                readsSince = file.getInt(H_CHANGES);
                return stillMine;
            }
            retakePreempted(); // the same change again, with the new epoch, if nothing changed
        }
    }

    /**
     * Ends a direct change inside a hold (reaping, removing stale files): bumps "changes" and
     * re-arms the hold with a new epoch, not committed, so that what the hold does next is
     * logged again (pre-emptible before its commit, finishable after). A no-op for a hold that
     * is not direct.
     */
    void endDirect() {
        if (!direct || held == 0) {
            return;
        }
        putCellDirect(H_CHANGES);
        long next = word(heldBy, epochOf(held) + 1, false);
        if (file.casLong(H_LOCK, held, next)) {
            held = next;
        } else {
            takeShared(heldBy); // a direct hold is neither pre-empted nor finished: only a corrupt word gets here
        }
        direct = false;
        readsSince = file.getInt(H_CHANGES);
    }

    /**
     * Commits the change prepared so far once it fills half a log, so that a long change (a
     * listener closing with a long queue) goes out as several logged changes that a waiter can
     * finish, not as one direct change that nobody can. The caller calls it only where the
     * tables, with what it prepared, are consistent: each batch is a change of its own. The
     * hold goes on (re-armed); a no-op for a direct hold.
     *
     * @throws Fabric.Preempted as {@link #commit}: the caller prepares the rest again, reading afresh
     */
    void commitIfLarge() {
        if (!direct && held != 0 && logSlot >= 0 && jvmLock.isHeldByCurrentThread()
            && change.size() > ChangeLog.MAX_ENTRIES / 2) {
            commitAndGoOn("change.committed", "change.half-applied");
        }
    }

    /**
     * Commits one change of several that a hold makes in a row (batches, reaping), for a
     * caller that goes on from what it read: if a waiter finished this change meanwhile and
     * the tables changed before this process took the lock again, what it read is stale, so
     * this throws {@link Fabric.Preempted} (the change itself is done) and the caller prepares
     * the rest afresh.
     *
     * @param committedPoint the crash point once the log is committed
     * @param halfAppliedPoint the crash point half-way through applying it
     * @throws Fabric.Preempted if the hold was pre-empted before the commit and the tables changed, or overtaken after it
     */
    void commitAndGoOn(String committedPoint, String halfAppliedPoint) {
        commit(committedPoint, halfAppliedPoint);
        if (overtaken) {
            overtaken = false;
            throw new Fabric.Preempted();
        }
    }

    /** @return how many changes of a process with a log area were too big for a log (for tests) */
    int oversized() {
        return oversized;
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
        if (jvmLock.isHeldByCurrentThread() && held != 0 && !direct) {
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
        if (jvmLock.isHeldByCurrentThread() && held != 0 && !direct) {
            change.wake(offset);
            return;
        }
        file.addInt(offset, 1);
        Futex.wakeAll(file.address(offset));
    }

    /** @param id a connection whose file goes: at once, or when the logged change is applied */
    void removeConnectionFile(long id) {
        if (jvmLock.isHeldByCurrentThread() && held != 0 && !direct) {
            change.remove(id);
            return;
        }
        removeConnectionFileNow(id);
    }

    private void removeConnectionFileNow(long id) {
        FabricFiles.deleteOwn(dir.resolve(ConnectionDescriptor.fileName(id)));
    }

    /**
     * Removes a dead process's memory files: at once, or when the logged change is applied (a
     * log entry of kind 4, layout 5).
     *
     * @param deadPid   the dead process's pid
     * @param startTime its start time, as its process slot held it
     */
    void removeMemoryFiles(int deadPid, long startTime) {
        if (jvmLock.isHeldByCurrentThread() && held != 0 && !direct) {
            change.removeMemory(deadPid, startTime);
            return;
        }
        removeMemoryFilesNow(deadPid, startTime);
    }

    /**
     * Applies a kind 4 entry: removes the {@code mem-PID-*} files of a dead pid, unless a live
     * process slot holds that pid with another start time (a newer process has the pid now:
     * the files are its own). Idempotent. Peers that map the files keep their mappings.
     */
    private void removeMemoryFilesNow(int deadPid, long startTime) {
        for (int i = 0; i < MAX_PROCESSES; i++) {
            if (processes.isLive(i) && processes.pid(i) == deadPid && processes.startTime(i) != startTime) {
                return;
            }
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "mem-" + deadPid + "-*")) {
            for (Path p : ds) {
                FabricFiles.deleteOwn(p);
            }
        } catch (IOException e) {
            System.getLogger("org.scif4j.shm").log(System.Logger.Level.WARNING,
                "scif4j: cannot remove memory files of dead process " + deadPid + ": " + e);
        }
    }

    /**
     * Runs {@code action} once the change this hold prepares is applied, by this process (not
     * by a finisher); at once outside a logged change.
     *
     * @param action what only the holder does after its change: the reset of a reaped slot's counters
     */
    void afterApplied(Runnable action) {
        if (jvmLock.isHeldByCurrentThread() && held != 0 && !direct) {
            change.afterApplied(action);
            return;
        }
        action.run();
    }

    /** {@link #beginWrite} for a write that depends on nothing read (this process's own fields). */
    void beginWriteBlind() {
        while (true) {
            try {
                beginWrite();
                return;
            } catch (Fabric.Preempted e) {
                // the lock is held again; what this write depends on is ours alone
            }
        }
    }

    /** @throws Fabric.Preempted if this hold has been pre-empted (a caller about to report what it read as corrupt) */
    void checkNotPreempted() {
        if (isLockedByMe() && !isWriting(held) && file.getLong(H_LOCK) != held) {
            takeShared(heldBy);
            readsSince = file.getInt(H_CHANGES);
            change.clear();
            throw new Fabric.Preempted();
        }
    }

    void unlockAs() {
        if (!change.isEmpty()) {
            try {
                commit(); // a body that left by an exception: what it prepared is stored, as it was read
            } catch (Fabric.Preempted e) {
                System.getLogger("org.scif4j.shm").log(System.Logger.Level.WARNING, "scif4j: a change to fabric "
                    + dir + " was dropped: the lock was pre-empted and the tables changed before it was committed");
            }
        }
        if (direct) {
            putCellDirect(H_CHANGES);
        }
        direct = false;
        // Fails only for a hold pre-empted before it wrote: the lock is someone else's now.
        file.casLong(H_LOCK, held, word(0, epochOf(held), false));
        held = 0;
        if (file.getInt(H_LOCK_WAITERS) > 0) {
            Futex.wakeAll(file.address(H_LOCK));
        }
        jvmLock.unlock();
    }

    /** @return how many stopped or idle lock holders this attachment pre-empted (for tests) */
    int preemptions() {
        return preemptions;
    }

    /** @return how many changes of stopped or dead holders this attachment finished (for tests) */
    int finishes() {
        return finishes;
    }

    private void putCellDirect(long offset) {
        while (true) {
            long cell = file.getLong(offset);
            if (file.casLong(offset, cell, ChangeLog.next(cell, (int) cell + 1))) {
                return;
            }
        }
    }

    /** @return whether the current thread holds the JVM half of the lock */
    boolean isLockedByMe() {
        return jvmLock.isHeldByCurrentThread();
    }
}
