package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.FabricDescriptor.*;

import java.io.IOException;
import org.scif4j.Errno;
import org.scif4j.PortId;
import org.scif4j.ScifException;
import org.scif4j.spi.EndpointRules;

/**
 * The connector's half of scif_connect(3) on shm: binds an UNBOUND endpoint, creates the
 * connection file, queues the request on the listener's slot and waits (or, non-blocking,
 * lets poll and a second connect collect the answer); an accepted request becomes the
 * endpoint's connection ({@link ShmEndpoint#adoptLocked}). State guarded by the endpoint's
 * {@code ctl}; the fabric lock is taken after it.
 */
final class ShmConnector {
    private final ShmEndpoint endpoint;
    private final ShmNode node;
    private final Fabric fabric;
    private final EndpointTable table;
    private final Waiter waiter;
    private final int slot;
    /** Long-lived, so that waiting allocates nothing. */
    private final Waiter.Condition answered;
    /** The connection file made for a request not yet collected. Guarded by ctl. */
    private Connection pending;
    /** A non-blocking connect waits for its second call. Guarded by ctl. */
    private boolean asyncPending;
    private long asyncDeadline;

    ShmConnector(ShmEndpoint endpoint) {
        this.endpoint = endpoint;
        this.node = endpoint.node;
        this.fabric = endpoint.fabric;
        this.table = endpoint.table;
        this.waiter = endpoint.waiter;
        this.slot = endpoint.slot;
        this.answered = () -> endpoint.isClosed() || table.get(slot, E_CONNECT_RESULT) != 0;
    }

    /** @return the pending request's connection, or null. Caller holds ctl. */
    Connection pending() {
        return pending;
    }

    /** @return whether a non-blocking connect waits for its second call. Caller holds ctl. */
    boolean asyncPending() {
        return asyncPending;
    }

    /** @return whether the pending request was answered or its watchdog period is over. Caller holds ctl. */
    boolean answered() {
        return table.get(slot, E_CONNECT_RESULT) != 0 || System.nanoTime() - asyncDeadline >= 0;
    }

    /** Releases a request's connection file as the endpoint closes. Caller holds ctl. */
    void closePending() {
        if (pending != null) {
            pending.close();
            pending = null;
        }
    }

    /**
     * scif_connect: starts a request, or collects the answer to a non-blocking one. Caller is
     * inside the fabric ({@code Fabric.enter}).
     *
     * @return the local port
     */
    int connect(PortId dst, String call) throws ScifException {
        endpoint.ctl.lock();
        try {
            EndpointRules.checkOpen(endpoint.isClosed(), call);
            if (asyncPending) {
                if (table.get(slot, E_CONNECT_RESULT) == 0 && System.nanoTime() - asyncDeadline < 0) {
                    throw EndpointRules.connectInProgress(false, call);
                }
                return finishConnect(call, Waiter.TIMED_OUT);
            }
            startConnect(call, dst);
            if (!endpoint.isBlocking()) {
                asyncPending = true;
                asyncDeadline = System.nanoTime() + node.options().timeoutMillis() * 1_000_000L;
                throw EndpointRules.connectInProgress(true, call);
            }
        } finally {
            endpoint.ctl.unlock();
        }
        // Wait without ctl, so that close() from another thread can end the wait.
        long deadline = System.nanoTime() + node.options().timeoutMillis() * 1_000_000L;
        int waited = waiter.await(answered, endpoint(slot) + E_EVENT_SEQ, endpoint(slot) + E_SLEEPERS, deadline);
        endpoint.ctl.lock();
        try {
            return finishConnect(call, waited);
        } finally {
            endpoint.ctl.unlock();
        }
    }

    /** Validates, binds if needed, and queues the request on the listener. Caller holds endpoint.ctl. */
    private void startConnect(String call, PortId dst) throws ScifException {
        fabric.lock();
        try {
            while (true) { // again if the lock was pre-empted while this process was stopped (Fabric.beginWrite)
                try {
                    int state = table.state(slot);
                    EndpointRules.connect(ShmEndpoint.stateOf(state), dst, call);
                    if (!fabric.isOnline(dst.node())) {
                        throw ScifException.of(call, Errno.ENODEV, "node " + dst.node() + " is not online;"
                            + " online nodes: " + java.util.Arrays.toString(fabric.onlineNodes()));
                    }
                    if (state == UNBOUND) {
                        int p = EndpointRules.freePort(table.slots().lowestFreePortLocked(node.selfId()),
                            node.selfId(), call);
                        table.slots().holdPortLocked(slot, p);
                        table.set(slot, E_STATE, BOUND);
                        fabric.commit();
                        endpoint.bound(p);
                    }
                    break;
                } catch (Fabric.Preempted e) {
                    // the lock is held again, and the tables changed: read them again
                }
            }
        } finally {
            fabric.unlock();
        }
        Connection c;
        try {
            c = fabric.newConnection(node.options().ringBytes());
        } catch (IOException e) {
            throw new ScifException(Errno.ENOMEM, call + ": ENOMEM, cannot create connection file: " + e, e);
        }
        long id = c.id;
        String refused = null;
        fabric.lock();
        try {
            while (true) { // again if the lock was pre-empted while this process was stopped (Fabric.beginWrite)
                try {
                    int listener = dst.port() == 0 ? -1 : table.slots().findListenerLocked(dst.node(), dst.port());
                    if (listener < 0) {
                        refused = "no endpoint listens on " + dst;
                    } else if (!table.queues().enqueueLocked(listener, slot)) {
                        refused = "the backlog of the listener on " + dst + " is full";
                    } else {
                        table.connectionId(slot, id);
                        table.set(slot, E_CONNECT_RESULT, 0);
                        table.set(slot, E_PEER_NODE, dst.node());
                        table.set(slot, E_PEER_PORT, dst.port());
                        table.set(slot, E_STATE, CONNECTING);
                        table.signal(listener);
                    }
                    fabric.commit();
                    break;
                } catch (Fabric.Preempted e) {
                    // the lock is held again, and the tables changed: read them again
                }
            }
        } finally {
            fabric.unlock();
        }
        if (refused != null) {
            c.close();
            table.slots().deleteConnectionFile(id);
            if (!endpoint.isBlocking()) {
                // As in Linux, where the handshake runs in a worker: the refusal is the result
                // that poll announces with POLLOUT and the next connect returns.
                table.set(slot, E_CONNECT_RESULT, -Errno.ECONNREFUSED.number());
                return;
            }
            throw ScifException.of(call, Errno.ECONNREFUSED, refused + "; the endpoint stays bound to port "
                + endpoint.port() + " and may retry");
        }
        pending = c;
    }

    /** Collects the answer to a queued request. Caller holds endpoint.ctl. */
    private int finishConnect(String call, int waited) throws ScifException {
        if (endpoint.isClosed()) {
            // Another thread closed the endpoint while the connect waited (closing wakes every
            // call blocked on it with EINTR, decisions.md). close() has withdrawn the request,
            // released `pending` and freed the slot, which may belong to another endpoint now:
            // nothing of it is read or written here. ctl, which close sets `closed` under, is
            // held, so this one look covers every branch below.
            throw ScifException.of(call, Errno.EINTR, "the endpoint was closed while connecting");
        }
        Connection c = pending;
        if (c == null && endpoint.connection() != null) {
            // Accepted, and a send, recv, RMA call or peerPort() already set the connection up
            // (see collectAccepted): only the result is left to report, as scif_connect(3) says.
            asyncPending = false;
            return endpoint.port();
        }
        if (c == null) { // a non-blocking request refused before it was queued
            int result = table.get(slot, E_CONNECT_RESULT);
            asyncPending = false;
            table.set(slot, E_CONNECT_RESULT, 0);
            Errno e = Errno.ofNumber(-result);
            throw ScifException.of(call, e == null ? Errno.ECONNREFUSED : e, "no endpoint listened on the"
                + " peer port, or its backlog was full; the endpoint stays bound to port " + endpoint.port() + " and may retry");
        }
        long id;
        int result;
        fabric.lock();
        try {
            while (true) { // again if the lock was pre-empted while this process was stopped (Fabric.beginWrite)
                try {
                    result = table.get(slot, E_CONNECT_RESULT);
                    id = table.connectionId(slot);
                    asyncPending = false;
                    if (result == CONNECT_ACCEPTED) {
                        endpoint.adoptLocked(c);
                        pending = null;
                        return endpoint.port();
                    }
                    if (result == 0) {
                        table.queues().unlinkLocked(slot); // withdraw: timed out or interrupted
                        table.set(slot, E_STATE, BOUND);
                    }
                    table.connectionId(slot, 0);
                    fabric.commit();
                    pending = null; // after the writes, which may throw Fabric.Preempted: the body runs again
                    break;
                } catch (Fabric.Preempted e) {
                    // the lock is held again, and the tables changed: read them again
                }
            }
        } finally {
            fabric.unlock();
        }
        c.close();
        table.slots().deleteConnectionFile(id);
        if (result < 0) {
            Errno e = Errno.ofNumber(-result);
            throw ScifException.of(call, e == null ? Errno.ECONNREFUSED : e, "the listener refused or"
                + " closed before accepting; the endpoint stays bound to port " + endpoint.port() + " and may retry");
        }
        if (waited == Waiter.INTERRUPTED) {
            throw ScifException.of(call, Errno.EINTR, "interrupted while waiting to be accepted");
        }
        throw ScifException.of(call, Errno.ECONNREFUSED, "not accepted within " + node.options().timeoutMillis()
            + " ms (the watchdog period, option timeout=); the endpoint stays bound and may retry");
    }

    /**
     * Sets up the connection of a request that the acceptor has answered but no connect call
     * has collected yet. scif_connect(3): in the driver the handshake ends in a kernel worker and the
     * endpoint is CONNECTED from then on; the second connect only reports the result. So the
     * first send, recv, RMA call or peerPort() after the accept finishes the connector's side
     * here, and the connect that collects the result later still returns the port
     * ({@code asyncPending} stays set). A refused or unanswered request is left alone: its
     * error is for the second connect to report, and the data calls see a BOUND or CONNECTING
     * endpoint (ENOTCONN).
     *
     * <p>Cold path: runs only while the endpoint's {@code conn} is null. It takes ctl, then the fabric lock,
     * like connect, so that it never races finishConnect or close (close takes ctl before it
     * releases {@link #pending}, and unmaps the endpoint's {@code conn} only after it). Callers may hold
     * sendLock or recvLock: nothing takes one of them while holding endpoint.ctl.
     *
     * @return whether the endpoint has its connection now
     */
    boolean collectAccepted() {
        if (!fabric.tryEnter()) {
            return false; // the node is detached: there is nothing left to connect
        }
        try {
            endpoint.ctl.lock();
            try {
                if (endpoint.isClosed()) {
                    return false;
                }
                if (endpoint.connection() != null) {
                    return true; // another thread set it up first
                }
                Connection c = pending;
                if (c == null) {
                    return false; // no request queued: never connected, or refused before queueing
                }
                fabric.lock();
                try {
                    if (table.get(slot, E_CONNECT_RESULT) != CONNECT_ACCEPTED) {
                        return false; // still queued, or refused: the second connect reports it
                    }
                    endpoint.adoptLocked(c);
                    pending = null;
                    return true;
                } catch (ScifException e) {
                    return false; // a corrupt peer slot: the second connect reports it
                } finally {
                    fabric.unlock();
                }
            } finally {
                endpoint.ctl.unlock();
            }
        } finally {
            fabric.exit();
        }
    }

}
