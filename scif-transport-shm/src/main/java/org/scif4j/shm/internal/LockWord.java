package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.FabricDescriptor.*;

/**
 * The shared half of the fabric lock: the 64-bit lock word at header offset {@code H_LOCK}
 * (docs/shm-format.md, "The control-plane lock") and this JVM's hold of it. The word is
 * (epoch * 2 + writing) in its high half and the owner id in its low half: a process slot + 1,
 * or minus the pid of a process without a slot, 0 when free. Taking it spins, then sleeps on
 * its futex; a waiter looks at the owner every {@link #LOCK_OWNER_CHECK_NANOS} and, with
 * {@link HolderRecovery}'s answers, takes a dead owner's lock over, pre-empts an owner that
 * has not begun to write, or finishes a committed change whose owner is dead or stopped.
 *
 * <p>Not thread-safe: every method but the static ones needs {@link FabricLock}'s JVM half,
 * which is how one JVM holds the word once at a time (its fields are that hold's).
 */
final class LockWord {
    /** The writing bit of a word: the hold began to write directly, or committed its log. */
    private static final long WRITING = 1L << 32;
    private static final long LOCK_OWNER_CHECK_NANOS = 1_000_000L;
    /** How long a stopped holder that has not begun to write may keep the lock. */
    private static final long PREEMPT_NANOS = 2_000_000L;
    /** How long any holder that has not begun to write may keep the lock (descheduled, swapped out). */
    private static final long PREEMPT_IDLE_NANOS = 500_000_000L;

    private final SharedFile file;
    private final HolderRecovery recovery;
    /** The lock word of this JVM's current hold, 0 if none. */
    private long held;
    /** The owner id of the current hold. */
    private int heldBy;
    /** Whether the current hold writes directly (not through a change log). */
    private boolean direct;
    private int finishes;
    private int preemptions;

    LockWord(SharedFile file, HolderRecovery recovery) {
        this.file = file;
        this.recovery = recovery;
    }

    static long word(int owner, int epoch, boolean writing) {
        return ((long) (epoch * 2 + (writing ? 1 : 0)) << 32) | (owner & 0xffffffffL);
    }

    static int owner(long word) {
        return (int) word;
    }

    static int epochOf(long word) {
        return (int) (word >>> 32) >>> 1;
    }

    static boolean isWriting(long word) {
        return (word & WRITING) != 0;
    }

    /**
     * Takes the word as {@code me}. Waits on the futex with a bounded sleep, looking at the
     * owner every {@link #LOCK_OWNER_CHECK_NANOS}: a dead one's lock is taken over; one that
     * has not begun to write and is stopped, or has held the lock without writing for
     * {@link #PREEMPT_IDLE_NANOS}, is pre-empted after {@link #PREEMPT_NANOS}: it wrote nothing,
     * so nothing is half-done; a committed change of a dead or stopped owner is finished first.
     *
     * @param me the owner id to hold the word as
     * @return whether the word was taken from a dead owner: the caller reaps the dead (in
     *         logged changes of its own, layout 5) before it goes on
     */
    boolean take(int me) {
        long seen = 0;
        long seenSince = 0;
        long lastCheck = System.nanoTime();
        for (int spins = 0;; spins++) {
            long w = file.getLong(H_LOCK);
            int owner = owner(w);
            if (owner == 0) {
                if (install(w, me, false)) {
                    return false;
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
                boolean alive = recovery.isAlive(owner);
                if (isWriting(w) && HolderRecovery.hasLog(owner)
                    && (!alive || now - seenSince > PREEMPT_NANOS && recovery.isStopped(owner))
                    && recovery.finish(w) && install(w, me, false)) {
                    finishes++;
                    return !alive; // the dead owner's change is finished; now free its entries
                }
                if (!alive) {
                    // Not committed: the reaping that follows is logged changes (layout 5).
                    if (install(w, me, false)) {
                        return true; // the dead owner's half-done direct change was its own
                    }
                    continue;
                }
                if (!isWriting(w) && now - seenSince > PREEMPT_NANOS
                    && (now - seenSince > PREEMPT_IDLE_NANOS || recovery.isStopped(owner)) && install(w, me, false)) {
                    preemptions++;
                    return false;
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
     * Marks the hold as writing directly, after which nobody pre-empts it.
     *
     * @return false if the hold was pre-empted (the word is someone else's now)
     */
    boolean tryMarkWriting() {
        if (!file.casLong(H_LOCK, held, held | WRITING)) {
            return false;
        }
        held |= WRITING;
        direct = true;
        return true;
    }

    /**
     * Commits the hold's log (written for {@link #epoch()}) by setting the word's writing bit:
     * from here on the word names the log, and a waiter may finish it.
     *
     * @return false if the hold was pre-empted before the commit
     */
    boolean tryCommit() {
        return file.casLong(H_LOCK, held, held | WRITING);
    }

    /**
     * Re-arms the hold after its commit was applied: a new epoch, writing if {@code thenDirect}.
     *
     * @return false if a waiter finished the change meanwhile and took the word
     */
    boolean tryRearmCommitted(boolean thenDirect) {
        long next = word(heldBy, epochOf(held) + 1, thenDirect);
        if (!file.casLong(H_LOCK, held | WRITING, next)) {
            return false;
        }
        held = next;
        direct = thenDirect;
        return true;
    }

    /**
     * Ends a direct change: a new epoch, not writing, so that what the hold does next is
     * logged again.
     *
     * @return false if the word is not this hold's (only a corrupt word gets here)
     */
    boolean tryRearmDirect() {
        long next = word(heldBy, epochOf(held) + 1, false);
        if (!file.casLong(H_LOCK, held, next)) {
            return false;
        }
        held = next;
        direct = false;
        return true;
    }

    /** Frees the word, then wakes its sleepers, if any said they sleep. */
    void release() {
        direct = false;
        // Fails only for a hold pre-empted before it wrote: the lock is someone else's now.
        file.casLong(H_LOCK, held, word(0, epochOf(held), false));
        held = 0;
        if (file.getInt(H_LOCK_WAITERS) > 0) {
            Futex.wakeAll(file.address(H_LOCK));
        }
    }

    /** @return whether the word is no longer this hold's (pre-empted, or finished and taken) */
    boolean lost() {
        return file.getLong(H_LOCK) != held;
    }

    /** @return whether this JVM holds the word */
    boolean isHeld() {
        return held != 0;
    }

    /** @return whether the hold's word has its writing bit: a direct change, nobody pre-empts it */
    boolean isWriting() {
        return isWriting(held);
    }

    /** @return whether the current hold writes directly (not through a change log) */
    boolean isDirect() {
        return direct;
    }

    /** @return whether a hold prepares a logged change: its cell writes are recorded, not stored */
    boolean isLogging() {
        return held != 0 && !direct;
    }

    /** @return the owner id of the current hold */
    int heldBy() {
        return heldBy;
    }

    /** @return the current hold's epoch, which its log is written for */
    int epoch() {
        return epochOf(held);
    }

    /** @return how many stopped or idle holders this attachment pre-empted (for tests) */
    int preemptions() {
        return preemptions;
    }

    /** @return how many changes of stopped or dead holders this attachment finished (for tests) */
    int finishes() {
        return finishes;
    }
}
