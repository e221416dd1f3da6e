package org.scif4j.shm.internal;

import org.scif4j.Errno;
import org.scif4j.ScifException;
import org.scif4j.spi.WaitMode;

/**
 * Waits for a condition on shared memory with the configured {@link WaitMode}: spinning,
 * yielding, and sleeping on a futex word.
 *
 * <p>The sleeper protocol, which loses no wake-up: a waiter (1) adds itself to the sleeper
 * count with an atomic add, (2) reads the futex word, (3) checks its condition once more, and
 * only then (4) sleeps while the word still holds what it read. Whoever changes the state
 * (5) publishes the change with a volatile store, (6) reads the sleeper count, and if it is
 * non-zero (7) bumps the word and wakes. All of these are sequentially consistent, so either
 * the waiter's check (3) sees the change, or the changer's read (6) sees the waiter and its
 * bump (7) comes after the waiter's read (2), so the futex refuses to sleep or is woken.
 * The byte rings publish (5) with a release store and no fence, so that a send or recv pays
 * no fence: the waiter then runs {@link Futex#fenceEveryProcess()} between (1) and (3), which
 * puts a full barrier into every writer's thread instead; either the writer's read (6) comes
 * after that barrier and sees the waiter, or its store (5) came before it and (3) sees it.
 * Where that barrier is missing the rings fence as before, and sleeps here are kept short
 * ({@link #UNFENCED_SLEEP_NANOS}), since other processes' writers may not fence.
 * An interrupt, which cannot reach a thread inside the futex syscall, is delivered by
 * {@link InterruptWatcher} waking the word the thread sleeps on.
 */
public final class Waiter {
    /** The system property that bounds each futex sleep, in milliseconds (README, "Tunables"). */
    public static final String MAX_SLEEP_PROPERTY = "scif4j.shm.maxSleepMillis";
    static final long DEFAULT_MAX_SLEEP_MILLIS = 5_000L;
    /** The largest bound accepted: an hour (a longer safety net is no safety net). */
    static final long LIMIT_MAX_SLEEP_MILLIS = 3_600_000L;
    /** Why {@link #MAX_SLEEP_PROPERTY} was refused, null if it is valid or unset. */
    private static final String MAX_SLEEP_ERROR = maxSleepError(System.getProperty(MAX_SLEEP_PROPERTY));
    /**
     * Longest single futex sleep, a safety net only: wake-ups come from changers, and
     * interrupts from {@link InterruptWatcher}. The system property
     * {@value #MAX_SLEEP_PROPERTY} changes it; tests raise it so that a lost wake-up
     * shows as a hang instead of hiding as a delay. An invalid value leaves the default here
     * and makes every attach fail ({@link #checkSettings}).
     */
    public static final long MAX_SLEEP_NANOS = (MAX_SLEEP_ERROR == null && System.getProperty(MAX_SLEEP_PROPERTY) != null
        ? Long.parseLong(System.getProperty(MAX_SLEEP_PROPERTY).trim()) : DEFAULT_MAX_SLEEP_MILLIS) * 1_000_000L;
    /**
     * Longest sleep when this process cannot fence every process: a writer of another process
     * that publishes without a fence is then seen within this bound at worst.
     */
    static final long UNFENCED_SLEEP_NANOS = 1_000_000L;
    /**
     * Spinning waits spin this long without a pause instruction: a pause takes about 140
     * cycles on recent Intel cores, and an arrival that falls into one waits for its end. After
     * this, every spin pauses, which spares the power and a hyperthread sibling in longer waits.
     * A recv's first spin, which round trips end in, pauses from its first load instead: that
     * was measured faster on an AMD VM (docs/decisions.md, "Spinning with a pause"). Pausing
     * here from the first spin too made no difference to a ping-pong over poll, whose wait
     * spins here (docs/decisions.md, "A poll is counted only while it sleeps"), so this stays.
     */
    private static final long PAUSE_AFTER_NANOS = 10_000L;
    /** Spins between full checks (and clock reads) while not pausing: a power of two. */
    static final int FAST_SPINS_PER_CHECK = 1024;
    /** Spins between full checks once pausing: a power of two. */
    static final int PAUSED_SPINS_PER_CHECK = 64;
    /** Adaptive mode spins this long before yielding. */
    private static final long SPIN_NANOS = 30_000L;
    /** Adaptive mode yields until this long before sleeping. */
    private static final long YIELD_NANOS = 200_000L;

    /** Result of {@link #await}. */
    public static final int READY = 0;
    /** Result of {@link #await}: the deadline passed. */
    public static final int TIMED_OUT = 1;
    /** Result of {@link #await}: the thread was interrupted (its status is kept). */
    public static final int INTERRUPTED = 2;

    /** What a waiter waits for; implemented by long-lived objects so waits allocate nothing. */
    public interface Condition {
        /** @return whether the wait is over (including because the endpoint closed) */
        boolean ready();

        /**
         * The cheap part of {@link #ready()}, checked on most spins: it touches as few shared
         * cache lines as possible (typically the one the awaited data arrives on). The full
         * check still runs every 64 spins and before any sleep.
         *
         * @return whether the wait is over; false when only the full check can tell
         */
        default boolean quickReady() {
            return ready();
        }
    }

    /**
     * Announces a sleeper in several counters at once, as a poll does in the "pollers" count of
     * every endpoint it watches: {@code add(1)} before each sleep, {@code add(-1)} after it.
     */
    @FunctionalInterface
    public interface Sleepers {
        /** @param delta 1 before a sleep, -1 after it */
        void add(int delta);
    }

    private final WaitMode mode;
    private final SharedFile file;

    /**
     * @param raw the value of {@value #MAX_SLEEP_PROPERTY}, or null if unset
     * @return why it is not a valid bound, or null if it is (or is unset)
     */
    static String maxSleepError(String raw) {
        if (raw == null) {
            return null;
        }
        long millis;
        try {
            millis = Long.parseLong(raw.trim());
        } catch (NumberFormatException e) {
            millis = -1;
        }
        if (millis >= 1 && millis <= LIMIT_MAX_SLEEP_MILLIS) {
            return null;
        }
        return "system property " + MAX_SLEEP_PROPERTY + "='" + raw + "' is not a whole number of milliseconds from 1 to "
            + LIMIT_MAX_SLEEP_MILLIS + " (the longest single futex sleep of a blocked call, default "
            + DEFAULT_MAX_SLEEP_MILLIS + "): fix or remove it";
    }

    /**
     * Refuses to attach with a system property this class could not use.
     *
     * @param call the attach call, for the message
     * @throws ScifException EINVAL naming the property, its value and what it accepts
     */
    public static void checkSettings(String call) throws ScifException {
        if (MAX_SLEEP_ERROR != null) {
            throw ScifException.of(call, Errno.EINVAL, MAX_SLEEP_ERROR);
        }
    }

    /**
     * @param mode how to wait
     * @param file the fabric file holding the futex words and sleeper counts
     */
    public Waiter(WaitMode mode, SharedFile file) {
        this.mode = mode;
        this.file = file;
    }

    /**
     * @return whether this wait mode spins before anything else (spin, adaptive), so that a
     *     caller may spin on its own data word first ({@link ShmMessages#recv})
     */
    public boolean spinsFirst() {
        return mode == WaitMode.SPIN || mode == WaitMode.ADAPTIVE;
    }

    /**
     * Waits until {@code condition} holds.
     *
     * @param condition      what to wait for
     * @param wordOffset     offset of the futex word that changers bump
     * @param sleepersOffset offset of the sleeper count to join while sleeping, or -1 for none
     * @param deadlineNanos  {@link System#nanoTime()} deadline, or {@link Long#MAX_VALUE}
     * @return {@link #READY}, {@link #TIMED_OUT} or {@link #INTERRUPTED}
     */
    public int await(Condition condition, long wordOffset, long sleepersOffset, long deadlineNanos) {
        return await(condition, wordOffset, sleepersOffset, null, deadlineNanos);
    }

    /**
     * Waits until {@code condition} holds, announcing itself through {@code sleepers} only
     * while it sleeps, never while it spins or yields: a changer that finds no sleeper makes
     * no system call, and one that finds one wakes it (the sleeper protocol above, for counts
     * in several words).
     *
     * @param condition     what to wait for
     * @param wordOffset    offset of the futex word that changers bump
     * @param sleepers      what to add 1 to before each sleep and 1 back after it
     * @param deadlineNanos {@link System#nanoTime()} deadline, or {@link Long#MAX_VALUE}
     * @return {@link #READY}, {@link #TIMED_OUT} or {@link #INTERRUPTED}
     */
    public int await(Condition condition, long wordOffset, Sleepers sleepers, long deadlineNanos) {
        return await(condition, wordOffset, -1, sleepers, deadlineNanos);
    }

    private int await(Condition condition, long wordOffset, long sleepersOffset, Sleepers sleepers,
                      long deadlineNanos) {
        long start = System.nanoTime();
        boolean spinning = mode == WaitMode.SPIN || mode == WaitMode.ADAPTIVE;
        boolean pause = false;
        int fullCheckMask = FAST_SPINS_PER_CHECK - 1;
        if (condition.ready()) {
            return READY;
        }
        for (int i = 1;; i++) {
            if (spinning && (i & fullCheckMask) != 0) {
                if (condition.quickReady()) {
                    return READY;
                }
                if (pause) {
                    Thread.onSpinWait();
                }
                continue; // the full check and the clock only now and then
            }
            if (condition.ready()) {
                return READY;
            }
            if (Thread.currentThread().isInterrupted()) {
                return INTERRUPTED;
            }
            long now = System.nanoTime();
            if (deadlineNanos != Long.MAX_VALUE && now - deadlineNanos >= 0) {
                return TIMED_OUT;
            }
            if (!pause && now - start >= PAUSE_AFTER_NANOS) {
                pause = true;
                fullCheckMask = PAUSED_SPINS_PER_CHECK - 1;
            }
            switch (mode) {
                case SPIN:
                    Thread.onSpinWait();
                    break;
                case YIELD:
                    Thread.yield();
                    break;
                case BLOCK:
                    sleep(condition, wordOffset, sleepersOffset, sleepers, deadlineNanos, now);
                    break;
                default:
                    long waited = now - start;
                    spinning = waited < SPIN_NANOS;
                    if (spinning) {
                        Thread.onSpinWait();
                    } else if (waited < YIELD_NANOS) {
                        Thread.yield();
                    } else {
                        sleep(condition, wordOffset, sleepersOffset, sleepers, deadlineNanos, now);
                    }
            }
        }
    }

    private void sleep(Condition condition, long wordOffset, long sleepersOffset, Sleepers sleepers, long deadline,
                       long now) {
        if (sleepersOffset >= 0) {
            file.addInt(sleepersOffset, 1);
        }
        if (sleepers != null) {
            sleepers.add(1);
        }
        InterruptWatcher.Sleeper me = InterruptWatcher.current();
        try {
            int seen = file.getInt(wordOffset);
            me.address = file.address(wordOffset); // published before the interrupt check below
            boolean fenced = Futex.fenceEveryProcess(); // after announcing, before re-checking
            if (!condition.ready() && !Thread.currentThread().isInterrupted()) {
                long longest = fenced ? MAX_SLEEP_NANOS : Math.min(MAX_SLEEP_NANOS, UNFENCED_SLEEP_NANOS);
                long nanos = deadline == Long.MAX_VALUE ? longest
                    : Math.max(1, Math.min(longest, deadline - now));
                Futex.await(file.address(wordOffset), seen, nanos);
            }
        } finally {
            me.address = 0;
            if (sleepersOffset >= 0) {
                file.addInt(sleepersOffset, -1);
            }
            if (sleepers != null) {
                sleepers.add(-1);
            }
        }
    }
}
