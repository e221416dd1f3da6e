package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.FabricDescriptor.*;

import java.io.IOException;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.PortId;
import org.scif4j.ScifException;
import org.scif4j.spi.EndpointRules;

/**
 * The listener's half of scif_accept(3) on shm: takes the oldest request queued on the
 * listener's slot, links the connector's slot and a new slot in one change of the endpoint
 * table (both CONNECTED, each naming the other), and makes the accepted endpoint over the
 * connection file the connector created. Locks as the listener's other control calls: its
 * {@code ctl}, then the fabric lock.
 */
final class ShmAcceptor {
    private final ShmEndpoint listener;
    private final ShmNode node;
    private final Fabric fabric;
    private final EndpointTable table;
    private final Waiter waiter;
    private final int slot;
    /** Long-lived, so that waiting allocates nothing. */
    private final Waiter.Condition requested;

    ShmAcceptor(ShmEndpoint listener) {
        this.listener = listener;
        this.node = listener.node;
        this.fabric = listener.fabric;
        this.table = listener.table;
        this.waiter = listener.waiter;
        this.slot = listener.slot;
        this.requested = () -> listener.isClosed() || table.state(slot) != LISTENING
            || table.get(slot, E_QUEUE_COUNT) > 0;
    }

    /**
     * scif_accept: the next request, waiting for one when {@code sync}. Caller is inside the fabric
     * ({@code Fabric.enter}).
     *
     * @return the connected endpoint
     */
    Endpoint accept(boolean sync, String call) throws ScifException {
        while (true) {
            ShmEndpoint accepted = tryAccept(call);
            if (accepted != null && node.isClosed()) {
                // The node closed while we accepted: its close may have walked its endpoints
                // before this one joined them (as ShmNode.open guards against), so close it
                // here, which tells the connector, rather than leak a connected endpoint.
                accepted.close();
                throw ScifException.of(call, Errno.EINTR, "the node was closed while accept ran");
            }
            if (accepted != null) {
                return accepted;
            }
            if (!sync) {
                throw EndpointRules.nothingToAccept(call);
            }
            int waited = waiter.await(requested, endpoint(slot) + E_EVENT_SEQ, endpoint(slot) + E_SLEEPERS,
                Long.MAX_VALUE);
            if (listener.isClosed()) {
                throw ScifException.of(call, Errno.EINTR, "the listener was closed while accept waited");
            }
            if (waited == Waiter.INTERRUPTED) {
                throw ScifException.of(call, Errno.EINTR, "interrupted while waiting for a request");
            }
        }
    }

    /** Takes the oldest queued request, if any, and makes the connected endpoint for it. */
    private ShmEndpoint tryAccept(String call) throws ScifException {
        listener.ctl.lock();
        fabric.lock();
        try {
            while (true) { // again if the lock was pre-empted while this process was stopped (Fabric.beginWrite)
                try {
                    EndpointRules.checkOpen(listener.isClosed(), call);
                    while (true) {
                        EndpointRules.accept(ShmEndpoint.stateOf(table.state(slot)), call);
                        int c = table.queues().headLocked(slot); // checked: a corrupt queue fails with ENODEV
                        if (c < 0) {
                            return null;
                        }
                        long id = table.connectionId(c);
                        table.queues().unlinkLocked(c);
                        Connection cn;
                        try {
                            cn = Connection.open(fabric.dir(), id);
                        } catch (IOException e) {
                            table.queues().answerLocked(c, -Errno.ECONNREFUSED.number());
                            fabric.commit();
                            continue; // a request whose file is gone or corrupt is refused, never read
                        }
                        int ns = table.slots().allocLocked(node.selfId());
                        if (ns < 0) {
                            cn.close();
                            table.queues().answerLocked(c, -Errno.ENOMEM.number());
                            throw ScifException.of(call, Errno.ENOMEM, "the fabric's endpoint table is full ("
                                + MAX_ENDPOINTS + ")");
                        }
                        return link(ns, c, id, cn);
                    }
                } catch (Fabric.Preempted e) {
                    // the lock is held again, and the tables changed: read them again
                }
            }
        } finally {
            fabric.unlock();
            listener.ctl.unlock();
        }
    }

    private ShmEndpoint link(int ns, int c, long id, Connection cn) {
        int cNode = table.get(c, E_NODE);
        int cPort = table.get(c, E_PORT);
        table.slots().holdPortLocked(ns, listener.port()); // accepted endpoints share the listener's port
        table.set(ns, E_FLAGS, table.get(ns, E_FLAGS) | FLAG_ACCEPTED);
        table.set(ns, E_PEER_NODE, cNode);
        table.set(ns, E_PEER_PORT, cPort);
        table.set(ns, E_PEER_SLOT, c + 1);
        table.set(ns, E_PEER_GEN, table.get(c, E_GEN));
        table.connectionId(ns, id);
        table.set(ns, E_STATE, CONNECTED);
        table.set(c, E_PEER_SLOT, ns + 1);
        table.set(c, E_PEER_GEN, table.get(ns, E_GEN));
        table.set(c, E_PEER_NODE, node.selfId());
        table.set(c, E_PEER_PORT, listener.port());
        table.set(c, E_STATE, CONNECTED);
        table.queues().answerLocked(c, CONNECT_ACCEPTED);
        try {
            fabric.commit(); // popped and answered in one change
        } catch (Fabric.Preempted p) {
            cn.close(); // opened while preparing: the change is prepared again, and opens it again
            throw p;
        }
        CrashPoint.at("accept.popped");
        ShmEndpoint e = new ShmEndpoint(node, ns, cn, listener.port(), new PortId(cNode, cPort), c);
        node.adopt(e);
        return e;
    }

}
