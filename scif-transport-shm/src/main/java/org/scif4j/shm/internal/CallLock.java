package org.scif4j.shm.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * The lock that serialises one direction of an endpoint's data path (its sends, or its
 * receives), cheaper to release than a {@code ReentrantLock}: an uncontended call pays one
 * compare-and-swap to take it and a plain release store to give it back, where
 * {@code ReentrantLock} releases with a volatile store (a full fence, measured at about a
 * quarter of an 8-byte send plus recv). Not reentrant.
 *
 * <p>No lost wake-up, with the asymmetric fence of {@link Waiter}: a waiter (1) queues itself
 * and adds itself to {@code waiters} (atomic), (2) runs {@link Futex#fenceEveryProcess()},
 * (3) tries the lock, and only then (4) parks. The holder (5) releases with a release store
 * and (6) reads {@code waiters}; if non-zero it unparks the first queued thread. After (2),
 * either (6) comes after the barrier it put into the holder's thread and sees the waiter, or
 * (5) came before it and (3) finds the lock free. Where that barrier is missing, (5) is a
 * volatile store. A waiter that leaves without the lock (interrupted) unparks the next one,
 * which may have been passed a wake-up meant for it.
 *
 * <p><b>Bias.</b> Most endpoints send (or receive) from one thread, so the lock is biased to
 * the first thread that takes it: that thread takes it with a release store of
 * {@code biased = 1} and a load of {@code revoked}, no atomic instruction (the compare-and-swap
 * was the largest item of an 8-byte send plus recv in one thread, JMH {@code sendRecv8}). The
 * first other thread that needs the lock revokes the bias for good: it stores {@code revoked}
 * (volatile) and runs {@link Futex#fenceThisProcess()}; from then on every thread, the owner
 * too, takes the lock by {@code state}, and only while {@code biased} is 0 (else it waits like
 * any waiter: the owner's clearing of {@code biased} wakes the first waiter, with the same
 * protocol as a release of {@code state}). <b>Invariant:</b> once a thread has run the barrier
 * after {@code revoked} was visible, the owner holds the lock by its bias only if that hold
 * shows as {@code biased = 1}. It is the asymmetric Dekker handshake of {@link CopyGuard}: the
 * owner's store of {@code biased} and its load of {@code revoked} stay in program order in the
 * compiled code (ordered VarHandle accesses, which the JIT does not move other memory accesses
 * across); the processor may let the load pass the store, but the barrier runs on every
 * thread of the process: if the owner's load came before it, its {@code biased = 1} is
 * visible after it; if after, the owner sees {@code revoked} and backs off (clearing
 * {@code biased}), taking {@code state} instead. Without {@code membarrier} there is no bias.
 */
final class CallLock implements org.scif4j.spi.DataPathLock {
    private static final VarHandle STATE;
    private static final VarHandle WAITERS;
    /** Whether release needs a full fence: see the class comment. */
    private static final boolean FENCE = !Futex.fencesEveryProcess();
    /** Whether the lock may be biased: the revoker's barrier exists (see the class comment). */
    private static final boolean BIASING = Futex.fencesThisProcess();
    private static final VarHandle BIAS_OWNER;
    private static final VarHandle BIASED;
    private static final VarHandle REVOKED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(CallLock.class, "state", int.class);
            WAITERS = l.findVarHandle(CallLock.class, "waiters", int.class);
            BIAS_OWNER = l.findVarHandle(CallLock.class, "biasOwner", Thread.class);
            BIASED = l.findVarHandle(CallLock.class, "biased", int.class);
            REVOKED = l.findVarHandle(CallLock.class, "revoked", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** 0 free, 1 held. */
    @SuppressWarnings("unused")
    private volatile int state;
    /** Threads queued in {@link #queue}, counted before they first try the lock. */
    @SuppressWarnings("unused")
    private volatile int waiters;
    private final ConcurrentLinkedQueue<Thread> queue = new ConcurrentLinkedQueue<>();
    /** The thread the lock is biased to (the first to take it), null before; set once. */
    private volatile Thread biasOwner;
    /** 1 while the bias owner holds the lock by its bias; written by the owner only. */
    @SuppressWarnings("unused")
    private volatile int biased;
    /** Set, for good, by the first other thread that needs the lock: then everyone takes {@code state}. */
    private volatile boolean revoked;
    /** Set once a barrier has run after {@code revoked} was set: the owner can no longer take its bias. */
    private volatile boolean revokeDone;

    /** @return whether the lock was free and is now held by the caller */
    @Override
    public boolean tryLock() {
        if (!BIASING) {
            return STATE.compareAndSet(this, 0, 1);
        }
        if (!revoked) {
            Thread me = Thread.currentThread();
            Thread owner = biasOwner;
            if (owner == null && BIAS_OWNER.compareAndSet(this, null, me)) {
                owner = me; // the first taker: once per lock
            }
            if (owner == me) {
                if ((int) BIASED.getOpaque(this) == 1) {
                    return false; // the owner holds it already: not reentrant
                }
                BIASED.setRelease(this, 1); // ordered: the load of revoked stays after it
                if (!(boolean) REVOKED.getVolatile(this)) {
                    return true; // held by the bias (see the class comment)
                }
                clearBias(); // revoked meanwhile: back off, waking a waiter that saw biased
            }
        }
        if (!revokeDone) {
            // Every thread that has not seen the revocation complete runs a barrier of its own
            // after revoked is visible: a few at most, once per lock.
            revoked = true; // volatile
            if (!Futex.fenceThisProcess()) {
                throw new IllegalStateException("membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) failed after it was"
                    + " registered: the lock's bias cannot be revoked");
            }
            revokeDone = true;
        }
        // From here on the owner never holds the lock by its bias again: biased is 1 only while
        // it finishes a hold that began before, or backs off; either way it clears it and
        // wakes the first waiter.
        return (int) BIASED.getVolatile(this) == 0 && STATE.compareAndSet(this, 0, 1);
    }

    /**
     * Takes the lock, waiting for it.
     *
     * @throws InterruptedException if interrupted while waiting (the status is cleared)
     */
    @Override
    public void lockInterruptibly() throws InterruptedException {
        if (!tryLock() && !await(true)) {
            throw new InterruptedException();
        }
    }

    /** Takes the lock, waiting for it whatever the interrupts, which stay pending. */
    @Override
    public void lock() {
        if (!tryLock()) {
            await(false);
        }
    }

    /** @return false if interrupted (only when {@code interruptible}) */
    private boolean await(boolean interruptible) {
        Thread me = Thread.currentThread();
        queue.add(me);
        WAITERS.getAndAdd(this, 1);
        boolean acquired = false;
        boolean interrupted = false;
        try {
            while (true) {
                Futex.fenceEveryProcess();
                if (tryLock()) {
                    acquired = true;
                    return true;
                }
                if (Thread.interrupted()) {
                    interrupted = true;
                    if (interruptible) {
                        return false;
                    }
                }
                LockSupport.park(this);
            }
        } finally {
            queue.remove(me);
            WAITERS.getAndAdd(this, -1);
            if (!acquired) {
                unparkFirst(); // it may have been passed the wake-up meant for this thread
            }
            if (interrupted && !interruptible) {
                me.interrupt();
            }
        }
    }

    /** Releases the lock; the caller holds it. */
    @Override
    public void unlock() {
        // Only the owner ever stores 1 into biased, and clears it before it leaves tryLock
        // unless it then holds the lock by it: so the owner reading 1 here holds it that way.
        if (BIASING && (int) BIASED.getOpaque(this) == 1 && biasOwner == Thread.currentThread()) {
            clearBias();
            return;
        }
        if (FENCE) {
            STATE.setVolatile(this, 0);
        } else {
            STATE.setRelease(this, 0);
        }
        wakeWaiter();
    }

    /** The owner's release of its bias (or its back-off): as the release of {@code state}. */
    private void clearBias() {
        if (FENCE) {
            BIASED.setVolatile(this, 0);
        } else {
            BIASED.setRelease(this, 0);
        }
        wakeWaiter();
    }

    /** The releaser's half of the protocol of the class comment: wakes the first waiter, if any. */
    private void wakeWaiter() {
        if ((int) WAITERS.getVolatile(this) != 0) {
            unparkFirst();
        }
    }

    private void unparkFirst() {
        Thread first = queue.peek();
        if (first != null) {
            LockSupport.unpark(first);
        }
    }
}
