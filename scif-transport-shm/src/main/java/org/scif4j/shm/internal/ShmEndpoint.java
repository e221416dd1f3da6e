package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.FabricDescriptor.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Mapping;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.spi.PollableEndpoint;
import org.scif4j.spi.Call;
import org.scif4j.spi.Arguments;

/**
 * A SCIF endpoint of the shm transport. Its SCIF state lives in its slot of the fabric's
 * endpoint table, where peers in other processes change it (to DISCONNECTED, or CONNECTED by
 * an acceptor); its bytes move through the connection file's rings.
 *
 * <p>Locks, always taken in this order: {@code ctl} (this endpoint's control calls and close),
 * then the fabric lock. {@code sendLock} and {@code recvLock} each serialise one direction of
 * the data path for a whole call, so concurrent sends never interleave; close takes them
 * after marking the endpoint closed and waking every waiter, so the connection is unmapped
 * only when no thread can touch it. A data or RMA call may take ctl (and then the fabric lock)
 * while it holds sendLock or recvLock, to set up a connection the acceptor has finished
 * ({@code collectAccepted}); nothing takes sendLock or recvLock while holding ctl.
 */
public final class ShmEndpoint implements Endpoint, PollableEndpoint {
    private final ShmNode node;
    private final Fabric fabric;
    private final EndpointTable table;
    private final Waiter waiter;
    private final int slot;
    private final ReentrantLock ctl = new ReentrantLock();
    private final CallLock sendLock = new CallLock();
    private final CallLock recvLock = new CallLock();
    private volatile boolean closed;
    private volatile boolean blocking = true;
    private volatile Connection conn;
    /** The RMA half, made when the endpoint becomes connected. */
    private volatile EndpointRma rma;
    private volatile int port;
    private volatile PortId peer;
    private volatile int peerSlot = -1;
    /** Connector: the connection file made for a request not yet answered. Guarded by ctl. */
    private Connection pending;
    private boolean asyncPending;
    private long asyncDeadline;

    private final Waiter.Condition readable;
    private final Waiter.Condition writable;
    private final Waiter.Condition answered;
    private final Waiter.Condition requested;

    ShmEndpoint(ShmNode node, int slot) {
        this.node = node;
        this.fabric = node.fabric();
        this.table = fabric.endpoints();
        this.waiter = node.waiter();
        this.slot = slot;
        // Long-lived conditions, so that waiting allocates nothing.
        this.readable = new Waiter.Condition() {
            @Override
            public boolean ready() {
                return closed || table.state(slot) != CONNECTED || conn.in.readable();
            }

            @Override
            public boolean quickReady() {
                return conn.in.hasData(); // the head frame's header only; recvLock is held
            }
        };
        this.writable = () -> closed || table.state(slot) != CONNECTED || conn.out.free() > 0;
        this.answered = () -> closed || table.get(slot, E_CONNECT_RESULT) != 0;
        this.requested = () -> closed || table.state(slot) != LISTENING || table.get(slot, E_QUEUE_COUNT) > 0;
    }

    private ShmEndpoint(ShmNode node, int slot, Connection conn, int port, PortId peer, int peerSlot) {
        this(node, slot);
        this.conn = conn;
        this.port = port;
        this.peer = peer;
        this.peerSlot = peerSlot;
        this.rma = new EndpointRma(this, conn, table, slot, peerSlot, node,
            Arguments.hostLoopback(node.selfId(), peer.node()));
    }

    // ---------------------------------------------------------------- ports and connections

    @Override
    public int bind(int requested) throws ScifException {
        fabric.enter();
        try {
            return bind0(requested);
        } finally {
            fabric.exit();
        }
    }

    private int bind0(int requested) throws ScifException {
        String call = "bind(port=" + requested + ")";
        checkOpen(call);
        if (requested < 0 || requested > 65535) {
            throw ScifException.of(call, Errno.EINVAL, "port must be 0 (any) or 1..65535");
        }
        if (requested > 0 && requested < Scif.ADMIN_PORT_END && !node.options().privileged()) {
            throw ScifException.of(call, Errno.EACCES, "ports 1.." + (Scif.ADMIN_PORT_END - 1)
                + " need a node attached with privileged=true (as root), as SCIF needs CAP_SYS_ADMIN");
        }
        ctl.lock();
        fabric.lock();
        try {
            while (true) { // again if the lock was pre-empted while this process was stopped (Fabric.beginWrite)
                try {
                    checkOpen(call);
                    int state = table.state(slot);
                    if (state == BOUND) {
                        throw ScifException.of(call, Errno.EINVAL, "endpoint is already bound to port " + port);
                    }
                    if (state != UNBOUND) {
                        throw ScifException.of(call, Errno.EISCONN, "endpoint is " + stateName(state)
                            + "; only an UNBOUND endpoint can be bound");
                    }
                    int p = requested == 0 ? table.lowestFreePortLocked(node.selfId()) : requested;
                    if (p < 0) {
                        throw ScifException.of(call, Errno.ENOSPC, "no free port left on node " + node.selfId());
                    }
                    if (requested != 0 && table.portBusyLocked(node.selfId(), p)) {
                        throw ScifException.of(call, Errno.EINVAL, "port " + p + " of node " + node.selfId()
                            + " is in use; choose another or bind(0)");
                    }
                    table.holdPortLocked(slot, p);
                    table.set(slot, E_STATE, BOUND);
                    fabric.commit();
                    port = p;
                    return p;
                } catch (Fabric.Preempted e) {
                    // the lock is held again, and the tables changed: read them again
                }
            }
        } finally {
            fabric.unlock();
            ctl.unlock();
        }
    }

    @Override
    public void listen(int backlog) throws ScifException {
        fabric.enter();
        try {
            listen0(backlog);
        } finally {
            fabric.exit();
        }
    }

    private void listen0(int backlog) throws ScifException {
        String call = "listen(backlog=" + backlog + ")";
        checkOpen(call);
        ctl.lock();
        fabric.lock();
        try {
            while (true) { // again if the lock was pre-empted while this process was stopped (Fabric.beginWrite)
                try {
                    checkOpen(call);
                    int state = table.state(slot);
                    if (state == UNBOUND || state == DISCONNECTED) {
                        throw ScifException.of(call, Errno.EINVAL, "endpoint is " + stateName(state)
                            + "; bind it first");
                    }
                    if (state != BOUND) {
                        throw ScifException.of(call, Errno.EISCONN, "endpoint is " + stateName(state)
                            + "; only a BOUND endpoint can listen");
                    }
                    if (backlog <= 0) {
                        throw ScifException.of(call, Errno.EINVAL, "backlog must be at least 1");
                    }
                    table.set(slot, E_BACKLOG, EndpointTable.cappedBacklog(backlog));
                    table.set(slot, E_STATE, LISTENING);
                    fabric.commit();
                    break;
                } catch (Fabric.Preempted e) {
                    // the lock is held again, and the tables changed: read them again
                }
            }
        } finally {
            fabric.unlock();
            ctl.unlock();
        }
    }

    @Override
    public void configureBlocking(boolean block) throws ScifException {
        checkOpen("configureBlocking(" + block + ")");
        blocking = block;
    }

    @Override
    public boolean isBlocking() {
        return blocking;
    }

    @Override
    public int connect(PortId dst) throws ScifException {
        fabric.enter();
        try {
            return connect0(dst);
        } finally {
            fabric.exit();
        }
    }

    private int connect0(PortId dst) throws ScifException {
        String call = "connect(peer=" + dst + ")";
        checkOpen(call);
        if (dst == null) {
            throw ScifException.of(call, Errno.EINVAL, "peer is null; expected a PortId");
        }
        ctl.lock();
        try {
            checkOpen(call);
            if (asyncPending) {
                if (table.get(slot, E_CONNECT_RESULT) == 0 && System.nanoTime() - asyncDeadline < 0) {
                    throw ScifException.of(call, Errno.EINPROGRESS, "the connection request is still"
                        + " queued; poll for POLLOUT, then call connect again");
                }
                return finishConnect(call, Waiter.TIMED_OUT);
            }
            startConnect(call, dst);
            if (!blocking) {
                asyncPending = true;
                asyncDeadline = System.nanoTime() + node.options().timeoutMillis() * 1_000_000L;
                throw ScifException.of(call, Errno.EINPROGRESS, "non-blocking connect started;"
                    + " poll for POLLOUT, then call connect again for the result");
            }
        } finally {
            ctl.unlock();
        }
        // Wait without ctl, so that close() from another thread can end the wait.
        long deadline = System.nanoTime() + node.options().timeoutMillis() * 1_000_000L;
        int waited = waiter.await(answered, endpoint(slot) + E_EVENT_SEQ, endpoint(slot) + E_SLEEPERS, deadline);
        ctl.lock();
        try {
            return finishConnect(call, waited);
        } finally {
            ctl.unlock();
        }
    }

    /** Validates, binds if needed, and queues the request on the listener. Caller holds ctl. */
    private void startConnect(String call, PortId dst) throws ScifException {
        if (dst.port() < 0 || dst.port() > 65535) {
            throw ScifException.of(call, Errno.EINVAL, "port must be 1..65535");
        }
        fabric.lock();
        try {
            while (true) { // again if the lock was pre-empted while this process was stopped (Fabric.beginWrite)
                try {
                    int state = table.state(slot);
                    if (state == LISTENING) {
                        throw ScifException.of(call, Errno.EOPNOTSUPP, "endpoint is LISTENING; a listener cannot connect");
                    }
                    if (state == CONNECTED || state == CONNECTING) {
                        throw ScifException.of(call, Errno.EISCONN, "endpoint is " + stateName(state));
                    }
                    if (state == DISCONNECTED) {
                        throw ScifException.of(call, Errno.EINVAL, "endpoint is DISCONNECTED and cannot be"
                            + " reused; close it and open a new one");
                    }
                    if (!fabric.isOnline(dst.node())) {
                        throw ScifException.of(call, Errno.ENODEV, "node " + dst.node() + " is not online;"
                            + " online nodes: " + java.util.Arrays.toString(fabric.onlineNodes()));
                    }
                    if (state == UNBOUND) {
                        int p = table.lowestFreePortLocked(node.selfId());
                        if (p < 0) {
                            throw ScifException.of(call, Errno.ENOSPC, "no free port left on node " + node.selfId());
                        }
                        table.holdPortLocked(slot, p);
                        table.set(slot, E_STATE, BOUND);
                        fabric.commit();
                        port = p;
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
                    int listener = dst.port() == 0 ? -1 : table.findListenerLocked(dst.node(), dst.port());
                    if (listener < 0) {
                        refused = "no endpoint listens on " + dst;
                    } else if (!table.enqueueLocked(listener, slot)) {
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
            table.deleteConnectionFile(id);
            if (!blocking) {
                // As in Linux, where the handshake runs in a worker: the refusal is the result
                // that poll announces with POLLOUT and the next connect returns.
                table.set(slot, E_CONNECT_RESULT, -Errno.ECONNREFUSED.number());
                return;
            }
            throw ScifException.of(call, Errno.ECONNREFUSED, refused + "; the endpoint stays bound to port "
                + port + " and may retry");
        }
        pending = c;
    }

    /** Collects the answer to a queued request. Caller holds ctl. */
    private int finishConnect(String call, int waited) throws ScifException {
        if (closed) {
            // Another thread closed the endpoint while the connect waited (closing wakes every
            // call blocked on it with EINTR, decisions.md). close() has withdrawn the request,
            // released `pending` and freed the slot, which may belong to another endpoint now:
            // nothing of it is read or written here. ctl, which close sets `closed` under, is
            // held, so this one look covers every branch below.
            throw ScifException.of(call, Errno.EINTR, "the endpoint was closed while connecting");
        }
        Connection c = pending;
        if (c == null && conn != null) {
            // Accepted, and a send, recv, RMA call or peerPort() already set the connection up
            // (see collectAccepted): only the result is left to report, as scif_connect(3) says.
            asyncPending = false;
            return port;
        }
        if (c == null) { // a non-blocking request refused before it was queued
            int result = table.get(slot, E_CONNECT_RESULT);
            asyncPending = false;
            table.set(slot, E_CONNECT_RESULT, 0);
            Errno e = Errno.ofNumber(-result);
            throw ScifException.of(call, e == null ? Errno.ECONNREFUSED : e, "no endpoint listened on the"
                + " peer port, or its backlog was full; the endpoint stays bound to port " + port + " and may retry");
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
                        adoptLocked(c);
                        return port;
                    }
                    if (result == 0) {
                        table.unlinkLocked(slot); // withdraw: timed out or interrupted
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
        table.deleteConnectionFile(id);
        if (result < 0) {
            Errno e = Errno.ofNumber(-result);
            throw ScifException.of(call, e == null ? Errno.ECONNREFUSED : e, "the listener refused or"
                + " closed before accepting; the endpoint stays bound to port " + port + " and may retry");
        }
        if (waited == Waiter.INTERRUPTED) {
            throw ScifException.of(call, Errno.EINTR, "interrupted while waiting to be accepted");
        }
        throw ScifException.of(call, Errno.ECONNREFUSED, "not accepted within " + node.options().timeoutMillis()
            + " ms (the watchdog period, option timeout=); the endpoint stays bound and may retry");
    }

    /**
     * Sets up the connector's side of an accepted request: from here on {@link #conn} is
     * non-null and never changes. Caller holds ctl and the fabric lock, and has seen
     * {@code E_CONNECT_RESULT == CONNECT_ACCEPTED}.
     */
    private void adoptLocked(Connection c) throws ScifException {
        peerSlot = table.peerLocked(slot); // checked: ECONNRESET if it names no slot
        peer = new PortId(table.get(slot, E_PEER_NODE), table.get(slot, E_PEER_PORT));
        rma = new EndpointRma(this, c, table, slot, peerSlot, node, Arguments.hostLoopback(node.selfId(), peer.node()));
        pending = null;
        conn = c; // last, volatile: whoever sees conn also sees peer, peerSlot and rma
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
     * <p>Cold path: runs only while {@link #conn} is null. It takes ctl, then the fabric lock,
     * like connect, so that it never races finishConnect or close (close takes ctl before it
     * releases {@link #pending}, and unmaps {@link #conn} only after it). Callers may hold
     * sendLock or recvLock: nothing takes one of them while holding ctl.
     *
     * @return whether the endpoint has its connection now
     */
    private boolean collectAccepted() {
        if (!fabric.tryEnter()) {
            return false; // the node is detached: there is nothing left to connect
        }
        try {
            ctl.lock();
            try {
                if (closed) {
                    return false;
                }
                if (conn != null) {
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
                    adoptLocked(c);
                    return true;
                } catch (ScifException e) {
                    return false; // a corrupt peer slot: the second connect reports it
                } finally {
                    fabric.unlock();
                }
            } finally {
                ctl.unlock();
            }
        } finally {
            fabric.exit();
        }
    }

    @Override
    public Endpoint accept(int flags) throws ScifException {
        fabric.enter();
        try {
            return accept0(flags);
        } finally {
            fabric.exit();
        }
    }

    private Endpoint accept0(int flags) throws ScifException {
        String call = "accept(flags=" + flags + ")";
        checkOpen(call);
        if ((flags & ~Scif.ACCEPT_SYNC) != 0) {
            throw ScifException.of(call, Errno.EINVAL, "flags may only hold ACCEPT_SYNC (1)");
        }
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
            if ((flags & Scif.ACCEPT_SYNC) == 0) {
                throw ScifException.of(call, Errno.EAGAIN, "no connection request is queued");
            }
            int waited = waiter.await(requested, endpoint(slot) + E_EVENT_SEQ, endpoint(slot) + E_SLEEPERS,
                Long.MAX_VALUE);
            if (closed) {
                throw ScifException.of(call, Errno.EINTR, "the listener was closed while accept waited");
            }
            if (waited == Waiter.INTERRUPTED) {
                throw ScifException.of(call, Errno.EINTR, "interrupted while waiting for a request");
            }
        }
    }

    /** Takes the oldest queued request, if any, and makes the connected endpoint for it. */
    private ShmEndpoint tryAccept(String call) throws ScifException {
        ctl.lock();
        fabric.lock();
        try {
            while (true) { // again if the lock was pre-empted while this process was stopped (Fabric.beginWrite)
                try {
                    checkOpen(call);
                    while (true) {
                        int state = table.state(slot);
                        if (state != LISTENING) {
                            throw ScifException.of(call, Errno.EINVAL, "endpoint is " + stateName(state)
                                + "; expected LISTENING");
                        }
                        int c = table.queueHeadLocked(slot); // checked: a corrupt queue fails with ENODEV
                        if (c < 0) {
                            return null;
                        }
                        long id = table.connectionId(c);
                        table.unlinkLocked(c);
                        Connection cn;
                        try {
                            cn = Connection.open(fabric.dir(), id);
                        } catch (IOException e) {
                            table.answerLocked(c, -Errno.ECONNREFUSED.number());
                            fabric.commit();
                            continue; // a request whose file is gone or corrupt is refused, never read
                        }
                        int ns = table.allocLocked(node.selfId());
                        if (ns < 0) {
                            cn.close();
                            table.answerLocked(c, -Errno.ENOMEM.number());
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
            ctl.unlock();
        }
    }

    private ShmEndpoint link(int ns, int c, long id, Connection cn) {
        int cNode = table.get(c, E_NODE);
        int cPort = table.get(c, E_PORT);
        table.holdPortLocked(ns, port); // accepted endpoints share the listener's port
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
        table.set(c, E_PEER_PORT, port);
        table.set(c, E_STATE, CONNECTED);
        table.answerLocked(c, CONNECT_ACCEPTED);
        try {
            fabric.commit(); // popped and answered in one change
        } catch (Fabric.Preempted p) {
            cn.close(); // opened while preparing: the change is prepared again, and opens it again
            throw p;
        }
        CrashPoint.at("accept.popped");
        ShmEndpoint e = new ShmEndpoint(node, ns, cn, port, new PortId(cNode, cPort), c);
        node.adopt(e);
        return e;
    }

    @Override
    public PortId localPort() {
        return new PortId(node.selfId(), port);
    }

    @Override
    public PortId peerPort() {
        PortId p = peer;
        if (p == null && !closed && collectAccepted()) {
            p = peer; // accepted after a non-blocking connect, not collected yet (scif_connect(3))
        }
        return p;
    }

    // ---------------------------------------------------------------- messages

    @Override
    public int send(ByteBuffer src, int flags) throws ScifException {
        if (src == null) {
            throw ScifException.of("send(src=null, flags=" + flags + ")", Errno.EFAULT, "src is null");
        }
        if (closed) {
            checkOpen(sendCall(src, flags));
        }
        if (!src.hasRemaining()) {
            return 0;
        }
        if (flags != 0 && (flags & Scif.SEND_BLOCK) == 0) {
            throw ScifException.of(sendCall(src, flags), Errno.EINVAL, "flags may be 0 or SEND_BLOCK (1)");
        }
        boolean block = (flags & Scif.SEND_BLOCK) != 0;
        lockForCall(sendLock, src, flags, true);
        try {
            int total = 0;
            while (true) {
                // Holding sendLock and seeing `closed` false, close() cannot finish (it needs
                // sendLock), so the fabric and the connection stay mapped for this iteration.
                Connection c = conn;
                int state = closed ? FREE : table.state(slot);
                if (closed || c == null || state != CONNECTED) {
                    // A CONNECTED endpoint without its connection is a non-blocking connect
                    // that was accepted but not collected: it is connected all the same.
                    if (c == null && !closed && collectAccepted()) {
                        continue;
                    }
                    if (total > 0) {
                        return total;
                    }
                    throw notConnected(sendCall(src, flags), state);
                }
                int n = c.out.write(src);
                if (n > 0) {
                    total += n;
                    table.wakeReceivers(peerSlot);
                }
                if (!src.hasRemaining() || !block) {
                    return total;
                }
                if (n == 0 && waiter.await(writable, endpoint(slot) + E_SPACE_SEQ,
                    endpoint(slot) + E_SPACE_SLEEPERS, Long.MAX_VALUE) == Waiter.INTERRUPTED) {
                    if (total > 0) {
                        return total;
                    }
                    throw ScifException.of(sendCall(src, flags), Errno.EINTR, "interrupted before any byte was sent");
                }
            }
        } finally {
            sendLock.unlock();
        }
    }

    @Override
    public int recv(ByteBuffer dst, int flags) throws ScifException {
        if (dst == null) {
            throw ScifException.of("recv(dst=null, flags=" + flags + ")", Errno.EFAULT, "dst is null");
        }
        if (closed) {
            checkOpen(recvCall(dst, flags));
        }
        if (dst.isReadOnly()) {
            throw ScifException.of(recvCall(dst, flags), Errno.EFAULT, "dst is a read-only buffer");
        }
        if (!dst.hasRemaining()) {
            return 0;
        }
        if (flags != 0 && (flags & Scif.RECV_BLOCK) == 0) {
            throw ScifException.of(recvCall(dst, flags), Errno.EINVAL, "flags may be 0 or RECV_BLOCK (1)");
        }
        boolean block = (flags & Scif.RECV_BLOCK) != 0;
        lockForCall(recvLock, dst, flags, false);
        try {
            int total = 0;
            while (true) {
                Connection c = conn;
                if (closed || c == null) {
                    // The state is read before collecting, so that a CONNECTED seen here is
                    // always collected and never reported as "not CONNECTED" (see send).
                    int state = closed ? FREE : table.state(slot);
                    if (!closed && collectAccepted()) {
                        continue;
                    }
                    if (total > 0) {
                        return total;
                    }
                    throw notConnected(recvCall(dst, flags), state);
                }
                int n = c.in.read(dst);
                if (n < 0) {
                    if (total > 0) {
                        return total;
                    }
                    throw ScifException.of(recvCall(dst, flags), Errno.ECONNRESET,
                        "the peer's ring holds a corrupt " + c.in.corruption());
                }
                if (n > 0) {
                    total += n;
                    table.wakeSenders(peerSlot);
                    if (!dst.hasRemaining()) {
                        return total;
                    }
                    continue;
                }
                int state = table.state(slot);
                if (state != CONNECTED) {
                    // The peer's bytes were published before its disconnect: drain them first.
                    if (c.in.readable()) {
                        continue;
                    }
                    if (total > 0) {
                        return total;
                    }
                    throw notConnected(recvCall(dst, flags), state);
                }
                if (!block) {
                    return total;
                }
                if (waiter.await(readable, endpoint(slot) + E_EVENT_SEQ, endpoint(slot) + E_SLEEPERS,
                    Long.MAX_VALUE) == Waiter.INTERRUPTED) {
                    if (total > 0) {
                        return total;
                    }
                    throw ScifException.of(recvCall(dst, flags), Errno.EINTR, "interrupted before any byte arrived");
                }
            }
        } finally {
            recvLock.unlock();
        }
    }

    /**
     * Takes sendLock or recvLock for a call. Only a call that waits ends with EINTR (README, "Semantics"), as
     * in the driver, which completes a call that does not sleep even with a signal pending, and
     * as ReentrantLock.lock and NIO's non-blocking reads do: so an uncontended lock is taken
     * without looking at the interrupt status, and a call that then needs no wait completes
     * with the status still set. Waiting for another thread's call on this endpoint is a wait,
     * and stays interruptible.
     */
    private void lockForCall(CallLock lock, ByteBuffer b, int flags, boolean send) throws ScifException {
        if (lock.tryLock()) {
            return;
        }
        try {
            lock.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ScifException.of(send ? sendCall(b, flags) : recvCall(b, flags), Errno.EINTR,
                "interrupted while waiting for another " + (send ? "send" : "recv") + " on this endpoint");
        }
    }

    private ScifException notConnected(String call, int state) {
        if (closed) {
            return ScifException.of(call, Errno.EINTR, "the endpoint was closed during the call");
        }
        if (state == DISCONNECTED) {
            return ScifException.of(call, Errno.ECONNRESET, "the peer " + peer + " closed the connection"
                + " or was lost");
        }
        return ScifException.of(call, Errno.ENOTCONN, "endpoint is " + stateName(state) + "; expected CONNECTED");
    }

    private static String sendCall(ByteBuffer b, int flags) {
        return "send(len=" + b.remaining() + ", flags=" + flags + ")";
    }

    private static String recvCall(ByteBuffer b, int flags) {
        return "recv(len=" + b.remaining() + ", flags=" + flags + ")";
    }

    // ---------------------------------------------------------------- registered memory and RMA

    @Override
    public long register(ByteBuffer region, long offset, int prot, int flags) throws ScifException {
        Call call = Call.of("register", "len", region == null ? -1 : region.remaining(), "offset", offset,
            "prot", prot, "flags", flags);
        checkOpen(call);
        long address = region != null && region.isDirect() ? MemoryRegistry.address(region) : 0;
        Arguments.register(region, address, offset, prot, flags, call);
        return rma(call).register(region, address, region.remaining(), offset, prot, flags, call);
    }

    @Override
    public void unregister(long offset, long length) throws ScifException {
        Call call = Call.of("unregister", "offset", offset, "length", length);
        checkOpen(call);
        Arguments.unregister(offset, length, call);
        rma(call).unregister(offset, length, call);
    }

    @Override
    public void readFrom(long localOffset, long length, long remoteOffset, int flags) throws ScifException {
        EndpointRma r = rma;
        if (r != null && r.copyWithin(false, localOffset, length, remoteOffset, flags)) {
            return; // the common CPU RMA, which cannot fail (else the general path below runs)
        }
        Call call = Call.of("readFrom", "localOffset", localOffset, "length", length, "remoteOffset", remoteOffset,
            "flags", flags);
        checkOpen(call);
        Arguments.rma(length, flags, call);
        rma(call).rma(false, localOffset, null, length, remoteOffset, flags, call);
    }

    @Override
    public void writeTo(long localOffset, long length, long remoteOffset, int flags) throws ScifException {
        EndpointRma r = rma;
        if (r != null && r.copyWithin(true, localOffset, length, remoteOffset, flags)) {
            return; // the common CPU RMA, which cannot fail (else the general path below runs)
        }
        Call call = Call.of("writeTo", "localOffset", localOffset, "length", length, "remoteOffset", remoteOffset,
            "flags", flags);
        checkOpen(call);
        Arguments.rma(length, flags, call);
        rma(call).rma(true, localOffset, null, length, remoteOffset, flags, call);
    }

    @Override
    public void vreadFrom(ByteBuffer dst, long remoteOffset, int flags) throws ScifException {
        Call call = Call.of("vreadFrom", "len", dst == null ? -1 : dst.remaining(), "remoteOffset", remoteOffset,
            "flags", flags);
        checkOpen(call);
        Arguments.destination(dst, call);
        Arguments.rma(dst.remaining(), flags, call);
        rma(call).rma(false, 0, dst, dst.remaining(), remoteOffset, flags, call);
    }

    @Override
    public void vwriteTo(ByteBuffer src, long remoteOffset, int flags) throws ScifException {
        Call call = Call.of("vwriteTo", "len", src == null ? -1 : src.remaining(), "remoteOffset", remoteOffset,
            "flags", flags);
        checkOpen(call);
        ByteBuffer from = Arguments.source(src, call);
        Arguments.rma(src.remaining(), flags, call);
        rma(call).rma(true, 0, from, src.remaining(), remoteOffset, flags, call);
    }

    @Override
    public int fenceMark(int flags) throws ScifException {
        Call call = Call.of("fenceMark", "flags", flags);
        checkOpen(call);
        Arguments.fenceMark(flags, call);
        return rma(call).fenceMark(flags, call);
    }

    @Override
    public void fenceWait(int mark) throws ScifException {
        Call call = Call.of("fenceWait", "mark", mark);
        checkOpen(call);
        rma(call).fenceWait(mark, call);
    }

    @Override
    public void fenceSignal(long localOffset, long localValue, long remoteOffset, long remoteValue, int flags)
        throws ScifException {
        Call call = Call.of("fenceSignal", "localOffset", localOffset, "remoteOffset", remoteOffset, "flags", flags);
        checkOpen(call);
        Arguments.fenceSignal(localOffset, remoteOffset, flags, call);
        rma(call).fenceSignal(localOffset, localValue, remoteOffset, remoteValue, flags, call);
    }

    @Override
    public Mapping mmap(long remoteOffset, long length, int prot) throws ScifException {
        Call call = Call.of("mmap", "remoteOffset", remoteOffset, "length", length, "prot", prot);
        checkOpen(call);
        long rounded = Arguments.mmap(remoteOffset, length, prot, call);
        return rma(call).mmap(remoteOffset, rounded, prot, call);
    }

    /**
     * The RMA half of this endpoint; a state error when it never connected. Once connected,
     * the RMA half checks the state itself (DISCONNECTED gives ECONNRESET). An accepted
     * non-blocking connect that was not collected yet is set up here (scif_connect(3)).
     */
    private EndpointRma rma(Call call) throws ScifException {
        EndpointRma r = rma;
        if (r != null) {
            return r;
        }
        if (collectAccepted()) {
            return rma;
        }
        verifyConnected(call.text());
        // CONNECTED now: the acceptor answered between the two looks.
        if (collectAccepted()) {
            return rma;
        }
        checkOpen(call);
        throw ScifException.of(call.text(), Errno.ENOTCONN, "endpoint has no connection; expected a connect"
            + " that the peer accepted");
    }

    private void checkOpen(Call call) throws ScifException {
        if (closed) {
            throw ScifException.of(call.text(), Errno.EBADF, "the endpoint is closed");
        }
    }

    private void verifyConnected(String call) throws ScifException {
        checkOpen(call);
        int state;
        fabric.enter();
        try {
            state = table.state(slot);
        } finally {
            fabric.exit();
        }
        if (state == DISCONNECTED) {
            throw ScifException.of(call, Errno.ECONNRESET, "the peer " + peer + " closed the connection or was lost");
        }
        if (state != CONNECTED) {
            throw ScifException.of(call, Errno.ENOTCONN, "endpoint is " + stateName(state) + "; expected CONNECTED");
        }
    }

    // ---------------------------------------------------------------- poll and close

    @Override
    public org.scif4j.spi.Poller poller() {
        return fabric.poller();
    }

    /**
     * The events of this endpoint now, as {@code scif_poll} reports them (scif_poll(3), as the Linux driver does).
     *
     * @param events events asked for
     * @return revents, masked with {@code events | POLLERR | POLLHUP | POLLNVAL}
     */
    int pollEvents(int events) {
        ctl.lock();
        try {
            if (closed) {
                return Scif.POLLNVAL;
            }
            int state = table.state(slot);
            int r;
            switch (state) {
                case LISTENING:
                    r = table.get(slot, E_QUEUE_COUNT) > 0 ? Scif.POLLIN : 0;
                    break;
                case CONNECTED:
                    // Not collected yet (see collectAccepted): the endpoint is connected all the
                    // same, so the rings of the pending connection say what is ready. ctl keeps
                    // it mapped; poll only looks and leaves setting it up to the first use.
                    Connection c = conn != null ? conn : pending;
                    if (c == null) {
                        r = Scif.POLLERR;
                    } else {
                        r = (c.in.readable() ? Scif.POLLIN : 0) | (c.out.free() > 0 ? Scif.POLLOUT : 0);
                    }
                    break;
                case DISCONNECTED:
                    // pending is non-null here only if the request was accepted (CONNECTED
                    // before DISCONNECTED): the peer's last bytes are readable from its ring.
                    Connection d = conn != null ? conn : pending;
                    r = Scif.POLLHUP | (d != null && d.in.readable() ? Scif.POLLIN : 0)
                        | (asyncPending ? Scif.POLLOUT : 0); // accepted, then closed: finished all the same
                    break;
                case CONNECTING:
                case BOUND:
                    boolean finished = table.get(slot, E_CONNECT_RESULT) != 0
                        || System.nanoTime() - asyncDeadline >= 0;
                    r = asyncPending ? (finished ? Scif.POLLOUT : 0) : Scif.POLLERR;
                    break;
                default:
                    r = Scif.POLLERR;
            }
            return r & (events | Scif.POLLERR | Scif.POLLHUP | Scif.POLLNVAL);
        } finally {
            ctl.unlock();
        }
    }

    /** @return the waiter of this endpoint's node, which poll uses */
    Waiter waiterForPoll() {
        return waiter;
    }

    /** @return this endpoint's slot in the fabric's endpoint table */
    int slot() {
        return slot;
    }

    /** @return whether {@link #close()} was called */
    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (!fabric.tryEnter()) {
            closed = true; // the whole fabric is gone: nothing is left to release
            return;
        }
        try {
            close0();
        } finally {
            fabric.exit();
        }
    }

    private void close0() {
        ctl.lock();
        try {
            if (closed) {
                return;
            }
            closed = true; // under ctl: from here on no connect or accept sets up rma
        } finally {
            ctl.unlock();
        }
        // The RMA half first, while the slot is still ours: its RMAs, fence waiters and DMA
        // completions read and wake this slot, which another endpoint may take once it is FREE.
        EndpointRma r = rma;
        if (r != null) {
            r.close(); // wakes fence waiters (EINTR), waits for RMAs in progress, unregisters every window
        }
        ctl.lock();
        try {
            fabric.lock();
            try {
                while (true) { // again if the lock was pre-empted while this process was stopped (Fabric.beginWrite)
                    try {
                        table.closeSlotLocked(slot); // also wakes every waiter on this endpoint
                        fabric.commit();
                        break;
                    } catch (Fabric.Preempted e) {
                        // the lock is held again, and the tables changed: read them again
                    }
                }
            } finally {
                fabric.unlock();
            }
            if (pending != null) {
                pending.close();
                pending = null;
            }
        } finally {
            ctl.unlock();
        }
        // Every sender and receiver has been woken and sees `closed`; once they are out, unmap.
        sendLock.lock();
        recvLock.lock();
        try {
            Connection c = conn;
            if (c != null) {
                c.close();
            }
        } finally {
            recvLock.unlock();
            sendLock.unlock();
        }
        node.forget(this);
    }

    private void checkOpen(String call) throws ScifException {
        if (closed) {
            throw ScifException.of(call, Errno.EBADF, "the endpoint is closed");
        }
    }

    @Override
    public String toString() {
        int state = -1;
        if (!closed && fabric.tryEnter()) {
            try {
                state = table.state(slot);
            } finally {
                fabric.exit();
            }
        }
        return "ShmEndpoint[node " + node.selfId() + " port " + port + " "
            + (closed ? "CLOSED" : stateName(state)) + (peer == null ? "" : " peer " + peer) + "]";
    }
}
