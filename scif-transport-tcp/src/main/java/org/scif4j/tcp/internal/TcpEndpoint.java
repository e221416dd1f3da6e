package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
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
 * <p>Flow control, and the bytes received that the user has not taken yet, are the
 * connection's {@link FlowControl}, used under this monitor.
 *
 * <p>{@link AbstractEndpoint} checks the arguments and the closed state; its {@code sendLock}
 * and {@code recvLock} each serialise one direction for a whole call, so concurrent sends never
 * interleave. Lock order: sendLock or recvLock, then the monitor.
 */
final class TcpEndpoint extends AbstractEndpoint {
    private static final int ACCEPTED = 1;
    /** A recv of fewer bytes reads the peer's link itself while it waits (see recv). */
    private static final int RECV_READS_BELOW = 64 << 10;
    /** Bytes a send takes from the window at most at a time: the frames of one write. */
    private static final int SEND_BATCH = 1 << 20;

    private final TcpNode node;

    // Guarded by this (and the closed flag of AbstractEndpoint, set under it).
    private EndpointState state = EndpointState.UNBOUND;
    private boolean holdsPort;
    private int port;
    private long wireId;
    private PortId peer;
    private long peerWireId;
    private long peerIncarnation;
    // listening
    private int backlog;
    private final ArrayDeque<ConnectRequest> queue = new ArrayDeque<>();
    // connecting
    private boolean asyncPending;
    private int connectResult;
    private String refusal;
    private PortId target;
    private ScheduledFuture<?> watchdog;
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
        synchronized (this) {
            this.wireId = node.newWireId(this);
        }
    }

    /** An endpoint accepted from {@code r}: CONNECTED at once, sharing the listener's port. */
    private TcpEndpoint(TcpNode node, int port, ConnectRequest r, int ring) {
        this(node);
        synchronized (this) {
            this.state = EndpointState.CONNECTED;
            this.port = port;
            this.holdsPort = true;
            this.peer = new PortId(r.node(), r.connectorPort());
            this.peerWireId = r.connector();
            this.peerIncarnation = r.incarnation();
            this.flow = new FlowControl(ring);
            this.rma = new TcpRma(this, node, r.node(), r.incarnation(), r.connector());
        }
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
            this.backlog = EndpointRules.cappedBacklog(backlog);
            state = EndpointState.LISTENING;
            node.ports().listen(port, this);
            changed();
        }
    }

    @Override
    protected int doConnect(PortId dst, String call) throws ScifException {
        long request;
        boolean blocking = isBlocking();
        synchronized (this) {
            checkOpen(call);
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
                changed();
                throw EndpointRules.connectInProgress(true, call);
            }
            asyncPending = !blocking;
        }
        node.links().send(dst.node(), ConnectionWire.connectRequest(node.alloc(), request, port, dst.port(), node.options().ringBytes()));
        if (!blocking) {
            throw EndpointRules.connectInProgress(true, call);
        }
        synchronized (this) {
            try {
                while (connectResult == 0 && !isClosed()) {
                    wait();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (connectResult == 0 && !isClosed()) {
                    withdraw();
                    throw ScifException.of(call, Errno.EINTR, "interrupted while waiting to be accepted; the"
                        + " endpoint stays bound to port " + port);
                }
            }
            if (isClosed()) {
                throw ScifException.of(call, Errno.EINTR, "the endpoint was closed while connecting");
            }
            return finishConnect(call);
        }
    }

    /** Validates, binds if needed, and makes the request. Caller holds the monitor. @return its wire id, 0 if refused at once */
    private long startConnect(String call, PortId dst) throws ScifException {
        EndpointRules.connect(state, dst, call);
        if (!node.isInFabric(dst.node())) {
            throw ScifException.of(call, Errno.ENODEV, "node " + dst.node() + " is not in the fabric; its nodes are "
                + node.options().nodes().keySet());
        }
        if (state == EndpointState.UNBOUND) {
            port = EndpointRules.freePort(node.ports().holdAny(), node.selfId(), call);
            holdsPort = true;
            state = EndpointState.BOUND;
        }
        target = dst;
        if (dst.port() == 0) {
            answer(-Errno.ECONNREFUSED.number(), "nobody listens on port 0");
            return 0;
        }
        // A fresh wire id per attempt: a late answer to an abandoned attempt finds nobody.
        node.dropWireId(wireId);
        wireId = node.newWireId(this);
        connectResult = 0;
        state = EndpointState.CONNECTING;
        long id = wireId;
        watchdog = node.group().schedule(() -> onWatchdog(id), node.options().timeoutMillis(), TimeUnit.MILLISECONDS);
        return wireId;
    }

    /** Collects the answer. Caller holds the monitor. */
    private int finishConnect(String call) throws ScifException {
        int r = connectResult;
        asyncPending = false;
        connectResult = 0;
        if (r == ACCEPTED) {
            return port;
        }
        Errno e = Errno.ofNumber(-r);
        throw ScifException.of(call, e == null ? Errno.ECONNREFUSED : e, refusal + "; the endpoint stays bound to port "
            + port + " and may retry");
    }

    /** The request ends unanswered: back to BOUND, keeping the port. Caller holds the monitor. */
    private void answer(int result, String why) {
        if (watchdog != null) {
            watchdog.cancel(false);
            watchdog = null;
        }
        if (result != ACCEPTED) {
            state = EndpointState.BOUND;
        }
        connectResult = result;
        refusal = why;
        changed();
    }

    /** Gives up a request in flight, telling the listener. Caller holds the monitor. */
    private void withdraw() {
        node.links().send(target.node(), ConnectionWire.connectCancel(node.alloc(), wireId, target.port()));
        answer(-Errno.ECONNREFUSED.number(), "withdrawn");
        connectResult = 0;
        asyncPending = false;
    }

    private synchronized void onWatchdog(long id) {
        if (state == EndpointState.CONNECTING && wireId == id && connectResult == 0) {
            watchdog = null;
            node.links().send(target.node(), ConnectionWire.connectCancel(node.alloc(), wireId, target.port()));
            answer(-Errno.ECONNREFUSED.number(), "not accepted within " + node.options().timeoutMillis()
                + " ms (the watchdog period, option timeout=)");
        }
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

    /** CONNECT_ACK: @return false when this endpoint no longer waits for it */
    synchronized boolean onAccepted(Link link, long acceptor, int ring) {
        if (isClosed() || state != EndpointState.CONNECTING || link.peerNode != target.node()) {
            return false;
        }
        this.peer = target;
        this.peerWireId = acceptor;
        this.peerIncarnation = link.peerIncarnation;
        this.flow = new FlowControl(ring);
        this.rma = new TcpRma(this, node, link.peerNode, link.peerIncarnation, acceptor);
        state = EndpointState.CONNECTED;
        answer(ACCEPTED, null);
        return true;
    }

    /** CONNECT_NAK from {@code from}. */
    synchronized void onRefused(int from, int errno) {
        if (!isClosed() && state == EndpointState.CONNECTING && from == target.node()) {
            answer(-errno, errno == Errno.ECONNREFUSED.number() ? "nobody listens on " + target
                + ", its backlog is full, or the listener closed" : "refused by node " + from);
        }
    }

    @Override
    protected Endpoint doAccept(boolean sync, String call) throws ScifException {
        ConnectRequest r;
        int ring;
        synchronized (this) {
            checkOpen(call);
            while (true) {
                if (isClosed()) {
                    throw ScifException.of(call, Errno.EINTR, "the listener was closed while accept waited");
                }
                EndpointRules.accept(state, call);
                r = queue.poll();
                if (r != null) {
                    break;
                }
                if (!sync) {
                    throw EndpointRules.nothingToAccept(call);
                }
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw ScifException.of(call, Errno.EINTR, "interrupted while waiting for a request");
                }
            }
            node.ports().share(port); // accepted endpoints share the listener's port
            ring = Math.min(r.ring(), node.options().ringBytes());
            changed();
        }
        TcpEndpoint e = new TcpEndpoint(node, port, r, ring);
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
    synchronized int offer(ConnectRequest r) {
        if (isClosed() || state != EndpointState.LISTENING) {
            return Errno.ECONNREFUSED.number();
        }
        if (queue.size() >= backlog) {
            return Errno.ECONNREFUSED.number();
        }
        queue.add(r);
        changed();
        return 0;
    }

    /** CONNECT_CANCEL: the connector gave up; its request leaves the queue. */
    synchronized void onCancel(int from, long connector) {
        if (queue.removeIf(r -> r.node() == from && r.connector() == connector)) {
            changed();
        }
    }

    private synchronized long wireId() {
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
        int total = 0;
        boolean spin = true;
        while (src.hasRemaining()) {
            int n;
            long dst;
            int to;
            int seen;
            Link in = null;
            synchronized (this) {
                if (!isClosed() && state == EndpointState.CONNECTED && block && !flow.mayStopWaiting(src.remaining())) {
                    seen = changes.count();
                    in = node.links().inbound(peer.node());
                    n = 0;
                    dst = 0;
                    to = -1;
                } else {
                    if (isClosed() || state != EndpointState.CONNECTED) {
                        if (total > 0) {
                            return total;
                        }
                        throw notConnected(sendCall(src, flags));
                    }
                    n = flow.spend(Math.min(src.remaining(), SEND_BATCH));
                    if (n == 0) {
                        return total; // non-blocking and the window is full
                    }
                    dst = peerWireId;
                    to = peer.node();
                    seen = 0;
                }
            }
            if (n == 0) {
                // Waiting for credit: spin first, then sleep (or read the link) until it changes.
                if (spin) {
                    spin = changes.spinUntilChanged(seen);
                } else if (changes.awaitChange(in, seen)) {
                    spin = true;
                } else if (total > 0) {
                    return total;
                } else {
                    throw ScifException.of(sendCall(src, flags), Errno.EINTR, "interrupted before any byte was sent");
                }
                continue;
            }
            node.links().sendData(to, src, dst, n);
            total += n;
        }
        return total;
    }

    @Override
    protected int doRecv(ByteBuffer dst, boolean block, int flags) throws ScifException {
        // A short receive reads the link itself while it waits (one wake-up instead of two); a
        // long one leaves reading to the event loop, which then reads on another core while
        // this thread copies out (measured: 64 KiB streaming 0.3x plain Netty read here, 0.7x not).
        boolean readLink = dst.remaining() < RECV_READS_BELOW;
        int total = 0;
        boolean spin = true;
        while (true) {
            int seen;
            Link in;
            synchronized (this) {
                if (isClosed()) {
                    if (total > 0) {
                        break;
                    }
                    throw notConnected(recvCall(dst, flags));
                }
                total += drain(dst);
                if (!dst.hasRemaining()) {
                    break;
                }
                if (state != EndpointState.CONNECTED) {
                    if (total > 0) {
                        break;
                    }
                    throw notConnected(recvCall(dst, flags));
                }
                if (!block) {
                    break;
                }
                // Before waiting, give back what was consumed: the sender may be waiting on it.
                returnCredit();
                seen = changes.count();
                in = readLink ? node.links().inbound(peer.node()) : null;
            }
            // Outside the monitor, so that the event loop (or this thread) can deliver: spin
            // first, then sleep or read the link, when the spin saw nothing change.
            if (spin) {
                spin = changes.spinUntilChanged(seen);
            } else if (changes.awaitChange(in, seen)) {
                spin = true;
            } else if (total > 0) {
                break;
            } else {
                throw ScifException.of(recvCall(dst, flags), Errno.EINTR, "interrupted before any byte arrived");
            }
        }
        synchronized (this) {
            returnCredit();
        }
        return total;
    }

    /** Copies queued bytes into {@code dst}. Caller holds the monitor. @return how many */
    private int drain(ByteBuffer dst) {
        int total = flow == null ? 0 : flow.drain(dst);
        if (total > 0) {
            changed();
        }
        return total;
    }

    /** Gives credit back when {@link FlowControl#creditToReturn} says so. Caller holds the monitor. */
    private void returnCredit() {
        if (state != EndpointState.CONNECTED) {
            return;
        }
        int n = flow.creditToReturn();
        if (n > 0) {
            // Writing under the monitor is safe: Link.write never blocks and takes no endpoint lock.
            node.links().send(peer.node(), ConnectionWire.credit(node.alloc(), peerWireId, n));
        }
    }

    /** DATA from the peer. @return what is wrong with it, or null */
    String onData(Link link, ByteBuf payload) {
        synchronized (this) {
            if (isClosed() || state != EndpointState.CONNECTED || !fromPeer(link)) {
                return null; // the connection ended while the frame was on its way: drop it
            }
            String wrong = flow.onData(payload);
            if (wrong == null) {
                changed();
            }
            return wrong;
        }
    }

    /** CREDIT from the peer. @return what is wrong with it, or null */
    synchronized String onCredit(Link link, int bytes) {
        if (isClosed() || state != EndpointState.CONNECTED || !fromPeer(link)) {
            return null;
        }
        String wrong = flow.onCredit(bytes);
        if (wrong == null) {
            changed();
        }
        return wrong;
    }

    /** DISCONNECT: the peer closed. The endpoint gives up its port at once (LNX rule). */
    void onDisconnect(Link link) {
        long ack;
        synchronized (this) {
            if (isClosed() && peer != null && fromPeer(link)) {
                // Both sides closed at once: the peer's DISCONNECT answers ours, so our close
                // need not wait the whole watchdog period for an ACK the peer will not send
                // (it is CLOSED too); we still acknowledge its DISCONNECT for the same reason.
                disconnectAcked = true;
                changed();
            } else if (state != EndpointState.CONNECTED || !fromPeer(link)) {
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

    /** Node {@code lost} is gone: connections with it end, requests to or from it fail. */
    synchronized void onPeerLost(int lost, String reason) {
        if (state == EndpointState.CONNECTED && peer.node() == lost) {
            disconnected();
        } else if (state == EndpointState.CONNECTING && target.node() == lost && connectResult == 0) {
            answer(-Errno.ENODEV.number(), "node " + lost + " is not online (" + reason + ")");
        } else if (state == EndpointState.LISTENING && queue.removeIf(r -> r.node() == lost)) {
            changed();
        } else if (isClosed() && peer != null && peer.node() == lost) {
            disconnectAcked = true;
            changed();
        }
    }

    private boolean fromPeer(Link link) {
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

    /** Caller holds the monitor. */
    private ScifException notConnected(String call) {
        return EndpointRules.notConnected(isClosed(), state, peer, call);
    }

    private static String sendCall(ByteBuffer b, int flags) {
        return EndpointRules.dataCall(true, b, flags);
    }

    private static String recvCall(ByteBuffer b, int flags) {
        return EndpointRules.dataCall(false, b, flags);
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

    /** @return the RMA half, once the endpoint is open and CONNECTED (verify_epd's errors otherwise) */
    private TcpRma rma(Call call) throws ScifException {
        verifyConnected(call.text());
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
        boolean readable = state == EndpointState.LISTENING ? !queue.isEmpty() : f != null && f.readable();
        return EndpointRules.readiness(state, readable, f != null && f.credit() > 0, asyncPending, connectResult != 0);
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
        Runnable notify = null;
        synchronized (this) {
            if (!markClosed()) {
                return;
            }
            EndpointState before = state;
            state = EndpointState.CLOSED;
            if (watchdog != null) {
                watchdog.cancel(false);
            }
            switch (before) {
                case LISTENING:
                    node.ports().unlisten(port, this);
                    ConnectRequest[] refused = queue.toArray(new ConnectRequest[0]);
                    queue.clear();
                    notify = () -> {
                        for (ConnectRequest r : refused) {
                            node.links().send(r.node(), ConnectionWire.connectNak(node.alloc(), r.connector(),
                                Errno.ECONNREFUSED.number()));
                        }
                    };
                    break;
                case CONNECTING:
                    PortId t = target;
                    long id = wireId;
                    notify = () -> node.links().send(t.node(), ConnectionWire.connectCancel(node.alloc(), id, t.port()));
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

    /** SCIF's close waits, bounded by the watchdog, for the peer to acknowledge the disconnect. */
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

    /** Wakes this endpoint's waiters and every poll. Caller holds the monitor. */
    private void changed() {
        changes.changed();
        TcpPoller.INSTANCE.signal();
    }

    @Override
    public synchronized String toString() {
        return "TcpEndpoint[node " + node.selfId() + " port " + port + " " + state
            + (peer == null ? "" : " peer " + peer) + "]";
    }
}
