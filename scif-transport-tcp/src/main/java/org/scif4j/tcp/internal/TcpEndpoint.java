package org.scif4j.tcp.internal;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Mapping;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.spi.AbstractEndpoint;
import org.scif4j.spi.Call;
import org.scif4j.spi.DataPathLock;
import org.scif4j.spi.EndpointRules;
import org.scif4j.spi.EndpointState;
import org.scif4j.spi.Poller;

/**
 * A SCIF endpoint of the tcp transport. Its state machine (the Linux SCIF driver's) is guarded by this
 * object's monitor, which user threads wait on and the reader of the peer's link changes
 * (briefly, never waiting): Netty's event loop, or a user thread that reads the link while it
 * waits (see {@link Link}; such a thread holds no monitor while it reads). Every change calls
 * {@link #changed()}, which wakes the monitor's waiters, the thread reading the link for this
 * endpoint, and every poll.
 *
 * <p>This class holds the lifecycle (bind, listen, disconnection, close), the state shared by
 * every phase, and the wiring; connect is {@link TcpConnector}'s, accept and the listener's
 * backlog {@link TcpAcceptor}'s, send and recv {@link TcpMessages}'s, RMA {@link TcpRma}'s.
 * The connector's and the acceptor's fields are guarded by this monitor too, and every waiter
 * of theirs and of the messages waits on it (or on the change count it bumps).
 *
 * <p>Flow control, and the bytes received that the user has not taken yet, are the
 * connection's {@link FlowControl}, used under this monitor by {@link TcpMessages}.
 *
 * <p>{@link AbstractEndpoint} checks the arguments and the closed state; its {@code sendLock}
 * and {@code recvLock} each serialise one direction for a whole call, so concurrent sends never
 * interleave. Lock order: sendLock or recvLock, then the monitor.
 */
final class TcpEndpoint extends AbstractEndpoint {
    private final TcpNode node;

    /** The connect side; its fields are guarded by this monitor. */
    private final TcpConnector connector;
    /** The accept side (the listener's backlog); its fields are guarded by this monitor. */
    private final TcpAcceptor acceptor;
    /** send and recv, and the peer's DATA and CREDIT; they run under this monitor. */
    private final TcpMessages messages;

    // Guarded by this (and the closed flag of AbstractEndpoint, set under it).
    private EndpointState state = EndpointState.UNBOUND;
    private boolean holdsPort;
    private int port;
    private long wireId;
    private PortId peer;
    private long peerWireId;
    private long peerIncarnation;
    // connected
    /** Credit and received bytes; set, before {@code rma}, when the endpoint becomes CONNECTED. */
    private volatile FlowControl flow;
    private boolean disconnectAcked;
    /** Registered memory and RMA; set when the endpoint becomes CONNECTED. */
    private volatile TcpRma rma;
    /** The change count {@link #changed()} bumps, and how user threads wait for it to move. */
    private final EndpointChanges changes;

    TcpEndpoint(TcpNode node) {
        super(DataPathLock.reentrant(), DataPathLock.reentrant(), node.counters().opened());
        this.node = node;
        this.changes = new EndpointChanges(this, node.spin());
        this.connector = new TcpConnector(this, node);
        this.acceptor = new TcpAcceptor(this, node);
        this.messages = new TcpMessages(this, node, changes);
        synchronized (this) {
            this.wireId = node.newWireId(this);
        }
    }

    /** @return an endpoint accepted from {@code r}: CONNECTED at once, sharing the listener's port */
    static TcpEndpoint accepted(TcpNode node, int port, ConnectRequest r, int ring) {
        TcpEndpoint e = new TcpEndpoint(node);
        synchronized (e) {
            e.port = port;
            e.holdsPort = true;
            e.connectedLocked(new PortId(r.node(), r.connectorPort()), r.connector(), r.incarnation(), ring);
        }
        return e;
    }

    // ---------------------------------------------------------------- state, for the connector, acceptor and messages

    /**
     * Becomes CONNECTED to {@code peer}: the accepted side at once, the connector on
     * CONNECT_ACK. Caller holds the monitor.
     */
    void connectedLocked(PortId peer, long peerWireId, long peerIncarnation, int ring) {
        this.peer = peer;
        this.peerWireId = peerWireId;
        this.peerIncarnation = peerIncarnation;
        this.flow = new FlowControl(ring); // before rma: unsentAllowance reads rma, then flow, lock-free
        this.rma = new TcpRma(this, node, peer.node(), peerIncarnation, peerWireId);
        this.state = EndpointState.CONNECTED;
    }

    /** @return the SCIF state. Caller holds the monitor. */
    EndpointState stateLocked() {
        return state;
    }

    /** Moves to {@code s}. Caller holds the monitor, and calls {@link #changed()} when it is done. */
    void stateLocked(EndpointState s) {
        state = s;
    }

    /** @return the peer's port once CONNECTED, else null. Caller holds the monitor. */
    PortId peerLocked() {
        return peer;
    }

    /** @return the peer endpoint's wire id (what our frames for it name). Caller holds the monitor. */
    long peerWireIdLocked() {
        return peerWireId;
    }

    /** @return the connection's credit and received bytes; null until CONNECTED. Volatile. */
    FlowControl flow() {
        return flow;
    }

    /** @return the bound port, 0 while UNBOUND. Caller holds the monitor. */
    int portLocked() {
        return port;
    }

    /** Binds an UNBOUND endpoint to a free port, as connect does. Caller holds the monitor. */
    void bindAnyLocked(String call) throws ScifException {
        port = EndpointRules.freePort(node.ports().holdAny(), node.selfId(), call);
        holdsPort = true;
        state = EndpointState.BOUND;
    }

    /**
     * Gives back the port a connect bound for itself, UNBOUND again (the node it asked for was
     * not online). Caller holds the monitor.
     */
    void unbindLocked() {
        releasePort();
        port = 0;
        state = EndpointState.UNBOUND;
    }

    /** @return this endpoint's wire id (what frames for it name). Caller holds the monitor. */
    long wireIdLocked() {
        return wireId;
    }

    /** Replaces the wire id with a fresh one, so that answers to an earlier attempt find nobody. Caller holds the monitor. */
    long renewWireIdLocked() {
        node.dropWireId(wireId);
        wireId = node.newWireId(this);
        return wireId;
    }

    // ---------------------------------------------------------------- ports and connections

    @Override
    protected boolean mayBindAdminPorts() {
        return node.options().privileged();
    }

    @Override
    protected int doBind(int requested, String call) throws ScifException {
        synchronized (this) {
            checkOpen(call);
            EndpointRules.bindState(state, port, call);
            int p = requested == 0 ? EndpointRules.freePort(node.ports().holdAny(), node.selfId(), call) : requested;
            if (requested != 0 && !node.ports().hold(p)) {
                throw EndpointRules.portInUse(p, node.selfId(), call);
            }
            holdsPort = true;
            port = p;
            state = EndpointState.BOUND;
            return p;
        }
    }

    @Override
    protected void doListen(int backlog, String call) throws ScifException {
        synchronized (this) {
            checkOpen(call);
            EndpointRules.listen(state, backlog, call);
            acceptor.backlogLocked(EndpointRules.cappedBacklog(backlog));
            state = EndpointState.LISTENING;
            node.ports().listen(port, this);
            changed();
        }
    }

    @Override
    protected int doConnect(PortId dst, String call) throws ScifException {
        return connector.connect(dst, call);
    }

    @Override
    protected Endpoint doAccept(boolean sync, String call) throws ScifException {
        return acceptor.accept(sync, call);
    }

    /** @return the connect side, for the answers to this endpoint's request (CONNECT_ACK, CONNECT_NAK) */
    TcpConnector connector() {
        return connector;
    }

    /** @return the accept side, for the requests to this listener (CONNECT_REQ, CONNECT_CANCEL) */
    TcpAcceptor acceptor() {
        return acceptor;
    }

    /**
     * @return the bytes this connection may leave unsent for node {@code peerNode} while that
     *         node is honest (see {@link TcpRma#UNSENT_PER_CONNECTION}; plus the stream window),
     *         or 0 when it is not connected to that node. Lock-free: a racy read of the window
     *         is a moment's view, as the count it judges is.
     */
    long unsentAllowance(int peerNode) {
        TcpRma r = rma;
        return r != null && r.connectedTo(peerNode) ? TcpRma.UNSENT_PER_CONNECTION + flow.ring() : 0;
    }

    /** @return this endpoint's wire id, for the CONNECT_ACK that names it */
    synchronized long wireId() {
        return wireId;
    }

    @Override
    public synchronized PortId localPort() {
        return new PortId(node.selfId(), port);
    }

    @Override
    public synchronized PortId peerPort() {
        return peer;
    }

    // ---------------------------------------------------------------- messages

    @Override
    protected int doSend(ByteBuffer src, boolean block, int flags) throws ScifException {
        return messages.send(src, block, flags);
    }

    @Override
    protected int doRecv(ByteBuffer dst, boolean block, int flags) throws ScifException {
        return messages.recv(dst, block, flags);
    }

    /** @return the messages side, for the peer's DATA and CREDIT frames */
    TcpMessages messages() {
        return messages;
    }

    // ---------------------------------------------------------------- disconnection

    /** DISCONNECT: the peer closed. The endpoint gives up its port at once (LNX rule). */
    void onDisconnect(Link link) {
        long ack;
        synchronized (this) {
            if (isClosed() && peer != null && fromPeerLocked(link)) {
                // Both sides closed at once: the peer's DISCONNECT answers ours, so our close
                // need not wait the whole watchdog period for an ACK the peer will not send
                // (it is CLOSED too); we still acknowledge its DISCONNECT for the same reason.
                disconnectAcked = true;
                changed();
            } else if (state != EndpointState.CONNECTED || !fromPeerLocked(link)) {
                return;
            } else {
                disconnected();
            }
            ack = peerWireId;
        }
        node.links().send(link.peerNode, ConnectionWire.endpointFrame(node.alloc(), Wire.DISCONNECT_ACK, ack));
    }

    synchronized void onDisconnectAck(Link link) {
        if (peer != null && link.peerNode == peer.node()) {
            disconnectAcked = true;
            changed();
        }
    }

    /**
     * Node {@code lost} is gone: connections with it end, requests to or from it fail
     * ({@code detached}: it said BYE, having closed its endpoints first).
     */
    synchronized void onPeerLost(int lost, String reason, boolean detached) {
        if (state == EndpointState.CONNECTED && peer.node() == lost) {
            disconnected();
        } else if (connector.onPeerLostLocked(lost, reason, detached) || acceptor.onPeerLostLocked(lost)) {
            return; // a request to it failed, or its requests left the backlog
        } else if (isClosed() && peer != null && peer.node() == lost) {
            disconnectAcked = true;
            changed();
        }
    }

    /** @return whether a frame on {@code link} comes from this connection's peer. Caller holds the monitor. */
    boolean fromPeerLocked(Link link) {
        return link.peerNode == peer.node() && link.peerIncarnation == peerIncarnation;
    }

    /** CONNECTED to DISCONNECTED. Caller holds the monitor. */
    private void disconnected() {
        state = EndpointState.DISCONNECTED;
        rma.end(false);
        releasePort();
        changed();
    }

    private void releasePort() {
        if (holdsPort) {
            holdsPort = false;
            node.ports().release(port);
        }
    }

    /** @return the error of a data call on an endpoint that is not CONNECTED. Caller holds the monitor. */
    ScifException notConnectedLocked(String call) {
        return EndpointRules.notConnected(isClosed(), state, peer, call);
    }

    // ---------------------------------------------------------------- registered memory and RMA

    @Override
    protected long addressOf(ByteBuffer direct) {
        return RmaCopy.address(direct);
    }

    @Override
    protected long doRegister(ByteBuffer region, long address, long offset, int prot, int flags, Call call)
        throws ScifException {
        return rma(call).register(region, offset, prot, flags, call);
    }

    @Override
    protected void doUnregister(long offset, long length, Call call) throws ScifException {
        rma(call).unregister(offset, length, call);
    }

    @Override
    protected void doRma(boolean write, long localOffset, ByteBuffer buffer, long length, long remoteOffset,
                         int flags, Call call) throws ScifException {
        rma(call).rma(write, localOffset, buffer, length, remoteOffset, flags, call);
    }

    @Override
    protected int doFenceMark(int flags, Call call) throws ScifException {
        return rma(call).fenceMark(flags, call);
    }

    @Override
    protected void doFenceWait(int mark, Call call) throws ScifException {
        rma(call).fenceWait(mark, call);
    }

    @Override
    protected void doFenceSignal(long localOffset, long localValue, long remoteOffset, long remoteValue, int flags,
                                 Call call) throws ScifException {
        rma(call).fenceSignal(localOffset, localValue, remoteOffset, remoteValue, flags, call);
    }

    @Override
    protected Mapping doMmap(long remoteOffset, long rounded, long length, int prot, Call call) throws ScifException {
        verifyConnected(call.text());
        throw ScifException.of(call.text(), Errno.EOPNOTSUPP, "the tcp transport cannot map a peer's memory"
            + " (no shared memory between hosts); use readFrom/writeTo");
    }

    /**
     * @return the RMA half, once the endpoint is open and CONNECTED (verify_epd's errors
     *         otherwise; the call's text made only then: every RMA call comes through here)
     */
    private synchronized TcpRma rma(Call call) throws ScifException {
        checkOpen(call);
        if (state != EndpointState.CONNECTED) {
            verifyConnected(call.text());
        }
        return rma;
    }

    /** @return the RMA half when a frame on {@code link} comes from this connection's peer, else null */
    TcpRma rmaFrom(Link link) {
        TcpRma r = rma;
        return r != null && r.fromPeer(link) ? r : null;
    }

    private synchronized void verifyConnected(String call) throws ScifException {
        checkOpen(call);
        EndpointRules.connected(state, peer, call);
    }

    // ---------------------------------------------------------------- poll and close

    @Override
    public Poller poller() {
        return TcpPoller.INSTANCE;
    }

    @Override
    protected synchronized int readiness() {
        if (isClosed()) {
            return Scif.POLLNVAL;
        }
        FlowControl f = flow;
        boolean readable = state == EndpointState.LISTENING ? acceptor.hasRequestLocked() : f != null && f.readable();
        return EndpointRules.readiness(state, readable, f != null && f.credit() > 0, connector.asyncPendingLocked(),
            connector.answeredLocked());
    }

    @Override
    public void close() {
        close(true);
    }

    /** Closes as the node detaches: no wait for acknowledgements, the node's BYE covers them. */
    void closeForDetach() {
        close(false);
    }

    private void close(boolean awaitAck) {
        drainRmas();
        Runnable notify = null;
        synchronized (this) {
            if (!markClosed()) {
                return;
            }
            EndpointState before = state;
            state = EndpointState.CLOSED;
            connector.stopWatchdogLocked();
            switch (before) {
                case LISTENING:
                    node.ports().unlisten(port, this);
                    notify = acceptor.refuseAllLocked();
                    break;
                case CONNECTING:
                    notify = connector.withdrawalLocked();
                    break;
                case CONNECTED:
                    int to = peer.node();
                    long dst = peerWireId;
                    notify = () -> node.links().send(to, ConnectionWire.endpointFrame(node.alloc(), Wire.DISCONNECT, dst));
                    break;
                default:
                    awaitAck = false;
            }
            if (before != EndpointState.CONNECTED) {
                awaitAck = false;
            }
            releasePort();
            if (rma != null) {
                rma.end(true); // every RMA and fence waiter leaves; the windows go
            }
            if (flow != null) {
                flow.release();
            }
            changed();
        }
        if (notify != null) {
            notify.run();
        }
        if (awaitAck) {
            awaitDisconnectAck();
        }
        synchronized (this) {
            node.dropWireId(wireId);
        }
        node.forget(this);
    }

    /**
     * SCIF's close lets the RMAs in flight through the endpoint complete before it returns
     * (scif_close(3)): our own operations are waited for here, while the endpoint is still
     * open and its windows still take the answers, bounded by the watchdog. Operations the
     * peer submitted to us are not: requests still on their way cannot be served once we
     * close (docs/tcp-protocol.md). Not under the monitor: the link's reader completes them.
     */
    private void drainRmas() {
        TcpRma r;
        synchronized (this) {
            if (state != EndpointState.CONNECTED || isClosed()) {
                return;
            }
            r = rma;
        }
        if (r != null) {
            r.initiator.drainForClose();
        }
    }

    /**
     * SCIF's close waits, bounded by the watchdog, for the peer to acknowledge the disconnect.
     * {@code disconnectAcked} is set under this monitor by the link's reader (DISCONNECT_ACK, a
     * crossing DISCONNECT) or the node (peer lost), each followed by {@link #changed()}, which
     * wakes this wait.
     */
    private synchronized void awaitDisconnectAck() {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(node.options().timeoutMillis());
        boolean interrupted = false;
        while (!disconnectAcked) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            try {
                wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            } catch (InterruptedException e) {
                interrupted = true;
                break;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Wakes this endpoint's waiters (those on the monitor: connect, accept, close, a send or
     * recv that sleeps; and the thread reading the link for it) and every poll. Every change of
     * the state, the backlog, the answer to a connect, the credit or the received bytes calls
     * it. Caller holds the monitor.
     */
    void changed() {
        changes.changed();
        TcpPoller.INSTANCE.signal();
    }

    @Override
    public synchronized String toString() {
        return "TcpEndpoint[node " + node.selfId() + " port " + port + " " + state
            + (peer == null ? "" : " peer " + peer) + "]";
    }
}
