package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.FabricDescriptor.*;

import java.util.BitSet;
import org.scif4j.shm.ShmOptions;

/**
 * Which SCIF nodes are online: each process slot holds a bit per node id this process is
 * attached as, and a node is online while a LIVE process has its bit. This type writes this
 * process's bits (under the fabric lock) and counts this JVM's attachments per node, so the
 * bit goes only with the last of them.
 */
final class NodeTable {
    private final SharedFile file;
    private final FabricLock lock;
    private final int procSlot;
    /** This JVM's attachments per node id. Guarded by the fabric lock. */
    private final int[] refs = new int[ShmOptions.MAX_NODES];

    NodeTable(SharedFile file, FabricLock lock, int procSlot) {
        this.file = file;
        this.lock = lock;
        this.procSlot = procSlot;
    }

    /** @param node a node id this process attaches as (its bit is set by the first attachment) */
    void attach(int node) {
        lock.lock();
        try {
            if (refs[node] == 0) {
                setBitLocked(node, true); // Preempted is retried inside
            }
            refs[node]++;
        } finally {
            lock.unlock();
        }
    }

    /** @param node a node id this process detaches from (its bit is cleared by the last attachment) */
    void detach(int node) {
        lock.lock();
        try {
            if (refs[node] == 1) {
                setBitLocked(node, false);
            }
            refs[node]--;
        } finally {
            lock.unlock();
        }
    }

    /** One logged change of one cell (a waiter finishes it if this process stops after committing it). */
    private void setBitLocked(int node, boolean on) {
        long off = process(procSlot) + nodeCell(node);
        while (true) {
            try {
                int bits = lock.cellValue(off);
                lock.putCell(off, on ? bits | (1 << node) : bits & ~(1 << node));
                lock.commit("node.committed", "node.half-applied");
                return;
            } catch (Fabric.Preempted e) {
                // the lock is held again and the tables changed: read the cell again
            }
        }
    }

    /**
     * @param node    a node id
     * @param exclude a process slot not to count (a dead one being reaped), or -1
     * @return whether another LIVE process is attached as that node
     */
    boolean isOnlineExcept(int node, int exclude) {
        if (node < 0 || node >= ShmOptions.MAX_NODES) {
            return false;
        }
        for (int i = 0; i < MAX_PROCESSES; i++) {
            long p = process(i);
            if (i != exclude && file.getInt(p + P_STATE) == P_LIVE
                && (file.getInt(p + nodeCell(node)) & (1 << node)) != 0) {
                return true;
            }
        }
        return false;
    }

    /** @return the online node ids, ascending */
    int[] online() {
        BitSet online = new BitSet();
        online(online);
        return online.stream().toArray();
    }

    /**
     * Sets the online node ids in {@code online}; allocates nothing once it has room for them
     * (node events read it every period).
     *
     * @param online where to set them
     */
    void online(BitSet online) {
        for (int i = 0; i < MAX_PROCESSES; i++) {
            long p = process(i);
            if (file.getInt(p + P_STATE) == P_LIVE) {
                for (int c = 0; c < P_NODE_CELLS; c++) {
                    int bits = file.getInt(p + P_NODES + 8L * c);
                    for (int b = 0; bits != 0; b++, bits >>>= 1) {
                        if ((bits & 1) != 0) {
                            online.set(32 * c + b);
                        }
                    }
                }
            }
        }
    }
}
