package org.scif4j;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Completes the futures of {@link Endpoint#writeToAsync} and its siblings. Each RMA is issued
 * by the caller, followed by {@code fenceMark(FENCE_INIT_SELF)}; a completion thread per
 * endpoint sleeps in {@code fenceWait} on the newest mark it knows and, when that returns,
 * completes every future up to it (marks are ordered: the newest covers the older ones), or
 * fails them with the wait's ScifException (ECONNRESET when the peer is lost, EBADF when the
 * endpoint closed). The thread exists only while futures are pending, plus a parked second of
 * idling so that back-to-back operations do not start a thread each: no core spins.
 */
final class RmaCompletions implements Runnable {
    /** An RMA call of the caller's, issued before its mark. */
    @FunctionalInterface
    interface Rma {
        void issue() throws ScifException;
    }

    private record Pending(int mark, CompletableFuture<Void> future) {
    }

    private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);
    /**
     * The one lock of this class, guarding ACTIVE and every instance's {@code pending}. It is
     * held only around fenceMark and queue changes, never around fenceWait or user callbacks.
     * Invariant: an endpoint with pending futures is in ACTIVE, with a thread that will wait
     * for them; a thread removes its entry only under the lock, when it found nothing pending.
     */
    private static final Map<Endpoint, RmaCompletions> ACTIVE = new IdentityHashMap<>();

    private final Endpoint endpoint;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();

    private RmaCompletions(Endpoint endpoint) {
        this.endpoint = endpoint;
    }

    static CompletableFuture<Void> submit(Endpoint ep, Rma rma) {
        try {
            rma.issue();
        } catch (ScifException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<Void> future = new CompletableFuture<>();
        synchronized (ACTIVE) {
            int mark;
            try {
                // Under the lock: marks enter the queue in the order fenceMark made them.
                mark = ep.fenceMark(Scif.FENCE_INIT_SELF);
            } catch (ScifException e) {
                return CompletableFuture.failedFuture(e);
            }
            RmaCompletions c = ACTIVE.get(ep);
            if (c == null) {
                c = new RmaCompletions(ep);
                ACTIVE.put(ep, c);
                Thread t = new Thread(c, "scif4j-rma-completion");
                t.setDaemon(true);
                t.start();
            }
            c.pending.add(new Pending(mark, future));
            ACTIVE.notifyAll();
        }
        return future;
    }

    @Override
    public void run() {
        while (true) {
            int count;
            int mark;
            synchronized (ACTIVE) {
                if (!awaitWork()) {
                    ACTIVE.remove(endpoint);
                    return;
                }
                count = pending.size();
                mark = pending.peekLast().mark();
            }
            ScifException failure = null;
            try {
                endpoint.fenceWait(mark);
            } catch (ScifException e) {
                failure = e;
            }
            List<Pending> done = new ArrayList<>(count);
            synchronized (ACTIVE) {
                for (int i = 0; i < count; i++) {
                    done.add(pending.poll());
                }
            }
            for (Pending p : done) {
                if (failure == null) {
                    p.future().complete(null);
                } else {
                    p.future().completeExceptionally(failure);
                }
            }
        }
    }

    /** Called with the lock held; parks (no spinning) up to the idle time for a submission. */
    private boolean awaitWork() {
        long deadline = System.nanoTime() + IDLE_NANOS;
        while (pending.isEmpty()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(ACTIVE, left);
            } catch (InterruptedException e) {
                return false;
            }
        }
        return true;
    }
}
