package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.FabricDescriptor.*;

import java.util.BitSet;
import org.scif4j.Errno;
import org.scif4j.Scif;

/**
 * The life of the endpoint table's slots: handing a free slot out as an UNBOUND endpoint,
 * the ports slots hold and the search for a listener, and freeing a slot by a SCIF close,
 * for a local close or a dead owner (reaping).
 *
 * <p>Every method needs the fabric lock (its name ends in {@code Locked}), and writes
 * through {@link EndpointTable#set}, so that the table type owns its field writes.
 */
final class EndpointSlots {
    private static final int[] CLEARED_WHEN_HANDED_OUT = {E_PORT, E_FLAGS, E_PEER_NODE, E_PEER_PORT, E_PEER_SLOT,
        E_PEER_GEN, E_CONNECTION_ID, E_CONNECTION_ID_HIGH, E_BACKLOG, E_QUEUE_COUNT, E_QUEUE_HEAD, E_QUEUE_TAIL,
        E_QUEUE_NEXT, E_CONNECT_RESULT, E_LISTENER};
    private static final int[] COUNTERS = {E_SLEEPERS, E_SPACE_SLEEPERS, E_FENCE_SLEEPERS, E_POLLERS};

    private final EndpointTable table;
    private final ListenQueues queues;
    private final SharedFile f;
    private final FabricLock lock;
    private final ProcessTable processes;
    private final NodeTable nodes;
    private final int processSlot;
    /** Where the search for a free slot starts. Guarded by the fabric lock's JVM half. */
    private int nextFree;

    EndpointSlots(EndpointTable table, ListenQueues queues, Fabric fabric) {
        this.table = table;
        this.queues = queues;
        this.f = fabric.file();
        this.lock = fabric.controlLock();
        this.processes = fabric.processes();
        this.nodes = fabric.nodes();
        this.processSlot = fabric.processSlot();
    }

    // ---------------------------------------------------------------- allocation and ports

    /**
     * Hands out a free slot as an UNBOUND endpoint of this process.
     *
     * @param node the node it belongs to
     * @return the slot, or -1 when the table is full
     */
    int allocLocked(int node) {
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
            if (table.state(slot) == FREE) {
                nextFree = slot + 1;
                // The futex words and sleeper counts are left as they are: a thread of the
                // slot's previous user may still be leaving a wait and will undo its own count.
                // A reaped slot's previous user is dead: its counts are reset once this change
                // is applied, when the slot is ours and none of our threads waits on it yet.
                if ((table.get(slot, E_FLAGS) & FLAG_REAPED) != 0) {
                    lock.pending().afterApplied(() -> resetCounters(slot));
                }
                for (int field : CLEARED_WHEN_HANDED_OUT) {
                    table.set(slot, field, 0);
                }
                table.set(slot, E_OWNER, processSlot + 1);
                table.set(slot, E_NODE, node);
                table.set(slot, E_GEN, table.get(slot, E_GEN) + 1);
                table.set(slot, E_STATE, UNBOUND);
                return slot;
            }
        }
        return -1;
    }

    /** Stores 0 into the sleeper and poller counters of a slot whose previous owner died (plain words). */
    private void resetCounters(int slot) {
        for (int counter : COUNTERS) {
            f.putInt(endpoint(slot) + counter, 0);
        }
    }

    /** @param node node @param port port @return whether an endpoint of that node holds the port */
    boolean portBusyLocked(int node, int port) {
        for (int s = 0; s < MAX_ENDPOINTS; s++) {
            if (table.state(s) != FREE && table.get(s, E_NODE) == node && table.get(s, E_PORT) == port
                && (table.get(s, E_FLAGS) & FLAG_HOLDS_PORT) != 0) {
                return true;
            }
        }
        return false;
    }

    /** @param node node @return the lowest free port above {@link Scif#PORT_RSVD}, or -1 */
    int lowestFreePortLocked(int node) {
        BitSet used = new BitSet(65536);
        for (int s = 0; s < MAX_ENDPOINTS; s++) {
            if (table.state(s) != FREE && table.get(s, E_NODE) == node
                && (table.get(s, E_FLAGS) & FLAG_HOLDS_PORT) != 0) {
                int port = table.get(s, E_PORT);
                if (port >= 0 && port <= 65535) { // another value is corrupt: it holds no port
                    used.set(port);
                }
            }
        }
        int port = used.nextClearBit(Scif.PORT_RSVD + 1);
        return port <= 65535 ? port : -1;
    }

    /** @param slot slot @param port port to hold */
    void holdPortLocked(int slot, int port) {
        table.set(slot, E_PORT, port);
        table.set(slot, E_FLAGS, table.get(slot, E_FLAGS) | FLAG_HOLDS_PORT);
    }

    /** @param node node @param port port @return the listening slot there, or -1 */
    int findListenerLocked(int node, int port) {
        for (int s = 0; s < MAX_ENDPOINTS; s++) {
            if (table.state(s) == LISTENING && table.get(s, E_NODE) == node && table.get(s, E_PORT) == port) {
                return s;
            }
        }
        return -1;
    }

    // ---------------------------------------------------------------- closing

    /**
     * SCIF close of one slot, for a local close or a dead owner: refuses queued connectors,
     * withdraws a pending request, disconnects the peer, deletes the connection file once no
     * endpoint uses it, and frees the slot. Wakes everyone waiting on the slot or its peer.
     *
     * @param slot the endpoint's slot
     */
    void closeLocked(int slot) {
        closeLocked(slot, Errno.ECONNREFUSED, 0);
    }

    /**
     * @param refusal   the answer to queued connectors: ECONNREFUSED for a close, ENODEV when
     *                  the listener's node was lost
     * @param freeFlags the flags the freed slot keeps: 0, or {@link FabricDescriptor#FLAG_REAPED}
     */
    private void closeLocked(int slot, Errno refusal, int freeFlags) {
        int state = table.state(slot);
        long conn = table.connectionId(slot);
        boolean peerKeepsConnection = false;
        if (state == LISTENING) {
            queues.refuseAllLocked(slot, refusal);
        } else if (state == CONNECTING) {
            queues.unlinkLocked(slot);
        } else if (state == CONNECTED) {
            int peer = table.linkOrNone(slot, E_PEER_SLOT);
            if (peer >= 0 && isPeerOf(peer, slot)) {
                // The peer becomes DISCONNECTED and, as in LNX, gives up its port at once.
                table.set(peer, E_FLAGS, table.get(peer, E_FLAGS) & ~FLAG_HOLDS_PORT);
                table.set(peer, E_STATE, DISCONNECTED);
                table.signal(peer);
                peerKeepsConnection = true;
            }
        }
        table.set(slot, E_FLAGS, freeFlags);
        table.set(slot, E_STATE, FREE);
        table.connectionId(slot, 0);
        table.signal(slot); // before the owner is cleared, so that the owner's pollers hear it
        table.set(slot, E_OWNER, 0);
        if (conn != 0 && !peerKeepsConnection) {
            deleteConnectionFile(conn);
        }
    }

    private boolean isPeerOf(int peer, int slot) {
        return table.state(peer) == CONNECTED && table.get(peer, E_PEER_SLOT) == slot + 1
            && table.get(peer, E_PEER_GEN) == table.get(slot, E_GEN);
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
            int owner = table.get(s, E_OWNER);
            // Also an endpoint whose owner names no live process slot: only a corrupt table
            // has one (a slot is owned before it is used and freed before its owner leaves).
            if (table.state(s) != FREE && (owner == deadSlot + 1 || !processes.isLive(owner - 1))) {
                // A handshake with a node that was lost fails with ENODEV (scif_connect(3)).
                boolean nodeLost = !nodes.isOnlineExcept(table.get(s, E_NODE), deadSlot);
                closeLocked(s, nodeLost ? Errno.ENODEV : Errno.ECONNREFUSED, FLAG_REAPED);
                lock.commitIfLarge();
            }
        }
    }

    /** @param id a connection id whose file no endpoint uses any more */
    void deleteConnectionFile(long id) {
        lock.pending().removeConnectionFile(id); // under the lock: a remove entry of the change's log
    }
}
