package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.FabricDescriptor.*;

import java.io.IOException;
import java.nio.file.Files;
import java.util.BitSet;
import org.scif4j.Errno;
import org.scif4j.Scif;

/**
 * The fabric's endpoint table: one slot per open endpoint of any process, holding its SCIF
 * state, port, peer and listen queue, and the futex words its waiters sleep on.
 *
 * <p>Methods ending in {@code Locked} need the fabric lock. The wake methods do not: they
 * follow the sleeper protocol described at {@link Waiter}.
 */
public final class EndpointTable {
    private static final int MAX_BACKLOG = 1024;

    private final Fabric fabric;
    private final SharedFile f;
    private int nextFree;

    EndpointTable(Fabric fabric) {
        this.fabric = fabric;
        this.f = fabric.file();
    }

    // ---------------------------------------------------------------- fields

    /** @param slot slot @param field field offset @return the int field, volatile read */
    public int get(int slot, int field) {
        return f.getInt(endpoint(slot) + field);
    }

    /** @param slot slot @param field field offset @param value stored volatile */
    public void set(int slot, int field, int value) {
        f.putInt(endpoint(slot) + field, value);
    }

    /** @param slot slot @return its SCIF state */
    public int state(int slot) {
        return get(slot, E_STATE);
    }

    /** @param slot slot @return its connection id, 0 if none */
    public long connectionId(int slot) {
        return f.getLong(endpoint(slot) + E_CONNECTION_ID);
    }

    /** @param slot slot @param id connection id, 0 for none */
    public void connectionId(int slot, long id) {
        f.putLong(endpoint(slot) + E_CONNECTION_ID, id);
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
        for (int i = 0; i < MAX_ENDPOINTS; i++) {
            int slot = (nextFree + i) % MAX_ENDPOINTS;
            if (state(slot) == FREE) {
                nextFree = slot + 1;
                long e = endpoint(slot);
                // The futex words and sleeper counts are left as they are: a thread of the
                // slot's previous user may still be leaving a wait and will undo its own count.
                for (int field : new int[] {E_PORT, E_FLAGS, E_PEER_NODE, E_PEER_PORT, E_PEER_SLOT,
                    E_PEER_GEN, E_BACKLOG, E_QUEUE_COUNT, E_QUEUE_HEAD, E_QUEUE_TAIL, E_QUEUE_NEXT,
                    E_CONNECT_RESULT, E_LISTENER}) {
                    f.putInt(e + field, 0);
                }
                f.putLong(e + E_CONNECTION_ID, 0);
                f.putInt(e + E_OWNER, fabric.processSlot() + 1);
                f.putInt(e + E_NODE, node);
                f.addInt(e + E_GEN, 1);
                f.putInt(e + E_STATE, UNBOUND);
                return slot;
            }
        }
        return -1;
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
                used.set(get(s, E_PORT));
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
    public boolean enqueueLocked(int listener, int connector) {
        int count = get(listener, E_QUEUE_COUNT);
        if (count >= get(listener, E_BACKLOG)) {
            return false;
        }
        set(connector, E_QUEUE_NEXT, 0);
        set(connector, E_LISTENER, listener + 1);
        int tail = get(listener, E_QUEUE_TAIL);
        if (tail == 0) {
            set(listener, E_QUEUE_HEAD, connector + 1);
        } else {
            set(tail - 1, E_QUEUE_NEXT, connector + 1);
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
        int l = get(connector, E_LISTENER) - 1;
        if (l < 0) {
            return;
        }
        int prev = 0;
        for (int cur = get(l, E_QUEUE_HEAD); cur != 0; prev = cur, cur = get(cur - 1, E_QUEUE_NEXT)) {
            if (cur - 1 == connector) {
                int next = get(connector, E_QUEUE_NEXT);
                if (prev == 0) {
                    set(l, E_QUEUE_HEAD, next);
                } else {
                    set(prev - 1, E_QUEUE_NEXT, next);
                }
                if (get(l, E_QUEUE_TAIL) == connector + 1) {
                    set(l, E_QUEUE_TAIL, prev);
                }
                set(l, E_QUEUE_COUNT, get(l, E_QUEUE_COUNT) - 1);
                break;
            }
        }
        set(connector, E_LISTENER, 0);
        set(connector, E_QUEUE_NEXT, 0);
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
        int state = state(slot);
        long conn = connectionId(slot);
        boolean peerKeepsConnection = false;
        if (state == LISTENING) {
            for (int c = get(slot, E_QUEUE_HEAD); c != 0; ) {
                int next = get(c - 1, E_QUEUE_NEXT);
                set(c - 1, E_LISTENER, 0);
                set(c - 1, E_QUEUE_NEXT, 0);
                answerLocked(c - 1, -refusal.number());
                c = next;
            }
            set(slot, E_QUEUE_HEAD, 0);
            set(slot, E_QUEUE_TAIL, 0);
            set(slot, E_QUEUE_COUNT, 0);
        } else if (state == CONNECTING) {
            unlinkLocked(slot);
        } else if (state == CONNECTED) {
            int peer = get(slot, E_PEER_SLOT) - 1;
            if (peer >= 0 && isPeerOf(peer, slot)) {
                // The peer becomes DISCONNECTED and, as in LNX, gives up its port at once.
                set(peer, E_FLAGS, get(peer, E_FLAGS) & ~FLAG_HOLDS_PORT);
                set(peer, E_STATE, DISCONNECTED);
                signal(peer);
                peerKeepsConnection = true;
            }
        }
        set(slot, E_FLAGS, 0);
        set(slot, E_STATE, FREE);
        connectionId(slot, 0);
        signal(slot); // before the owner is cleared, so that the owner's pollers hear it
        set(slot, E_OWNER, 0);
        if (conn != 0 && !peerKeepsConnection) {
            deleteConnectionFile(conn);
        }
    }

    private boolean isPeerOf(int peer, int slot) {
        return state(peer) == CONNECTED && get(peer, E_PEER_SLOT) == slot + 1
            && get(peer, E_PEER_GEN) == get(slot, E_GEN);
    }

    /**
     * Closes every slot of a dead process and clears the counters its threads left behind.
     *
     * @param processSlot the dead process's slot
     */
    void reapOwnerLocked(int processSlot) {
        for (int s = 0; s < MAX_ENDPOINTS; s++) {
            if (state(s) != FREE && get(s, E_OWNER) == processSlot + 1) {
                // A handshake with a node that was lost fails with ENODEV (SPEC §2.4, §4.5).
                boolean nodeLost = !fabric.isOnlineExcept(get(s, E_NODE), processSlot);
                closeSlotLocked(s, nodeLost ? Errno.ENODEV : Errno.ECONNREFUSED);
                set(s, E_SLEEPERS, 0);
                set(s, E_SPACE_SLEEPERS, 0);
                set(s, E_FENCE_SLEEPERS, 0);
                set(s, E_POLLERS, 0);
            }
        }
    }

    /** @param id a connection id whose file no endpoint uses any more */
    public void deleteConnectionFile(long id) {
        try {
            Files.deleteIfExists(fabric.dir().resolve(ConnectionDescriptor.fileName(id)));
        } catch (IOException e) {
            System.getLogger("org.scif4j.shm").log(System.Logger.Level.WARNING,
                "scif4j: cannot delete connection file " + id + ": " + e);
        }
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
        f.addInt(endpoint(slot) + seq, 1);
        Futex.wakeAll(address(slot, seq));
    }

    private void ringDoorbell(int slot) {
        int owner = get(slot, E_OWNER) - 1;
        if (owner >= 0) {
            long bell = Fabric.doorbell(owner);
            f.addInt(bell, 1);
            Futex.wakeAll(f.address(bell));
        }
    }
}
