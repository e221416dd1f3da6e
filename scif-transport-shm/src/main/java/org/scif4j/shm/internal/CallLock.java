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
 */
final class CallLock implements org.scif4j.spi.DataPathLock {
    private static final VarHandle STATE;
    private static final VarHandle WAITERS;
    /** Whether release needs a full fence: see the class comment. */
    private static final boolean FENCE = !Futex.fencesEveryProcess();

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(CallLock.class, "state", int.class);
            WAITERS = l.findVarHandle(CallLock.class, "waiters", int.class);
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

    /** @return whether the lock was free and is now held by the caller */
    @Override
    public boolean tryLock() {
        return STATE.compareAndSet(this, 0, 1);
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
        if (FENCE) {
            STATE.setVolatile(this, 0);
        } else {
            STATE.setRelease(this, 0);
        }
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
