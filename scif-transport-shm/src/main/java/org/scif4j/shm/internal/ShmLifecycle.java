package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.FabricDescriptor.*;

import org.scif4j.ScifException;
import org.scif4j.spi.DataPathLock;
import org.scif4j.spi.EndpointRules;

/**
 * The steps of an shm endpoint's life besides connect ({@link ShmConnector}) and accept
 * ({@link ShmAcceptor}): bind and listen, each one change to the endpoint's slot in the
 * endpoint table, and close once the endpoint is marked closed, which lets go of the RMA
 * half, the slot, the pending request and the connection, in that order.
 *
 * <p>Each step takes the endpoint's {@code ctl}, then the fabric lock (the order of
 * docs/concurrency.md), and runs its change again from the start when the fabric lock was
 * pre-empted while this process was stopped and the tables changed ({@link Fabric.Preempted}).
 */
final class ShmLifecycle {
    private final ShmEndpoint endpoint;
    private final ShmNode node;
    private final Fabric fabric;
    private final EndpointTable table;
    private final int slot;
    private final ShmConnector connector;
    private final DataPathLock sendLock;
    private final DataPathLock recvLock;

    /**
     * @param endpoint  the endpoint, whose final fields are set
     * @param connector its connector, whose pending request close releases
     * @param sendLock  its send lock
     * @param recvLock  its receive lock
     */
    ShmLifecycle(ShmEndpoint endpoint, ShmConnector connector, DataPathLock sendLock, DataPathLock recvLock) {
        this.endpoint = endpoint;
        this.node = endpoint.node;
        this.fabric = endpoint.fabric;
        this.table = endpoint.table;
        this.slot = endpoint.slot;
        this.connector = connector;
        this.sendLock = sendLock;
        this.recvLock = recvLock;
    }

    /**
     * scif_bind.
     *
     * @param requested the port, 0 for the lowest free one
     * @return the port bound
     */
    int bind(int requested, String call) throws ScifException {
        return changeTables(() -> {
            EndpointRules.checkOpen(endpoint.isClosed(), call);
            EndpointRules.bindState(ShmEndpoint.stateOf(table.state(slot)), endpoint.port(), call);
            int p = requested == 0
                ? EndpointRules.freePort(table.slots().lowestFreePortLocked(node.selfId()), node.selfId(), call)
                : requested;
            if (requested != 0 && table.slots().portBusyLocked(node.selfId(), p)) {
                throw EndpointRules.portInUse(p, node.selfId(), call);
            }
            table.slots().holdPortLocked(slot, p);
            table.set(slot, E_STATE, BOUND);
            fabric.commit();
            endpoint.bound(p);
            return p;
        });
    }

    /** scif_listen. */
    void listen(int backlog, String call) throws ScifException {
        changeTables(() -> {
            EndpointRules.checkOpen(endpoint.isClosed(), call);
            EndpointRules.listen(ShmEndpoint.stateOf(table.state(slot)), backlog, call);
            table.set(slot, E_BACKLOG, ListenQueues.cappedBacklog(backlog));
            table.set(slot, E_STATE, LISTENING);
            fabric.commit();
            return 0;
        });
    }

    /** One change of the endpoint's slot, prepared and committed by {@link #changeTables}. */
    @FunctionalInterface
    private interface SlotChange {
        int prepareAndCommit() throws ScifException;
    }

    /**
     * Runs {@code change} inside the fabric, under the endpoint's {@code ctl} then the fabric
     * lock (in that order, docs/concurrency.md), again from the start whenever the hold was
     * pre-empted while this process was stopped ({@link Fabric.Preempted}: the lock is held
     * again and the tables changed, so what the change read is stale).
     */
    private int changeTables(SlotChange change) throws ScifException {
        fabric.enter();
        try {
            endpoint.ctl.lock();
            fabric.lock();
            try {
                while (true) {
                    try {
                        return change.prepareAndCommit();
                    } catch (Fabric.Preempted e) {
                        // read the tables again
                    }
                }
            } finally {
                fabric.unlock();
                endpoint.ctl.unlock();
            }
        } finally {
            fabric.exit();
        }
    }

    /**
     * The rest of a close, once the endpoint is marked closed under {@code ctl} (from then on
     * no connect or accept sets up its RMA half). Caller is inside the fabric and holds no lock.
     *
     * @param rma the endpoint's RMA half, read after the mark: null if it never connected
     */
    void close(EndpointRma rma) {
        // The RMA half first, while the slot is still ours: its RMAs, fence waiters and DMA
        // completions read and wake this slot, which another endpoint may take once it is FREE.
        if (rma != null) {
            rma.close(); // wakes fence waiters (EINTR), waits for RMAs in progress, unregisters every window
        }
        endpoint.ctl.lock();
        try {
            fabric.lock();
            try {
                while (true) { // again if the lock was pre-empted while this process was stopped (Fabric.beginWrite)
                    try {
                        table.slots().closeLocked(slot); // also wakes every waiter on this endpoint
                        fabric.commit();
                        break;
                    } catch (Fabric.Preempted e) {
                        // the lock is held again, and the tables changed: read them again
                    }
                }
            } finally {
                fabric.unlock();
            }
            connector.closePending();
        } finally {
            endpoint.ctl.unlock();
        }
        // Every sender and receiver has been woken and sees `closed`; once they are out, unmap.
        sendLock.lock();
        recvLock.lock();
        try {
            Connection c = endpoint.connection();
            if (c != null) {
                c.close();
            }
        } finally {
            recvLock.unlock();
            sendLock.unlock();
        }
        node.forget(endpoint);
    }
}
