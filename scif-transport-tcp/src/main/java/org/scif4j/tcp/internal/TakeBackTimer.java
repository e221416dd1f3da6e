package org.scif4j.tcp.internal;

import java.util.ArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A node's timer for giving links back to their event loop once the user threads that read
 * them have left (see {@link Link}, "Reading while waiting"). It runs on a thread of its own,
 * not on the event loop: Netty's NIO event loop polls its selector without sleeping
 * ({@code selectNow}) for the last half millisecond before each task it has scheduled, so the
 * same millisecond check as an event-loop task kept a quarter to a half of a vCPU polling for as
 * long as a user thread read (docs/decisions.md, the tcp receive path). This thread sleeps until
 * its deadline, and wakes the event loop only when a link is to be taken back.
 *
 * <p>Its thread exists only while some link's event loop stands aside: it ends
 * {@value #KEEP_ALIVE_MILLIS} ms after the last check was cancelled, and with the node. It
 * sleeps with {@link LockSupport#parkNanos} and allocates nothing per tick (a JDK
 * {@code ScheduledThreadPoolExecutor} made a queue node per wait, a thousand a second for as
 * long as a user thread read a link; docs/decisions.md, "Allocation on the hot paths").
 *
 * <p>Threads: {@link #every} (an event loop) and {@link #close} take this object's monitor to
 * change the checks and start or stop the thread; the thread takes it to see which checks are
 * due and runs them outside it. A check is cancelled by a volatile flag, which the thread reads
 * before each run; a run already under way when it is cancelled finishes (as a
 * {@code ScheduledFuture}'s would).
 */
final class TakeBackTimer {
    /** How long the thread outlives its last check. */
    static final long KEEP_ALIVE_MILLIS = 100;

    /** A check run every {@code period} ns until {@link #cancel}led. */
    static final class Check {
        private final Runnable task;
        private final long period;
        /** When it is due next (System.nanoTime). Used by the timer's thread only. */
        private long due;
        private volatile boolean cancelled;

        private Check(Runnable task, long period, long due) {
            this.task = task;
            this.period = period;
            this.due = due;
        }

        /** Stops the check: it runs no more (a run under way finishes). Any thread. */
        void cancel() {
            cancelled = true;
        }
    }

    private final String name;
    /** The checks not cancelled yet, as far as the thread has seen. Guarded by this. */
    private final ArrayList<Check> checks = new ArrayList<>();
    /** The thread's copy of the checks to run this tick, so that it runs them outside the monitor. */
    private Check[] due = new Check[4];
    /** The running thread, or null. Guarded by this. */
    private Thread thread;
    /** Guarded by this. */
    private boolean closed;

    /** @param node the node's id, for the thread's name */
    TakeBackTimer(int node) {
        this.name = "scif4j-tcp-takeback-node" + node;
    }

    /**
     * Runs {@code check} every {@code periodNanos} (after each run ends) until the returned
     * check is cancelled.
     *
     * @return the check, or null once the node closed (nothing is left to read for)
     */
    Check every(Runnable check, long periodNanos) {
        Check c = new Check(check, periodNanos, System.nanoTime() + periodNanos);
        Thread t;
        synchronized (this) {
            if (closed) {
                return null;
            }
            checks.add(c);
            t = thread;
            if (t == null) {
                t = new Thread(this::run, name);
                t.setDaemon(true);
                thread = t;
                t.start();
                return c;
            }
        }
        LockSupport.unpark(t); // it may sleep for longer than this check's first period
        return c;
    }

    /** The thread: runs the due checks, sleeps until the next one is due. */
    private void run() {
        long idleSince = 0;
        while (true) {
            long now = System.nanoTime();
            long sleep;
            int n = 0;
            synchronized (this) {
                if (closed) {
                    thread = null;
                    return;
                }
                checks.removeIf(c -> c.cancelled); // allocates only when one was cancelled
                if (checks.isEmpty()) {
                    if (idleSince == 0) {
                        idleSince = now;
                    } else if (now - idleSince >= TimeUnit.MILLISECONDS.toNanos(KEEP_ALIVE_MILLIS)) {
                        thread = null; // every() starts another
                        return;
                    }
                    sleep = TimeUnit.MILLISECONDS.toNanos(KEEP_ALIVE_MILLIS) - (now - idleSince);
                } else {
                    idleSince = 0;
                    sleep = Long.MAX_VALUE;
                    if (due.length < checks.size()) {
                        due = new Check[2 * checks.size()];
                    }
                    for (int i = 0; i < checks.size(); i++) {
                        Check c = checks.get(i);
                        if (c.due - now <= 0) {
                            due[n++] = c;
                        } else {
                            sleep = Math.min(sleep, c.due - now);
                        }
                    }
                }
            }
            for (int i = 0; i < n; i++) {
                Check c = due[i];
                due[i] = null;
                if (!c.cancelled) {
                    try {
                        c.task.run();
                    } catch (RuntimeException e) {
                        c.cancelled = true; // as a periodic task that throws: it runs no more
                    }
                }
                c.due = System.nanoTime() + c.period;
                sleep = Math.min(sleep, c.period);
            }
            LockSupport.parkNanos(this, sleep);
        }
    }

    /** Stops the thread; the node's event loops have stopped. */
    void close() {
        Thread t;
        synchronized (this) {
            closed = true;
            checks.clear();
            t = thread;
        }
        if (t != null) {
            LockSupport.unpark(t);
            try {
                t.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
