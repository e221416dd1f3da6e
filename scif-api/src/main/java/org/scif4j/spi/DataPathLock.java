package org.scif4j.spi;

import java.util.concurrent.locks.ReentrantLock;
import org.scif4j.Errno;
import org.scif4j.ScifException;

/**
 * The lock that serialises one direction of an endpoint's data path (its sends, or its
 * receives) for a whole call, so that two threads' messages never interleave. Transports
 * choose the implementation ({@link #reentrant()}, or a cheaper one of their own); the
 * rule for taking it for a call is written once, in {@link #lockForCall}.
 */
public interface DataPathLock {
    /** @return whether the lock was free and is now held by the caller */
    boolean tryLock();

    /**
     * Takes the lock, waiting for it.
     *
     * @throws InterruptedException if interrupted while waiting
     */
    void lockInterruptibly() throws InterruptedException;

    /** Takes the lock, waiting for it whatever the interrupts, which stay pending. */
    void lock();

    /** Releases the lock. */
    void unlock();

    /**
     * Takes the lock for a call. Only a call that waits ends with EINTR (the README's
     * "Semantics"), as in the driver, which completes a call that does not sleep even with a
     * signal pending, and as ReentrantLock.lock and NIO's non-blocking reads do: so an
     * uncontended lock is taken without looking at the interrupt status, and a call that then
     * needs no wait completes with the status still set. Waiting for another thread's call on
     * this endpoint is a wait, and stays interruptible.
     *
     * @param send  whether the call is a send (else a recv), for the message
     * @param b     the call's buffer, for the message
     * @param flags the call's flags, for the message
     * @throws ScifException EINTR when interrupted while waiting (the status kept)
     */
    default void lockForCall(boolean send, java.nio.ByteBuffer b, int flags) throws ScifException {
        if (tryLock()) {
            return;
        }
        try {
            lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ScifException.of(EndpointRules.dataCall(send, b, flags), Errno.EINTR,
                "interrupted while waiting for another " + (send ? "send" : "recv") + " on this endpoint");
        }
    }

    /** @return a lock over {@link ReentrantLock} */
    static DataPathLock reentrant() {
        ReentrantLock l = new ReentrantLock();
        return new DataPathLock() {
            @Override
            public boolean tryLock() {
                return l.tryLock();
            }

            @Override
            public void lockInterruptibly() throws InterruptedException {
                l.lockInterruptibly();
            }

            @Override
            public void lock() {
                l.lock();
            }

            @Override
            public void unlock() {
                l.unlock();
            }
        };
    }
}
