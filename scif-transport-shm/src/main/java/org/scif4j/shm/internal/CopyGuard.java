package org.scif4j.shm.internal;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Keeps track of the copies an endpoint's callers make during their call (RMA_USECPU), so that
 * whoever takes memory away from them (unregister, close) can wait for those that may still
 * use it, at the price of two atomic adds per copy instead of a reference per window.
 *
 * <p>The protocol, after SRCU: a copier adds itself to one of two counters ({@link #enter}),
 * then looks at what it needs (the endpoint open, the window not unregistered) and gives up if
 * it is gone; it removes itself when done ({@link #exit}). A remover first publishes its change
 * (a volatile store), then {@link #await}s both counters in turn, flipping the counter that
 * new copiers join before each wait. All accesses are sequentially consistent, so a copier
 * that saw the old state added itself before the change and is seen by the wait; one that
 * added itself after sees the change and leaves at once. The flip keeps a stream of new
 * copiers from starving the wait: each counter only drains.
 */
final class CopyGuard {
    /** Two counters, 64 bytes apart so that they do not share a cache line. */
    private static final int STRIDE = 16;
    private final AtomicIntegerArray counts = new AtomicIntegerArray(2 * STRIDE);
    private volatile int epoch;

    /** @return the counter joined, to give to {@link #exit} */
    int enter() {
        int i = (epoch & 1) * STRIDE;
        counts.getAndIncrement(i);
        return i;
    }

    /** @param counter what {@link #enter} returned */
    void exit(int counter) {
        counts.getAndDecrement(counter);
    }

    /**
     * Waits until every copier that entered before this call has exited. The caller must not
     * be a copier itself. Synchronized: two interleaved flips could both wait on one counter.
     */
    synchronized void await() {
        for (int k = 0; k < 2; k++) {
            int e = epoch;
            epoch = e + 1; // new copiers join the other counter
            int i = (e & 1) * STRIDE;
            for (int spins = 0; counts.get(i) != 0; spins++) {
                if (spins < 1000) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield(); // a copy is finite: its thread may just be descheduled
                }
            }
        }
    }
}
