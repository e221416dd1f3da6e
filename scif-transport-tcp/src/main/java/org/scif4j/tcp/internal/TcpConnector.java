package org.scif4j.tcp.internal;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.scif4j.Errno;
import org.scif4j.PortId;
import org.scif4j.ScifException;
import org.scif4j.spi.EndpointRules;
import org.scif4j.spi.EndpointState;

/**
 * The connector's half of scif_connect(3) on tcp: binds an UNBOUND endpoint, sends the
 * CONNECT_REQ and waits for its answer (or, non-blocking, lets poll and a second connect
 * collect it), arms the watchdog that gives up after the {@code timeout=} period, and turns a
 * CONNECT_ACK into the endpoint's connection ({@link TcpEndpoint#connectedLocked}).
 *
 * <p>Every field is guarded by the endpoint's monitor, as its state is. The answer
 * ({@code connectResult}) is written only by {@link #answer}, under that monitor, by whoever
 * ends the request: the link's reader (CONNECT_ACK, CONNECT_NAK), the watchdog (a task on the
 * node's event loop group), the node when the peer is lost, or the connecting thread itself
 * (refused at once, or withdrawn). {@code answer} calls {@link TcpEndpoint#changed}, which
 * wakes the blocking connect waiting on the monitor and every poll (POLLOUT).
 */
final class TcpConnector {
    /** {@code connectResult} of an accepted request; a refusal is a negative errno, 0 is no answer yet. */
    private static final int ACCEPTED = 1;

    private final TcpEndpoint endpoint;
    private final TcpNode node;

    // Guarded by the endpoint's monitor.
    /** A non-blocking connect waits for its second call. */
    private boolean asyncPending;
    /** The answer to the request: 0 while none came, {@link #ACCEPTED}, or a negative errno. */
    private int connectResult;
    /** Why the request was refused, for the exception. */
    private String refusal;
    /** The port the request was sent to. */
    private PortId target;
    /**
     * This attempt bound the endpoint itself towards a node no link reached yet: if that node
     * turns out not to be online, the endpoint is UNBOUND again, as SCIF's connect fails with
     * ENODEV before it binds (the Linux driver asks for the peer device first). A node that was
     * linked and is lost during the handshake leaves the endpoint BOUND, as in the driver.
     */
    private boolean unbindIfNodeDown;
    /** Gives the request up after the watchdog period; null when none is armed. */
    private ScheduledFuture<?> watchdog;

    TcpConnector(TcpEndpoint endpoint, TcpNode node) {
        this.endpoint = endpoint;
        this.node = node;
    }

    /**
     * scif_connect: starts a request, or collects the answer to a non-blocking one. Called
     * without the monitor: the request is sent, and a blocking connect then waits, on it.
     *
     * @return the local port
     */
    int connect(PortId dst, String call) throws ScifException {
        long request;
        int from;
        boolean blocking = endpoint.isBlocking();
        synchronized (endpoint) {
            EndpointRules.checkOpen(endpoint.isClosed(), call);
            if (asyncPending) {
                if (connectResult == 0) {
                    throw EndpointRules.connectInProgress(false, call);
                }
                return finishConnect(call);
            }
            request = startConnect(call, dst);
            if (request == 0) { // refused before it was sent: the result is known already
                if (blocking) {
                    return finishConnect(call);
                }
                asyncPending = true;
                endpoint.changed();
                throw EndpointRules.connectInProgress(true, call);
            }
            asyncPending = !blocking;
            from = endpoint.portLocked();
        }
        node.links().send(dst.node(), ConnectionWire.connectRequest(node.alloc(), request, from, dst.port(),
            node.options().ringBytes()));
        if (!blocking) {
            throw EndpointRules.connectInProgress(true, call);
        }
        synchronized (endpoint) {
            try {
                // Woken by answer() (changed() notifies the monitor) or by close.
                while (connectResult == 0 && !endpoint.isClosed()) {
                    endpoint.wait();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (connectResult == 0 && !endpoint.isClosed()) {
                    withdraw();
                    throw ScifException.of(call, Errno.EINTR, "interrupted while waiting to be accepted; the"
                        + " endpoint stays bound to port " + endpoint.portLocked());
                }
            }
            if (endpoint.isClosed()) {
                throw ScifException.of(call, Errno.EINTR, "the endpoint was closed while connecting");
            }
            return finishConnect(call);
        }
    }

    /** Validates, binds if needed, and makes the request. Caller holds the monitor. @return its wire id, 0 if refused at once */
    private long startConnect(String call, PortId dst) throws ScifException {
        EndpointRules.connect(endpoint.stateLocked(), dst, call);
        if (!node.isInFabric(dst.node())) {
            throw ScifException.of(call, Errno.ENODEV, "node " + dst.node() + " is not in the fabric; its nodes are "
                + node.options().nodes().keySet());
        }
        unbindIfNodeDown = endpoint.stateLocked() == EndpointState.UNBOUND && !node.isLinked(dst.node());
        if (endpoint.stateLocked() == EndpointState.UNBOUND) {
            endpoint.bindAnyLocked(call);
        }
        target = dst;
        if (dst.port() == 0) {
            answer(-Errno.ECONNREFUSED.number(), "nobody listens on port 0");
            return 0;
        }
        // A fresh wire id per attempt: a late answer to an abandoned attempt finds nobody.
        long id = endpoint.renewWireIdLocked();
        connectResult = 0;
        endpoint.stateLocked(EndpointState.CONNECTING);
        watchdog = node.group().schedule(() -> onWatchdog(id), node.options().timeoutMillis(), TimeUnit.MILLISECONDS);
        return id;
    }

    /** Collects the answer. Caller holds the monitor. */
    private int finishConnect(String call) throws ScifException {
        int r = connectResult;
        asyncPending = false;
        connectResult = 0;
        if (r == ACCEPTED) {
            return endpoint.portLocked();
        }
        Errno e = Errno.ofNumber(-r);
        throw ScifException.of(call, e == null ? Errno.ECONNREFUSED : e, refusal
            + (endpoint.stateLocked() == EndpointState.UNBOUND ? "; the endpoint stays unbound"
            : "; the endpoint stays bound to port " + endpoint.portLocked() + " and may retry"));
    }

    /** The request ends (a refusal goes back to BOUND, keeping the port). Caller holds the monitor. */
    private void answer(int result, String why) {
        if (watchdog != null) {
            watchdog.cancel(false);
            watchdog = null;
        }
        if (result != ACCEPTED) {
            endpoint.stateLocked(EndpointState.BOUND);
        }
        connectResult = result;
        refusal = why;
        endpoint.changed();
    }

    /** Gives up a request in flight, telling the listener. Caller holds the monitor. */
    private void withdraw() {
        node.links().send(target.node(), ConnectionWire.connectCancel(node.alloc(), endpoint.wireIdLocked(), target.port()));
        answer(-Errno.ECONNREFUSED.number(), "withdrawn");
        connectResult = 0;
        asyncPending = false;
    }

    /** The watchdog of the attempt with wire id {@code id} fired: gives it up if it still waits. */
    private void onWatchdog(long id) {
        synchronized (endpoint) {
            if (endpoint.stateLocked() == EndpointState.CONNECTING && endpoint.wireIdLocked() == id
                && connectResult == 0) {
                watchdog = null;
                node.links().send(target.node(), ConnectionWire.connectCancel(node.alloc(), id, target.port()));
                answer(-Errno.ECONNREFUSED.number(), "not accepted within " + node.options().timeoutMillis()
                    + " ms (the watchdog period, option timeout=)");
            }
        }
    }

    /** CONNECT_ACK: @return false when this endpoint no longer waits for it */
    boolean onAccepted(Link link, long acceptor, int ring) {
        synchronized (endpoint) {
            if (endpoint.isClosed() || endpoint.stateLocked() != EndpointState.CONNECTING
                || link.peerNode != target.node()) {
                return false;
            }
            endpoint.connectedLocked(target, acceptor, link.peerIncarnation, ring);
            answer(ACCEPTED, null);
            return true;
        }
    }

    /** CONNECT_NAK from {@code from}. */
    void onRefused(int from, int errno) {
        synchronized (endpoint) {
            if (!endpoint.isClosed() && endpoint.stateLocked() == EndpointState.CONNECTING && from == target.node()) {
                answer(-errno, errno == Errno.ECONNREFUSED.number() ? "nobody listens on " + target
                    + ", its backlog is full, or the listener closed" : "refused by node " + from);
            }
        }
    }

    /**
     * Node {@code lost} is gone: a request to it that waits fails with ENODEV, or with
     * ECONNREFUSED when the node detached (said BYE), having closed its listeners first. Caller
     * holds the monitor.
     *
     * @param detached whether the node detached rather than being lost
     * @return whether this endpoint was connecting to it
     */
    boolean onPeerLostLocked(int lost, String reason, boolean detached) {
        if (endpoint.stateLocked() == EndpointState.CONNECTING && target.node() == lost && connectResult == 0) {
            if (detached) { // its listeners closed before it left: refused, as shm says (docs/decisions.md)
                answer(-Errno.ECONNREFUSED.number(), "node " + lost + " detached; its listeners closed first");
            } else {
                answer(-Errno.ENODEV.number(), "node " + lost + " is not online (" + reason + ")");
                if (unbindIfNodeDown) {
                    endpoint.unbindLocked(); // the connect never had a node to bind towards
                }
            }
            return true;
        }
        return false;
    }

    /** @return whether a non-blocking connect waits for its second call. Caller holds the monitor. */
    boolean asyncPendingLocked() {
        return asyncPending;
    }

    /** @return whether the request has its answer, for the second connect to collect. Caller holds the monitor. */
    boolean answeredLocked() {
        return connectResult != 0;
    }

    /** The endpoint closes: its watchdog, if armed, will not fire. Caller holds the monitor. */
    void stopWatchdogLocked() {
        if (watchdog != null) {
            watchdog.cancel(false);
        }
    }

    /**
     * The endpoint closes while CONNECTING. Caller holds the monitor.
     *
     * @return what tells the listener that the request is withdrawn, to run without the monitor
     */
    Runnable withdrawalLocked() {
        PortId t = target;
        long id = endpoint.wireIdLocked();
        return () -> node.links().send(t.node(), ConnectionWire.connectCancel(node.alloc(), id, t.port()));
    }
}
