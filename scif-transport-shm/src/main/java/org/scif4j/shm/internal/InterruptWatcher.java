package org.scif4j.shm.internal;

import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Makes futex sleeps interruptible. {@link Thread#interrupt()} cannot reach a thread inside
 * the futex syscall, so each thread that sleeps publishes the address it sleeps on, and one
 * daemon thread per JVM looks every {@value #PERIOD_MILLIS} ms for sleepers that have been
 * interrupted and wakes their futex word. A sleeper publishes its address before its last
 * check of the interrupt status, and the watcher keeps waking while both hold, so no
 * interrupt is lost; the cost when idle is one short scan per period, whatever the number of
 * sleepers.
 */
final class InterruptWatcher {
    static final long PERIOD_MILLIS = 100;

    /** One per thread that ever slept; reused for every sleep, so sleeping allocates nothing. */
    static final class Sleeper {
        final Thread thread = Thread.currentThread();
        /** The futex word's address while the thread may be asleep on it; 0 otherwise. */
        volatile long address;
    }

    private static final CopyOnWriteArrayList<Sleeper> SLEEPERS = new CopyOnWriteArrayList<>();
    private static final ThreadLocal<Sleeper> MINE = ThreadLocal.withInitial(InterruptWatcher::register);

    private InterruptWatcher() {
    }

    /** @return the calling thread's record, registered on first use */
    static Sleeper current() {
        return MINE.get();
    }

    private static Sleeper register() {
        Sleeper s = new Sleeper();
        SLEEPERS.add(s);
        Holder.start();
        return s;
    }

    private static void watch() {
        while (true) {
            try {
                Thread.sleep(PERIOD_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            for (Sleeper s : SLEEPERS) {
                long address = s.address;
                if (!s.thread.isAlive()) {
                    SLEEPERS.remove(s);
                } else if (address != 0 && s.thread.isInterrupted()) {
                    Futex.wakeAll(address);
                }
            }
        }
    }

    /** Starts the watcher thread once, on the first sleeper. */
    private static final class Holder {
        private static final Thread WATCHER = new Thread(InterruptWatcher::watch, "scif4j-interrupt-watcher");

        static {
            WATCHER.setDaemon(true);
            WATCHER.start();
        }

        static void start() {
            // class initialisation did the work
        }
    }
}
