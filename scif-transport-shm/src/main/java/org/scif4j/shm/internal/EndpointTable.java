package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.FabricDescriptor.*;

import java.nio.file.Path;
import java.util.BitSet;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;

/**
 * The fabric's endpoint table: one slot per open endpoint of any process, holding its SCIF
 * state, port, peer and listen queue, and the futex words its waiters sleep on.
 *
 * <p>Methods ending in {@code Locked} need the fabric lock. The wake methods do not: they
 * follow the sleeper protocol described at {@link Waiter}.
 */
public final class EndpointTable {
    private static final int MAX_BACKLOG = 1024;
    private static final int[] CLEARED_WHEN_HANDED_OUT = {E_PORT, E_FLAGS, E_PEER_NODE, E_PEER_PORT, E_PEER_SLOT,
        E_PEER_GEN, E_CONNECTION_ID, E_CONNECTION_ID_HIGH, E_BACKLOG, E_QUEUE_COUNT, E_QUEUE_HEAD, E_QUEUE_TAIL,
        E_QUEUE_NEXT, E_CONNECT_RESULT, E_LISTENER};

    private final SharedFile f;
    private final Path dir;
    private final int processSlot;
    /** Stores this table's cells: into the lock hold's change, or at once (see {@link FabricLock#putCell}). */
    private final FabricLock lock;
    private final ProcessTable processes;
    private final NodeTable nodes;
    private int nextFree;

    EndpointTable(Fabric fabric) {
        this.f = fabric.file();
        this.dir = fabric.dir();
        this.processSlot = fabric.processSlot();
        this.lock = fabric.controlLock();
        this.processes = fabric.processes();
        this.nodes = fabric.nodes();
    }

    // ---------------------------------------------------------------- fields

    /**
     * Reads a field (a cell's value, or a futex word): the value the lock holder's pending
     * change gives it, for the thread that prepares that change.
     *
     * @param slot slot @param field field offset @return the int field, volatile read
     */
    public int get(int slot, int field) {
        return lock.cellValue(endpoint(checkSlot(slot)) + field);
    }

    /**
     * Writes a cell: under the lock, into the hold's change ({@link FabricLock#commit} publishes
     * it); outside it (an endpoint's own result field), by compare-and-swap at once.
     *
     * @param slot slot @param field a cell's offset @param value its new value
     */
    public void set(int slot, int field, int value) {
        lock.putCell(endpoint(checkSlot(slot)) + field, value);
    }

    /** The last guard (callers validate slot numbers read from shared memory with {@link #link}). */
    private static int checkSlot(int slot) {
        if (slot < 0 || slot >= MAX_ENDPOINTS) {
            throw new IndexOutOfBoundsException("endpoint slot " + slot + " is outside the table (0.."
                + (MAX_ENDPOINTS - 1) + ")");
        }
        return slot;
    }

    // ---------------------------------------------------------------- validated links

    /**
     * Reads a "slot + 1" field (peer slot, queue head, tail and next, listener), which any
     * process, or a corrupt file, may have written: nothing read from shared memory is used
     * as a slot number before this check.
     *
     * @param slot  the endpoint holding the field
     * @param field the field's offset
     * @return the slot it names, or -1 for none
     * @throws ScifException ENODEV naming the field, if it holds no slot number
     */
    public int link(int slot, int field) throws ScifException {
        int v = get(slot, field);
        if (v < 0 || v > MAX_ENDPOINTS) {
            lock.checkNotPreempted(); // a pre-empted reader may see a change half made: not corruption
            throw new ScifException(Errno.ENODEV, corruption(slot, field, v));
        }
        return v - 1;
    }

    /**
     * {@link #link} for the paths that must go on whatever they find (closing, reaping): a
     * value that names no slot is reported and read as "none".
     */
    int linkOrNone(int slot, int field) {
        int v = get(slot, field);
        if (v < 0 || v > MAX_ENDPOINTS) {
            System.getLogger("org.scif4j.shm").log(System.Logger.Level.WARNING, "scif4j: "
                + corruption(slot, field, v) + "; read as none");
            return -1;
        }
        return v - 1;
    }

    private String corruption(int slot, int field, int value) {
        return "fabric " + dir + " is corrupt: endpoint slot " + slot + "'s " + fieldName(field)
            + " (offset " + field + ") holds " + value + " (0x" + Integer.toHexString(value)
            + "); expected 0 (none) or a slot number + 1 (1.." + MAX_ENDPOINTS + ")";
    }

    private static String fieldName(int field) {
        switch (field) {
            case E_PEER_SLOT: return "peer slot";
            case E_QUEUE_HEAD: return "queue head";
            case E_QUEUE_TAIL: return "queue tail";
            case E_QUEUE_NEXT: return "queue next";
            case E_LISTENER: return "listener";
            case E_OWNER: return "owner";
            default: return "field";
        }
    }

    /**
     * The first request queued on a listener, checked: it names a slot that is CONNECTING
     * and queued on this very listener.
     *
     * @param listener a LISTENING slot
     * @return the connector's slot, or -1 if none is queued
     * @throws ScifException ENODEV naming the field, if the queue is corrupt
     */
    public int queueHeadLocked(int listener) throws ScifException {
        int c = link(listener, E_QUEUE_HEAD);
        if (c < 0 && get(listener, E_QUEUE_COUNT) != 0) {
            dropCorruptQueue(listener, "counts " + get(listener, E_QUEUE_COUNT) + " requests but has none");
        }
        if (c >= 0 && (state(c) != CONNECTING || get(c, E_LISTENER) != listener + 1)) {
            lock.checkNotPreempted();
            throw new ScifException(Errno.ENODEV, "fabric " + dir + " is corrupt: the queue head of"
                + " listener slot " + listener + " is slot " + c + ", which is " + stateName(state(c))
                + " and queued on listener " + (get(c, E_LISTENER) - 1) + "; expected a CONNECTING slot queued on it");
        }
        return c;
    }

    /**
     * The peer of a connected endpoint, checked.
     *
     * @param slot a CONNECTED slot
     * @return its peer's slot
     * @throws ScifException ECONNRESET naming the field, if it holds no slot number
     */
    public int peerLocked(int slot) throws ScifException {
        int peer = get(slot, E_PEER_SLOT);
        if (peer < 1 || peer > MAX_ENDPOINTS) {
            lock.checkNotPreempted();
            throw new ScifException(Errno.ECONNRESET, "the connection is broken: " + corruption(slot, E_PEER_SLOT, peer));
        }
        return peer - 1;
    }

    /** @param slot slot @return its SCIF state */
    public int state(int slot) {
        return get(slot, E_STATE);
    }

    /** @param slot slot @return its connection id, 0 if none */
    public long connectionId(int slot) {
        return (get(slot, E_CONNECTION_ID) & 0xffffffffL) | (long) get(slot, E_CONNECTION_ID_HIGH) << 32;
    }

    /** @param slot slot @param id connection id, 0 for none: two cells */
    public void connectionId(int slot, long id) {
        set(slot, E_CONNECTION_ID, (int) id);
        set(slot, E_CONNECTION_ID_HIGH, (int) (id >>> 32));
    }

    /** @param slot slot @param field a futex word's offset @return its address in this process */
    public long address(int slot, int field) {
        return f.address(endpoint(slot) + field);
    }

    // ---------------------------------------------------------------- allocation and ports

    /**
     * Hands out a free slot as an UNBOUND endpoint of this process.
     *
     * @param node the node it belongs to
     * @return the slot, or -1 when the table is full
     */
    public int allocLocked(int node) {
        while (true) {
            try {
                return claimFreeLocked(node);
            } catch (Fabric.Preempted e) {
                // stopped while looking for a free slot, and the table changed: look again
            }
        }
    }

    private int claimFreeLocked(int node) {
        for (int i = 0; i < MAX_ENDPOINTS; i++) {
            int slot = (nextFree + i) % MAX_ENDPOINTS;
            if (state(slot) == FREE) {
                nextFree = slot + 1;
                // The futex words and sleeper counts are left as they are: a thread of the
                // slot's previous user may still be leaving a wait and will undo its own count.
                // A reaped slot's previous user is dead: its counts are reset once this change
                // is applied, when the slot is ours and none of our threads waits on it yet.
                if ((get(slot, E_FLAGS) & FLAG_REAPED) != 0) {
                    lock.afterApplied(() -> resetCounters(slot));
                }
                for (int field : CLEARED_WHEN_HANDED_OUT) {
                    set(slot, field, 0);
                }
                set(slot, E_OWNER, processSlot + 1);
                set(slot, E_NODE, node);
                set(slot, E_GEN, get(slot, E_GEN) + 1);
                set(slot, E_STATE, UNBOUND);
                return slot;
            }
        }
        return -1;
    }

    /** Stores 0 into the sleeper and poller counters of a slot whose previous owner died (plain words). */
    private void resetCounters(int slot) {
        for (int counter : new int[] {E_SLEEPERS, E_SPACE_SLEEPERS, E_FENCE_SLEEPERS, E_POLLERS}) {
            f.putInt(endpoint(slot) + counter, 0);
        }
    }

    /** @param node node @param port port @return whether an endpoint of that node holds the port */
    public boolean portBusyLocked(int node, int port) {
        for (int s = 0; s < MAX_ENDPOINTS; s++) {
            if (state(s) != FREE && get(s, E_NODE) == node && get(s, E_PORT) == port
                && (get(s, E_FLAGS) & FLAG_HOLDS_PORT) != 0) {
                return true;
            }
        }
        return false;
    }

    /** @param node node @return the lowest free port above {@link Scif#PORT_RSVD}, or -1 */
    public int lowestFreePortLocked(int node) {
        BitSet used = new BitSet(65536);
        for (int s = 0; s < MAX_ENDPOINTS; s++) {
            if (state(s) != FREE && get(s, E_NODE) == node && (get(s, E_FLAGS) & FLAG_HOLDS_PORT) != 0) {
                int port = get(s, E_PORT);
                if (port >= 0 && port <= 65535) { // another value is corrupt: it holds no port
                    used.set(port);
                }
            }
        }
        int port = used.nextClearBit(Scif.PORT_RSVD + 1);
        return port <= 65535 ? port : -1;
    }

    /** @param slot slot @param port port to hold */
    public void holdPortLocked(int slot, int port) {
        set(slot, E_PORT, port);
        set(slot, E_FLAGS, get(slot, E_FLAGS) | FLAG_HOLDS_PORT);
    }

    /** @param node node @param port port @return the listening slot there, or -1 */
    public int findListenerLocked(int node, int port) {
        for (int s = 0; s < MAX_ENDPOINTS; s++) {
            if (state(s) == LISTENING && get(s, E_NODE) == node && get(s, E_PORT) == port) {
                return s;
            }
        }
        return -1;
    }

    /** @param backlog as given to listen @return the queue limit used */
    public static int cappedBacklog(int backlog) {
        return Math.min(backlog, MAX_BACKLOG);
    }

    // ---------------------------------------------------------------- listen queues

    /**
     * Queues a connector on a listener, unless the backlog is full.
     *
     * @param listener listening slot
     * @param connector connecting slot
     * @return whether it was queued
     */
    public boolean enqueueLocked(int listener, int connector) throws ScifException {
        int count = get(listener, E_QUEUE_COUNT);
        if (count >= get(listener, E_BACKLOG)) {
            return false;
        }
        int tail = link(listener, E_QUEUE_TAIL);
        if (tail >= 0 && (tail == connector || get(tail, E_LISTENER) != listener + 1)) {
            lock.checkNotPreempted();
            throw new ScifException(Errno.ENODEV, "fabric " + dir + " is corrupt: the queue tail of"
                + " listener slot " + listener + " is slot " + tail + ", which is not queued on it");
        }
        set(connector, E_QUEUE_NEXT, 0);
        set(connector, E_LISTENER, listener + 1);
        if (tail < 0) {
            set(listener, E_QUEUE_HEAD, connector + 1);
        } else {
            set(tail, E_QUEUE_NEXT, connector + 1);
        }
        set(listener, E_QUEUE_TAIL, connector + 1);
        set(listener, E_QUEUE_COUNT, count + 1);
        return true;
    }

    /**
     * Removes a queued connector from its listener's queue, if it is queued.
     *
     * @param connector connecting slot
     */
    public void unlinkLocked(int connector) {
        int l = linkOrNone(connector, E_LISTENER);
        if (l >= 0) {
            unlinkFrom(l, connector);
        }
        set(connector, E_LISTENER, 0);
        set(connector, E_QUEUE_NEXT, 0);
    }

    /**
     * Walks the listener's queue to the connector and takes it out. The walk is bounded by
     * the table's size and stops at a link that names no slot, so a corrupt or looping queue
     * ends it; such a queue is then emptied (its connectors time out), never followed further.
     */
    private void unlinkFrom(int l, int connector) {
        int prev = -1;
        int cur = linkOrNone(l, E_QUEUE_HEAD);
        for (int steps = 0; cur >= 0; steps++) {
            if (steps == MAX_ENDPOINTS) {
                dropCorruptQueue(l, "loops");
                return;
            }
            int next = linkOrNone(cur, E_QUEUE_NEXT);
            if (cur == connector) {
                if (prev < 0) {
                    set(l, E_QUEUE_HEAD, next + 1);
                } else {
                    set(prev, E_QUEUE_NEXT, next + 1);
                }
                if (get(l, E_QUEUE_TAIL) == connector + 1) {
                    set(l, E_QUEUE_TAIL, prev + 1);
                }
                set(l, E_QUEUE_COUNT, Math.max(0, get(l, E_QUEUE_COUNT) - 1));
                return;
            }
            prev = cur;
            cur = next;
        }
    }

    private void dropCorruptQueue(int l, String why) {
        System.getLogger("org.scif4j.shm").log(System.Logger.Level.WARNING, "scif4j: fabric " + dir
            + " is corrupt: the request queue of listener slot " + l + " " + why + "; emptied it");
        set(l, E_QUEUE_HEAD, 0);
        set(l, E_QUEUE_TAIL, 0);
        set(l, E_QUEUE_COUNT, 0);
    }

    /**
     * Answers a queued connector: refused (back to BOUND, keeping its port) or accepted.
     *
     * @param connector connecting slot, already unlinked
     * @param result {@link FabricDescriptor#CONNECT_ACCEPTED} or minus an errno
     */
    public void answerLocked(int connector, int result) {
        if (result != CONNECT_ACCEPTED) {
            set(connector, E_STATE, BOUND);
        }
        set(connector, E_CONNECT_RESULT, result);
        signal(connector);
    }

    // ---------------------------------------------------------------- closing

    /**
     * SCIF close of one slot, for a local close or a dead owner: refuses queued connectors,
     * withdraws a pending request, disconnects the peer, deletes the connection file once no
     * endpoint uses it, and frees the slot. Wakes everyone waiting on the slot or its peer.
     *
     * @param slot the endpoint's slot
     */
    public void closeSlotLocked(int slot) {
        closeSlotLocked(slot, Errno.ECONNREFUSED);
    }

    /**
     * As {@link #closeSlotLocked(int)}, answering queued connectors with {@code refusal}.
     *
     * @param slot    the endpoint's slot
     * @param refusal ECONNREFUSED for a close, ENODEV when the listener's node was lost
     */
    private void closeSlotLocked(int slot, Errno refusal) {
        closeSlotLocked(slot, refusal, 0);
    }

    /** @param freeFlags the flags the freed slot keeps: 0, or {@link FabricDescriptor#FLAG_REAPED} */
    private void closeSlotLocked(int slot, Errno refusal, int freeFlags) {
        int state = state(slot);
        long conn = connectionId(slot);
        boolean peerKeepsConnection = false;
        if (state == LISTENING) {
            refuseQueued(slot, refusal);
        } else if (state == CONNECTING) {
            unlinkLocked(slot);
        } else if (state == CONNECTED) {
            int peer = linkOrNone(slot, E_PEER_SLOT);
            if (peer >= 0 && isPeerOf(peer, slot)) {
                // The peer becomes DISCONNECTED and, as in LNX, gives up its port at once.
                set(peer, E_FLAGS, get(peer, E_FLAGS) & ~FLAG_HOLDS_PORT);
                set(peer, E_STATE, DISCONNECTED);
                signal(peer);
                peerKeepsConnection = true;
            }
        }
        set(slot, E_FLAGS, freeFlags);
        set(slot, E_STATE, FREE);
        connectionId(slot, 0);
        signal(slot); // before the owner is cleared, so that the owner's pollers hear it
        set(slot, E_OWNER, 0);
        if (conn != 0 && !peerKeepsConnection) {
            deleteConnectionFile(conn);
        }
    }

    /**
     * Answers every connector queued on a closing listener. Only a CONNECTING slot queued on
     * this listener is answered, and the walk is bounded: a corrupt queue never makes it write
     * to an unrelated endpoint or loop. Each answered connector leaves the queue at once (head
     * and count), so that after each one the listener is a consistent LISTENING endpoint with
     * a shorter queue: a long queue is then committed in batches ({@link FabricLock#commitIfLarge}),
     * each a logged change that a waiter can finish if this process stops.
     */
    private void refuseQueued(int slot, Errno refusal) {
        int c = linkOrNone(slot, E_QUEUE_HEAD);
        for (int steps = 0; c >= 0 && steps < MAX_ENDPOINTS; steps++) {
            if (state(c) != CONNECTING || get(c, E_LISTENER) != slot + 1) {
                break;
            }
            int next = linkOrNone(c, E_QUEUE_NEXT);
            set(c, E_LISTENER, 0);
            set(c, E_QUEUE_NEXT, 0);
            answerLocked(c, -refusal.number());
            set(slot, E_QUEUE_HEAD, next + 1);
            if (next < 0) {
                set(slot, E_QUEUE_TAIL, 0);
            }
            set(slot, E_QUEUE_COUNT, Math.max(0, get(slot, E_QUEUE_COUNT) - 1));
            lock.commitIfLarge(); // may throw Fabric.Preempted: the close runs again on the shorter queue
            c = next;
        }
        set(slot, E_QUEUE_HEAD, 0);
        set(slot, E_QUEUE_TAIL, 0);
        set(slot, E_QUEUE_COUNT, 0);
    }

    private boolean isPeerOf(int peer, int slot) {
        return state(peer) == CONNECTED && get(peer, E_PEER_SLOT) == slot + 1
            && get(peer, E_PEER_GEN) == get(slot, E_GEN);
    }

    /**
     * Closes every slot of a dead process, and every slot whose owner is no live process, as
     * part of the changes the lock prepares: committed whenever a change holds half a log
     * (after a whole slot, or inside a long listen queue), so that each is a logged change
     * leaving the tables consistent. The freed slots keep {@link FabricDescriptor#FLAG_REAPED}:
     * the counters their dead owner's threads left are reset by their next allocation.
     *
     * @param deadSlot the dead process's slot
     * @throws Fabric.Preempted if the hold was pre-empted before a commit and the tables changed
     */
    void reapOwnerLocked(int deadSlot) {
        for (int s = 0; s < MAX_ENDPOINTS; s++) {
            int owner = get(s, E_OWNER);
            // Also an endpoint whose owner names no live process slot: only a corrupt table
            // has one (a slot is owned before it is used and freed before its owner leaves).
            if (state(s) != FREE && (owner == deadSlot + 1 || !processes.isLive(owner - 1))) {
                // A handshake with a node that was lost fails with ENODEV (scif_connect(3)).
                boolean nodeLost = !nodes.isOnlineExcept(get(s, E_NODE), deadSlot);
                closeSlotLocked(s, nodeLost ? Errno.ENODEV : Errno.ECONNREFUSED, FLAG_REAPED);
                lock.commitIfLarge();
            }
        }
    }

    /** @param id a connection id whose file no endpoint uses any more */
    public void deleteConnectionFile(long id) {
        lock.removeConnectionFile(id); // under the lock: a remove entry of the change's log
    }

    // ---------------------------------------------------------------- waking

    /**
     * A state change: wakes every waiter of the slot, in any process, and its pollers.
     *
     * @param slot slot whose state changed
     */
    public void signal(int slot) {
        bump(slot, E_EVENT_SEQ);
        bump(slot, E_SPACE_SEQ);
        bump(slot, E_FENCE_SEQ);
        ringDoorbell(slot);
    }

    /**
     * Data arrived for {@code slot}: wakes its receivers and pollers if any said they sleep.
     * The caller published the data with a volatile store before this volatile load.
     *
     * @param slot receiving slot
     */
    public void wakeReceivers(int slot) {
        wakeSleepers(slot, E_SLEEPERS, E_EVENT_SEQ, true);
    }

    /**
     * Send space was freed for {@code slot}: wakes its blocked senders and pollers.
     *
     * @param slot sending slot
     */
    public void wakeSenders(int slot) {
        wakeSleepers(slot, E_SPACE_SLEEPERS, E_SPACE_SEQ, true);
    }

    /**
     * A DMA operation completed: wakes fence waiters of {@code slot} if any said they sleep.
     *
     * @param slot an endpoint whose own or peer's RMAs a waiter may be fencing
     */
    public void wakeFenceWaiters(int slot) {
        wakeSleepers(slot, E_FENCE_SLEEPERS, E_FENCE_SEQ, false);
    }

    /** The changer's half of the sleeper protocol (see {@link Waiter}): wake only if someone sleeps. */
    private void wakeSleepers(int slot, int sleepers, int seq, boolean pollers) {
        if (f.getInt(endpoint(slot) + sleepers) > 0) {
            bump(slot, seq);
        }
        if (pollers && f.getInt(endpoint(slot) + E_POLLERS) > 0) {
            ringDoorbell(slot);
        }
    }

    private void bump(int slot, int seq) {
        lock.wake(endpoint(slot) + seq);
    }

    private void ringDoorbell(int slot) {
        int owner = get(slot, E_OWNER) - 1;
        if (owner >= 0 && owner < MAX_PROCESSES) { // another value is corrupt: nobody to ring
            lock.wake(ProcessTable.doorbell(owner));
        }
    }
}
