package org.scif4j.tcp.internal;

/**
 * A {@link TcpEndpoint}'s change count, and how a user thread waits for it to move: it spins
 * (yielding) for the node's spin budget, then reads the peer's link itself when no other thread
 * does (see {@link LinkReader}), else sleeps on the endpoint's monitor.
 *
 * <p>The count is bumped by {@link #changed} under the endpoint's monitor; it is volatile so
 * that a waiter can spin on it without the monitor, and see every change made before the bump.
 */
final class EndpointChanges implements LinkReader.Waiter {
    /** The endpoint, whose monitor sleepers wait on. */
    private final Object monitor;
    private final SpinPolicy spin;
    private volatile int count;
    /** The link a waiter of the endpoint reads while it waits, or null; see {@link LinkReader#wakeReader}. */
    private volatile LinkReader parked;

    EndpointChanges(Object monitor, SpinPolicy spin) {
        this.monitor = monitor;
        this.spin = spin;
    }

    /** @return the change count; a waiter keeps it and waits until it moves */
    int count() {
        return count;
    }

    /** The endpoint changed: wakes its waiters, sleeping or reading the link. Caller holds the monitor. */
    void changed() {
        count++;
        LinkReader in = parked;
        if (in != null) {
            in.wakeReader(); // a waiter reading the link sleeps in its selector, not on the monitor
        }
        monitor.notifyAll();
    }

    /**
     * Spins, yielding, until the count moves past {@code seen} or the node's spin budget is
     * spent. Called without the monitor.
     *
     * @param seen {@link #count} when the caller found nothing to do
     * @return whether it changed (the caller looks again); false when the caller should sleep
     */
    boolean spinUntilChanged(int seen) {
        long budget = spin.budgetNanos();
        if (budget <= 0) {
            return false;
        }
        long deadline = System.nanoTime() + budget;
        do {
            if (count != seen) {
                return true;
            }
            Thread.yield();
        } while (System.nanoTime() - deadline < 0);
        return count != seen;
    }

    /**
     * Waits until the count moves past {@code seen}: reads {@code in}, the link the peer's
     * frames come on, when no other thread does, else sleeps on the monitor. Called without the
     * monitor: reading dispatches frames, which take endpoints' monitors.
     *
     * @param in the peer's inbound link, or null
     * @return false when interrupted (the status kept)
     */
    boolean awaitChange(Link in, int seen) {
        if (in != null) {
            int r = in.reader.awaitReading(this, seen, 0, spin.readSpinNanos());
            if (r != LinkReader.UNAVAILABLE) {
                return r != LinkReader.INTERRUPTED;
            }
        }
        synchronized (monitor) {
            if (count != seen) {
                return true;
            }
            try {
                monitor.wait();
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    @Override
    public int changeCount() {
        return count;
    }

    @Override
    public void parkedOn(LinkReader reader) {
        parked = reader;
    }
}
