package org.scif4j.tcp.internal;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A node's timer for giving links back to their event loop once the user threads that read
 * them have left (see {@link Link}, "Reading while waiting"). It runs on a JDK thread of its
 * own, not on the event loop: Netty's NIO event loop polls its selector without sleeping
 * ({@code selectNow}) for the last half millisecond before each task it has scheduled, so the
 * same millisecond check as an event-loop task kept a quarter to a half of a vCPU polling for as
 * long as a user thread read (docs/decisions.md, the tcp receive path). This thread sleeps until
 * its deadline, and wakes the event loop only when a link is to be taken back.
 *
 * <p>Its thread exists only while some link's event loop stands aside: it ends
 * {@value #KEEP_ALIVE_MILLIS} ms after the last check was cancelled, and with the node.
 */
final class TakeBackTimer {
    /** How long the thread outlives its last task. */
    static final long KEEP_ALIVE_MILLIS = 100;

    private final ScheduledThreadPoolExecutor executor;

    /** @param node the node's id, for the thread's name */
    TakeBackTimer(int node) {
        executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "scif4j-tcp-takeback-node" + node);
            t.setDaemon(true);
            return t;
        });
        executor.setKeepAliveTime(KEEP_ALIVE_MILLIS, TimeUnit.MILLISECONDS);
        executor.allowCoreThreadTimeOut(true);
        executor.setRemoveOnCancelPolicy(true); // a cancelled check leaves nothing queued
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    /**
     * Runs {@code check} every {@code periodNanos} until the returned future is cancelled.
     *
     * @return the check's future, or null once the node closed (nothing is left to read for)
     */
    ScheduledFuture<?> every(Runnable check, long periodNanos) {
        try {
            return executor.scheduleWithFixedDelay(check, periodNanos, periodNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            return null;
        }
    }

    /** Stops the thread; the node's event loops have stopped. */
    void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
