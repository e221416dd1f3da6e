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
 *
 * <p>An INIT_PEER fence signal is covered by an INIT_PEER mark taken after it (SCIF queues the
 * signal behind the peer's RMAs, as it does the mark). Such a mark is a round trip to the peer
 * on some transports, so it is taken outside the lock, may enter the queue out of order, and
 * is waited for on its own rather than through the newest self mark.
 */
final class RmaCompletions implements Runnable {
    /** An RMA call of the caller's, issued before its mark. */
    @FunctionalInterface
    interface Rma {
        void issue() throws ScifException;
    }

    private record Pending(int mark, boolean peer, CompletableFuture<Void> future) {
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
        return submit(ep, rma, Scif.FENCE_INIT_SELF);
    }

    /**
     * @param init the INIT flag of the mark that covers the operation: FENCE_INIT_SELF for an
     *             RMA or a self-initiated signal, FENCE_INIT_PEER for a peer-initiated signal
     */
    static CompletableFuture<Void> submit(Endpoint ep, Rma rma, int init) {
        try {
            rma.issue();
        } catch (ScifException e) {
            return CompletableFuture.failedFuture(e);
        }
        boolean peer = init == Scif.FENCE_INIT_PEER;
        int peerMark = 0;
        if (peer) {
            try {
                peerMark = ep.fenceMark(Scif.FENCE_INIT_PEER); // maybe a round trip: not under the lock
            } catch (ScifException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        CompletableFuture<Void> future = new CompletableFuture<>();
        synchronized (ACTIVE) {
            int mark = peerMark;
            try {
                // Under the lock: self marks enter the queue in the order fenceMark made them.
                if (!peer) {
                    mark = ep.fenceMark(Scif.FENCE_INIT_SELF);
                }
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
            c.pending.add(new Pending(mark, peer, future));
            ACTIVE.notifyAll();
        }
        return future;
    }

    @Override
    public void run() {
        while (true) {
            List<Pending> done;
            synchronized (ACTIVE) {
                if (!awaitWork()) {
                    ACTIVE.remove(endpoint);
                    return;
                }
                done = new ArrayList<>(pending);
            }
            Pending newestSelf = null;
            for (Pending p : done) {
                newestSelf = p.peer() ? newestSelf : p;
            }
            ScifException selfFailure = newestSelf == null ? null : await(newestSelf.mark());
            ScifException[] failures = new ScifException[done.size()];
            for (int i = 0; i < failures.length; i++) {
                failures[i] = done.get(i).peer() ? await(done.get(i).mark()) : selfFailure;
            }
            synchronized (ACTIVE) {
                for (int i = 0; i < failures.length; i++) {
                    pending.poll(); // only this thread removes: the head is still the batch
                }
            }
            for (int i = 0; i < failures.length; i++) {
                if (failures[i] == null) {
                    done.get(i).future().complete(null);
                } else {
                    done.get(i).future().completeExceptionally(failures[i]);
                }
            }
        }
    }

    /** @return null once the marked operations completed, else why the wait failed */
    private ScifException await(int mark) {
        try {
            endpoint.fenceWait(mark);
            return null;
        } catch (ScifException e) {
            return e;
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
