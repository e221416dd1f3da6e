package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.FabricDescriptor.*;

import java.nio.file.Path;
import org.scif4j.Errno;
import org.scif4j.ScifException;

/**
 * The connect/accept handshake's fields in the endpoint table: each listener's queue of
 * connect requests (a list linked through the connectors' {@code E_QUEUE_NEXT}, with head,
 * tail and count in the listener's slot and each connector naming its listener in
 * {@code E_LISTENER}) and the answer a connector waits for ({@code E_CONNECT_RESULT}).
 *
 * <p>Every method needs the fabric lock, and writes through {@link EndpointTable#set}, so
 * that the table type owns its field writes. Links read from shared memory are checked
 * ({@link EndpointTable#link}) before they are followed, and every walk is bounded by the
 * table's size: a corrupt queue is reported or emptied, never followed into a loop.
 */
final class ListenQueues {
    private static final int MAX_BACKLOG = 1024;

    private final EndpointTable table;
    private final FabricLock lock;
    private final Path dir;

    ListenQueues(EndpointTable table, FabricLock lock, Path dir) {
        this.table = table;
        this.lock = lock;
        this.dir = dir;
    }

    /** @param backlog as given to listen @return the queue limit used */
    static int cappedBacklog(int backlog) {
        return Math.min(backlog, MAX_BACKLOG);
    }

    /**
     * The first request queued on a listener, checked: it names a slot that is CONNECTING
     * and queued on this very listener.
     *
     * @param listener a LISTENING slot
     * @return the connector's slot, or -1 if none is queued
     * @throws ScifException ENODEV naming the field, if the queue is corrupt
     */
    int headLocked(int listener) throws ScifException {
        int c = table.link(listener, E_QUEUE_HEAD);
        if (c < 0 && table.get(listener, E_QUEUE_COUNT) != 0) {
            dropCorrupt(listener, "counts " + table.get(listener, E_QUEUE_COUNT) + " requests but has none");
        }
        if (c >= 0 && (table.state(c) != CONNECTING || table.get(c, E_LISTENER) != listener + 1)) {
            lock.checkNotPreempted();
            throw new ScifException(Errno.ENODEV, "fabric " + dir + " is corrupt: the queue head of"
                + " listener slot " + listener + " is slot " + c + ", which is " + stateName(table.state(c))
                + " and queued on listener " + (table.get(c, E_LISTENER) - 1)
                + "; expected a CONNECTING slot queued on it");
        }
        return c;
    }

    /**
     * Queues a connector on a listener, unless the backlog is full.
     *
     * @param listener listening slot
     * @param connector connecting slot
     * @return whether it was queued
     */
    boolean enqueueLocked(int listener, int connector) throws ScifException {
        int count = table.get(listener, E_QUEUE_COUNT);
        if (count >= table.get(listener, E_BACKLOG)) {
            return false;
        }
        int tail = table.link(listener, E_QUEUE_TAIL);
        if (tail >= 0 && (tail == connector || table.get(tail, E_LISTENER) != listener + 1)) {
            lock.checkNotPreempted();
            throw new ScifException(Errno.ENODEV, "fabric " + dir + " is corrupt: the queue tail of"
                + " listener slot " + listener + " is slot " + tail + ", which is not queued on it");
        }
        table.set(connector, E_QUEUE_NEXT, 0);
        table.set(connector, E_LISTENER, listener + 1);
        if (tail < 0) {
            table.set(listener, E_QUEUE_HEAD, connector + 1);
        } else {
            table.set(tail, E_QUEUE_NEXT, connector + 1);
        }
        table.set(listener, E_QUEUE_TAIL, connector + 1);
        table.set(listener, E_QUEUE_COUNT, count + 1);
        return true;
    }

    /**
     * Removes a queued connector from its listener's queue, if it is queued.
     *
     * @param connector connecting slot
     */
    void unlinkLocked(int connector) {
        int l = table.linkOrNone(connector, E_LISTENER);
        if (l >= 0) {
            unlinkFrom(l, connector);
        }
        table.set(connector, E_LISTENER, 0);
        table.set(connector, E_QUEUE_NEXT, 0);
    }

    /**
     * Walks the listener's queue to the connector and takes it out. The walk is bounded by
     * the table's size and stops at a link that names no slot, so a corrupt or looping queue
     * ends it; such a queue is then emptied (its connectors time out), never followed further.
     */
    private void unlinkFrom(int l, int connector) {
        int prev = -1;
        int cur = table.linkOrNone(l, E_QUEUE_HEAD);
        for (int steps = 0; cur >= 0; steps++) {
            if (steps == MAX_ENDPOINTS) {
                dropCorrupt(l, "loops");
                return;
            }
            int next = table.linkOrNone(cur, E_QUEUE_NEXT);
            if (cur == connector) {
                if (prev < 0) {
                    table.set(l, E_QUEUE_HEAD, next + 1);
                } else {
                    table.set(prev, E_QUEUE_NEXT, next + 1);
                }
                if (table.get(l, E_QUEUE_TAIL) == connector + 1) {
                    table.set(l, E_QUEUE_TAIL, prev + 1);
                }
                table.set(l, E_QUEUE_COUNT, Math.max(0, table.get(l, E_QUEUE_COUNT) - 1));
                return;
            }
            prev = cur;
            cur = next;
        }
    }

    private void dropCorrupt(int l, String why) {
        System.getLogger("org.scif4j.shm").log(System.Logger.Level.WARNING, "scif4j: fabric " + dir
            + " is corrupt: the request queue of listener slot " + l + " " + why + "; emptied it");
        table.set(l, E_QUEUE_HEAD, 0);
        table.set(l, E_QUEUE_TAIL, 0);
        table.set(l, E_QUEUE_COUNT, 0);
    }

    /**
     * Answers a queued connector: refused (back to BOUND, keeping its port) or accepted.
     *
     * @param connector connecting slot, already unlinked
     * @param result {@link FabricDescriptor#CONNECT_ACCEPTED} or minus an errno
     */
    void answerLocked(int connector, int result) {
        if (result != CONNECT_ACCEPTED) {
            table.set(connector, E_STATE, BOUND);
        }
        table.set(connector, E_CONNECT_RESULT, result);
        table.signal(connector);
    }

    /**
     * Answers every connector queued on a closing listener. Only a CONNECTING slot queued on
     * this listener is answered, and the walk is bounded: a corrupt queue never makes it write
     * to an unrelated endpoint or loop. Each answered connector leaves the queue at once (head
     * and count), so that after each one the listener is a consistent LISTENING endpoint with
     * a shorter queue: a long queue is then committed in batches ({@link FabricLock#commitIfLarge}),
     * each a logged change that a waiter can finish if this process stops.
     *
     * @param slot    the closing listener
     * @param refusal the answer: ECONNREFUSED for a close, ENODEV when the listener's node was lost
     * @throws Fabric.Preempted from a batch's commit: the close runs again on the shorter queue
     */
    void refuseAllLocked(int slot, Errno refusal) {
        int c = table.linkOrNone(slot, E_QUEUE_HEAD);
        for (int steps = 0; c >= 0 && steps < MAX_ENDPOINTS; steps++) {
            if (table.state(c) != CONNECTING || table.get(c, E_LISTENER) != slot + 1) {
                break;
            }
            int next = table.linkOrNone(c, E_QUEUE_NEXT);
            table.set(c, E_LISTENER, 0);
            table.set(c, E_QUEUE_NEXT, 0);
            answerLocked(c, -refusal.number());
            table.set(slot, E_QUEUE_HEAD, next + 1);
            if (next < 0) {
                table.set(slot, E_QUEUE_TAIL, 0);
            }
            table.set(slot, E_QUEUE_COUNT, Math.max(0, table.get(slot, E_QUEUE_COUNT) - 1));
            lock.commitIfLarge(); // may throw Fabric.Preempted: the close runs again on the shorter queue
            c = next;
        }
        table.set(slot, E_QUEUE_HEAD, 0);
        table.set(slot, E_QUEUE_TAIL, 0);
        table.set(slot, E_QUEUE_COUNT, 0);
    }
}
