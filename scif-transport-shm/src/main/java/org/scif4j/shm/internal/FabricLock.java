package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.FabricDescriptor.*;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The fabric-wide control-plane lock, shared by every process attached to one fabric: this
 * JVM's half (a {@link ReentrantLock}) and the shared half (the lock word, {@link LockWord}),
 * always taken in that order. It also publishes the change a hold prepares ({@link
 * PendingChange}): every table writer stores its cells through {@link #putCell}, so a change
 * is either logged and committed at once, or written directly by a hold nobody pre-empts.
 *
 * <p>A dead holder's lock is taken over, and the dead reaped here in logged changes of its
 * own (layout 5); a holder stopped before it commits is pre-empted; a holder stopped or dead
 * after it committed is finished by a waiter from its log ({@link HolderRecovery}). Fields
 * other than the final ones, and the {@link LockWord}'s, are guarded by {@link #jvmLock}.
 */
final class FabricLock {
    private final SharedFile file;
    private final Path dir;
    private final int procSlot;
    private final int pid = ProcessIdentity.selfPid();
    /** The slot whose log area this process's logged changes are written into, -1 for none (a direct change). */
    private int logSlot;
    /** Reaps every dead process; run with the lock held, after taking a dead holder's lock over. */
    private final Runnable reapDead;
    private final ReentrantLock jvmLock = new ReentrantLock();
    /** This JVM's hold of the shared word; guarded by {@link #jvmLock}. */
    private final LockWord word;
    /** Removes the files a log's removal entries name. */
    private final FileRemovals removals;
    /** The value of the {@code H_CHANGES} cell when the current hold began to read the tables. */
    private int readsSince;
    /**
     * Whether the last logged change committed was finished by a waiter (this process was
     * stopped or slow after committing it) and other changes were made before this process
     * took the lock again: what it read before the commit is stale.
     */
    private boolean overtaken;
    /** The change the current hold prepares, and the writes that go into it. */
    private final PendingChange pending;
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
        this.reapDead = reapDead;
        this.removals = new FileRemovals(dir, processes);
        this.word = new LockWord(file, new HolderRecovery(file, processes, removals));
        this.pending = new PendingChange(file, jvmLock, word, removals);
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

    /** @param me the owner id to hold the lock as: a process slot + 1, or minus the pid of a process without a slot */
    void lockAs(int me) {
        jvmLock.lock();
        pending.log().clear(); // a new hold prepares a new change
        takeShared(me);
        readsSince = file.getInt(H_CHANGES);
        CrashPoint.at("lock.held");
    }

    /**
     * The shared half of the lock ({@link LockWord#take}). Caller holds {@link #jvmLock}. When
     * the word was taken from a dead owner, the dead are reaped before the caller goes on.
     */
    private void takeShared(int me) {
        if (word.take(me)) {
            reapAside();
        }
    }

    /**
     * Reaps the dead, after taking a dead holder's lock over, in logged changes of its own:
     * the change the caller may have been preparing (a hold taking the lock again after a
     * pre-emption) is set aside meanwhile and given back, with what the caller had read since,
     * so that the caller finds out from "changes" that the tables changed and prepares again.
     */
    private void reapAside() {
        ChangeLog aside = pending.setAside();
        int pendingLogSlot = logSlot;
        int pendingReads = readsSince;
        readsSince = file.getInt(H_CHANGES);
        try {
            reapDead.run();
        } finally {
            pending.restore(aside);
            logSlot = pendingLogSlot;
            readsSince = pendingReads;
        }
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
        if (word.isWriting()) {
            return;
        }
        if (!pending.log().isEmpty()) {
            throw new IllegalStateException("a direct write inside a logged change");
        }
        while (!word.tryMarkWriting()) {
            retakePreempted();
        }
    }

    /** Takes the lock again after a pre-emption; @throws Fabric.Preempted if the tables changed since the hold began reading */
    private void retakePreempted() {
        takeShared(word.heldBy());
        if (file.getInt(H_CHANGES) != readsSince) {
            readsSince = file.getInt(H_CHANGES);
            pending.log().clear();
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
        if (word.isDirect() || pending.log().isEmpty()) {
            if (thenDirect) {
                beginWrite(); // may throw Preempted: nothing stored yet
            }
            return true; // a direct hold stored its cells as it went
        }
        while (true) {
            long[] log = pending.log().entries(file.getLong(H_CHANGES));
            if (logSlot < 0 || log.length / 3 > ChangeLog.MAX_ENTRIES) {
                if (logSlot >= 0) {
                    oversized++;
                }
                List<Runnable> after = pending.log().takeAfterApplied();
                pending.log().clear();
                beginWrite(); // may throw Preempted: nothing stored yet
                ChangeLog.apply(file, log, removals, false);
                after.forEach(Runnable::run);
                return true;
            }
            if (word.heldBy() < 0 && word.lost()) {
                // A registrant writes into a free slot's area: once pre-empted, that slot may
                // be another process's now, whose log it must not overwrite.
                retakePreempted();
                continue;
            }
            ChangeLog.write(file, logArea(logSlot), word.epoch(), pid, log);
            int changesAfter = (int) file.getLong(H_CHANGES) + 1; // what this change makes "changes"
            if (word.tryCommit()) {
                CrashPoint.at(committedPoint);
                ChangeLog.apply(file, log, removals, halfAppliedPoint);
                List<Runnable> after = pending.log().takeAfterApplied();
                pending.log().clear();
                after.forEach(Runnable::run); // the change is applied: what only its holder does after it
                boolean stillMine = word.tryRearmCommitted(thenDirect);
                overtaken = false;
                if (!stillMine) {
                    takeShared(word.heldBy()); // a waiter finished this change and took the lock
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
        if (!word.isDirect() || !word.isHeld()) {
            return;
        }
        putCellDirect(H_CHANGES);
        if (!word.tryRearmDirect()) {
            takeShared(word.heldBy()); // a direct hold is neither pre-empted nor finished: only a corrupt word gets here
        }
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
        if (word.isLogging() && logSlot >= 0 && jvmLock.isHeldByCurrentThread()
            && pending.log().size() > ChangeLog.MAX_ENTRIES / 2) {
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

    /** @return the change the current hold prepares, and the writes that go into it */
    PendingChange pending() {
        return pending;
    }

    /** {@link PendingChange#cellValue}. */
    int cellValue(long offset) {
        return pending.cellValue(offset);
    }

    /** {@link PendingChange#putCell}: recorded in a logged change, else stored at once. */
    void putCell(long offset, int value) {
        pending.putCell(offset, value);
    }

    /** {@link PendingChange#removeMemoryFiles}: at once, or when the logged change is applied. */
    void removeMemoryFiles(int deadPid, long startTime) {
        pending.removeMemoryFiles(deadPid, startTime);
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
        if (isLockedByMe() && !word.isWriting() && word.lost()) {
            takeShared(word.heldBy());
            readsSince = file.getInt(H_CHANGES);
            pending.log().clear();
            throw new Fabric.Preempted();
        }
    }

    /** Releases a hold taken by {@link #lockAs}: commits what it prepared, frees the word, then this JVM's half. */
    void unlockAs() {
        if (!pending.log().isEmpty()) {
            try {
                commit(); // a body that left by an exception: what it prepared is stored, as it was read
            } catch (Fabric.Preempted e) {
                System.getLogger("org.scif4j.shm").log(System.Logger.Level.WARNING, "scif4j: a change to fabric "
                    + dir + " was dropped: the lock was pre-empted and the tables changed before it was committed");
            }
        }
        if (word.isDirect()) {
            putCellDirect(H_CHANGES);
        }
        word.release();
        jvmLock.unlock();
    }

    /** @return how many stopped or idle lock holders this attachment pre-empted (for tests) */
    int preemptions() {
        return word.preemptions();
    }

    /** @return how many changes of stopped or dead holders this attachment finished (for tests) */
    int finishes() {
        return word.finishes();
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
