package org.scif4j.tcp.internal;

import java.util.ArrayDeque;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.ScifException;
import org.scif4j.spi.EndpointRules;
import org.scif4j.spi.EndpointState;

/**
 * The listener's half of scif_accept(3) on tcp: the backlog of CONNECT_REQs queued on a
 * LISTENING endpoint, and accept, which takes the oldest one, makes the accepted endpoint
 * (CONNECTED at once, sharing the listener's port) and answers the connector with CONNECT_ACK.
 *
 * <p>The backlog and the queue are guarded by the listener's monitor, as its state is. The
 * link's reader queues (CONNECT_REQ, {@link #offer}) and removes (CONNECT_CANCEL, a lost node)
 * requests under it and calls {@link TcpEndpoint#changed}, which wakes an accept waiting on
 * that monitor and every poll (POLLIN); closing the listener wakes accept the same way.
 */
final class TcpAcceptor {
    private final TcpEndpoint listener;
    private final TcpNode node;

    // Guarded by the listener's monitor.
    private int backlog;
    private final ArrayDeque<ConnectRequest> queue = new ArrayDeque<>();

    TcpAcceptor(TcpEndpoint listener, TcpNode node) {
        this.listener = listener;
        this.node = node;
    }

    /** The listener starts listening: at most {@code backlog} requests wait. Caller holds the monitor. */
    void backlogLocked(int backlog) {
        this.backlog = backlog;
    }

    /**
     * scif_accept: the next request, waiting for one when {@code sync}.
     *
     * @return the connected endpoint
     */
    Endpoint accept(boolean sync, String call) throws ScifException {
        ConnectRequest r;
        int ring;
        int port;
        synchronized (listener) {
            EndpointRules.checkOpen(listener.isClosed(), call);
            while (true) {
                if (listener.isClosed()) {
                    throw ScifException.of(call, Errno.EINTR, "the listener was closed while accept waited");
                }
                EndpointRules.accept(listener.stateLocked(), call);
                r = queue.poll();
                if (r != null) {
                    break;
                }
                if (!sync) {
                    throw EndpointRules.nothingToAccept(call);
                }
                try {
                    listener.wait(); // woken by changed(): a request queued, or the listener closed
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw ScifException.of(call, Errno.EINTR, "interrupted while waiting for a request");
                }
            }
            port = listener.portLocked();
            node.ports().share(port); // accepted endpoints share the listener's port
            ring = Math.min(r.ring(), node.options().ringBytes());
            listener.changed();
        }
        TcpEndpoint e = TcpEndpoint.accepted(node, port, r, ring);
        node.adopt(e);
        node.links().send(r.node(), ConnectionWire.connectAck(node.alloc(), r.connector(), e.wireId(), ring));
        if (node.isClosed()) {
            // The node closed while we accepted: its close may have walked its endpoints before
            // this one joined them (as open guards against); close it rather than leak it.
            e.close();
            throw ScifException.of(call, Errno.EINTR, "the node was closed while accept ran");
        }
        return e;
    }

    /** A request for this listener. @return 0 when queued, else the errno to refuse it with */
    int offer(ConnectRequest r) {
        synchronized (listener) {
            if (listener.isClosed() || listener.stateLocked() != EndpointState.LISTENING) {
                return Errno.ECONNREFUSED.number();
            }
            if (queue.size() >= backlog) {
                return Errno.ECONNREFUSED.number();
            }
            queue.add(r);
            listener.changed();
            return 0;
        }
    }

    /** CONNECT_CANCEL: the connector gave up; its request leaves the queue. */
    void onCancel(int from, long connector) {
        synchronized (listener) {
            if (queue.removeIf(r -> r.node() == from && r.connector() == connector)) {
                listener.changed();
            }
        }
    }

    /**
     * Node {@code lost} is gone: its requests leave the queue. Caller holds the monitor.
     *
     * @return whether the listener dropped any
     */
    boolean onPeerLostLocked(int lost) {
        if (listener.stateLocked() == EndpointState.LISTENING && queue.removeIf(r -> r.node() == lost)) {
            listener.changed();
            return true;
        }
        return false;
    }

    /** @return whether a request waits to be accepted. Caller holds the monitor. */
    boolean hasRequestLocked() {
        return !queue.isEmpty();
    }

    /**
     * The listener closes: the queue empties. Caller holds the monitor.
     *
     * @return what refuses the requests that were queued (CONNECT_NAK), to run without the monitor
     */
    Runnable refuseAllLocked() {
        ConnectRequest[] refused = queue.toArray(new ConnectRequest[0]);
        queue.clear();
        return () -> {
            for (ConnectRequest r : refused) {
                node.links().send(r.node(), ConnectionWire.connectNak(node.alloc(), r.connector(),
                    Errno.ECONNREFUSED.number()));
            }
        };
    }
}
