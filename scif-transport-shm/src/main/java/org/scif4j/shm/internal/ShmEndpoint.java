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
import org.scif4j.spi.AbstractEndpoint;
import org.scif4j.spi.Arguments;
import org.scif4j.spi.Call;
import org.scif4j.spi.EndpointRules;
import org.scif4j.spi.EndpointState;

/**
 * A SCIF endpoint of the shm transport. Its SCIF state lives in its slot of the fabric's
 * endpoint table, where peers in other processes change it (to DISCONNECTED, or CONNECTED by
 * an acceptor); its bytes move through the connection file's rings.
 *
 * <p>{@link AbstractEndpoint} checks the arguments and the closed state, and takes the data
 * path's locks; this class implements the operations on the fabric's tables and rings, with
 * {@link ShmConnector} for connect and {@link ShmAcceptor} for accept.
 *
 * <p>Locks, always taken in this order: {@code ctl} (this endpoint's control calls and close),
 * then the fabric lock. {@code sendLock} and {@code recvLock} (two {@link CallLock}s) each
 * serialise one direction of the data path for a whole call, so concurrent sends never interleave; close takes them
 * after marking the endpoint closed and waking every waiter, so the connection is unmapped
 * only when no thread can touch it. A data or RMA call may take ctl (and then the fabric lock)
 * while it holds sendLock or recvLock, to set up a connection the acceptor has finished
 * ({@code collectAccepted}); nothing takes sendLock or recvLock while holding ctl.
 */
public final class ShmEndpoint extends AbstractEndpoint {
    final ShmNode node;
    final Fabric fabric;
    final EndpointTable table;
    final Waiter waiter;
    final int slot;
    /** This endpoint's control calls and close; see the class comment for the lock order. */
    final ReentrantLock ctl = new ReentrantLock();
    private final ShmAcceptor acceptor;
    private final ShmConnector connector;
    private volatile Connection conn;
    /** The RMA half, made when the endpoint becomes connected. */
    private volatile EndpointRma rma;
    private volatile int port;
    private volatile PortId peer;
    private volatile int peerSlot = -1;

    private final Waiter.Condition readable;
    private final Waiter.Condition writable;

    ShmEndpoint(ShmNode node, int slot) {
        super(new CallLock(), new CallLock(), node.counters().opened());
        this.node = node;
        this.fabric = node.fabric();
        this.table = fabric.endpoints();
        this.waiter = node.waiter();
        this.slot = slot;
        this.acceptor = new ShmAcceptor(this); // after the fields they read
        this.connector = new ShmConnector(this);
        // Long-lived conditions, so that waiting allocates nothing.
        this.readable = new Waiter.Condition() {
            @Override
            public boolean ready() {
                return isClosed() || table.state(slot) != CONNECTED || conn.in.readable();
            }

            @Override
            public boolean quickReady() {
                return conn.in.hasData(); // the head frame's header only; recvLock is held
            }
        };
        this.writable = () -> isClosed() || table.state(slot) != CONNECTED || conn.out.free() > 0;
    }

    /** An accepted endpoint, CONNECTED at once, sharing the listener's port (see {@link ShmAcceptor}). */
    ShmEndpoint(ShmNode node, int slot, Connection conn, int port, PortId peer, int peerSlot) {
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
    protected boolean mayBindAdminPorts() {
        return node.options().privileged();
    }

    @Override
    protected int doBind(int requested, String call) throws ScifException {
        fabric.enter();
        try {
            return bind0(requested, call);
        } finally {
            fabric.exit();
        }
    }

    private int bind0(int requested, String call) throws ScifException {
        ctl.lock();
        fabric.lock();
        try {
            while (true) { // again if the lock was pre-empted while this process was stopped (Fabric.beginWrite)
                try {
                    checkOpen(call);
                    EndpointRules.bindState(stateOf(table.state(slot)), port, call);
                    int p = requested == 0
                        ? EndpointRules.freePort(table.slots().lowestFreePortLocked(node.selfId()), node.selfId(), call)
                        : requested;
                    if (requested != 0 && table.slots().portBusyLocked(node.selfId(), p)) {
                        throw EndpointRules.portInUse(p, node.selfId(), call);
                    }
                    table.slots().holdPortLocked(slot, p);
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
    protected void doListen(int backlog, String call) throws ScifException {
        fabric.enter();
        try {
            listen0(backlog, call);
        } finally {
            fabric.exit();
        }
    }

    private void listen0(int backlog, String call) throws ScifException {
        ctl.lock();
        fabric.lock();
        try {
            while (true) { // again if the lock was pre-empted while this process was stopped (Fabric.beginWrite)
                try {
                    checkOpen(call);
                    EndpointRules.listen(stateOf(table.state(slot)), backlog, call);
                    table.set(slot, E_BACKLOG, ListenQueues.cappedBacklog(backlog));
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
    protected int doConnect(PortId dst, String call) throws ScifException {
        fabric.enter();
        try {
            return connector.connect(dst, call);
        } finally {
            fabric.exit();
        }
    }

    /**
     * Sets up the connector's side of an accepted request: from here on {@link #conn} is
     * non-null and never changes. Caller holds ctl and the fabric lock, and has seen
     * {@code E_CONNECT_RESULT == CONNECT_ACCEPTED}.
     */
    void adoptLocked(Connection c) throws ScifException {
        peerSlot = table.peerLocked(slot); // checked: ECONNRESET if it names no slot
        peer = new PortId(table.get(slot, E_PEER_NODE), table.get(slot, E_PEER_PORT));
        rma = new EndpointRma(this, c, table, slot, peerSlot, node, Arguments.hostLoopback(node.selfId(), peer.node()));
        conn = c; // last, volatile: whoever sees conn also sees peer, peerSlot and rma
    }

    @Override
    protected Endpoint doAccept(boolean sync, String call) throws ScifException {
        fabric.enter();
        try {
            return acceptor.accept(sync, call);
        } finally {
            fabric.exit();
        }
    }

    /** @return the port this endpoint holds, 0 before bind */
    int port() {
        return port;
    }

    /** Binds to {@code p}, which connect took for an UNBOUND endpoint. Caller holds ctl and the fabric lock. */
    void autoBound(int p) {
        port = p;
    }

    /** @return the connection, null until connected and collected */
    Connection connection() {
        return conn;
    }

    @Override
    public PortId localPort() {
        return new PortId(node.selfId(), port);
    }

    @Override
    public PortId peerPort() {
        PortId p = peer;
        if (p == null && !isClosed() && connector.collectAccepted()) {
            p = peer; // accepted after a non-blocking connect, not collected yet (scif_connect(3))
        }
        return p;
    }

    // ---------------------------------------------------------------- messages

    @Override
    protected int doSend(ByteBuffer src, boolean block, int flags) throws ScifException {
        int total = 0;
        while (true) {
            // Holding sendLock and seeing `closed` false, close() cannot finish (it needs
            // sendLock), so the fabric and the connection stay mapped for this iteration.
            Connection c = conn;
            int state = isClosed() ? FREE : table.state(slot);
            if (isClosed() || c == null || state != CONNECTED) {
                // A CONNECTED endpoint without its connection is a non-blocking connect
                // that was accepted but not collected: it is connected all the same.
                if (c == null && !isClosed() && connector.collectAccepted()) {
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
    }

    @Override
    protected int doRecv(ByteBuffer dst, boolean block, int flags) throws ScifException {
        int total = 0;
        while (true) {
            Connection c = conn;
            if (isClosed() || c == null) {
                // The state is read before collecting, so that a CONNECTED seen here is
                // always collected and never reported as "not CONNECTED" (see send).
                int state = isClosed() ? FREE : table.state(slot);
                if (!isClosed() && connector.collectAccepted()) {
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
    }

    private ScifException notConnected(String call, int state) {
        return EndpointRules.notConnected(isClosed(), stateOf(state), peer, call);
    }

    private static String sendCall(ByteBuffer b, int flags) {
        return EndpointRules.dataCall(true, b, flags);
    }

    private static String recvCall(ByteBuffer b, int flags) {
        return EndpointRules.dataCall(false, b, flags);
    }

    /** @return the SCIF state of a slot's state field (a FREE slot is a CLOSED endpoint) */
    static EndpointState stateOf(int state) {
        switch (state) {
            case UNBOUND: return EndpointState.UNBOUND;
            case BOUND: return EndpointState.BOUND;
            case LISTENING: return EndpointState.LISTENING;
            case CONNECTING: return EndpointState.CONNECTING;
            case CONNECTED: return EndpointState.CONNECTED;
            case DISCONNECTED: return EndpointState.DISCONNECTED;
            default: return EndpointState.CLOSED;
        }
    }

    // ---------------------------------------------------------------- registered memory and RMA

    @Override
    protected long addressOf(ByteBuffer direct) {
        return MemoryRegistry.address(direct);
    }

    @Override
    protected long doRegister(ByteBuffer region, long address, long offset, int prot, int flags, Call call)
        throws ScifException {
        return rma(call).register(region, address, region.remaining(), offset, prot, flags, call);
    }

    @Override
    protected void doUnregister(long offset, long length, Call call) throws ScifException {
        rma(call).unregister(offset, length, call);
    }

    /** The common CPU RMA, and a small DMA one with nothing outstanding, which cannot fail (else the checked path runs). */
    @Override
    protected boolean tryFastRma(boolean write, long localOffset, long length, long remoteOffset, int flags) {
        EndpointRma r = rma;
        return r != null && r.copyWithin(write, localOffset, length, remoteOffset, flags);
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
        if (connector.collectAccepted()) {
            return rma;
        }
        verifyConnected(call.text());
        // CONNECTED now: the acceptor answered between the two looks.
        if (connector.collectAccepted()) {
            return rma;
        }
        checkOpen(call);
        throw ScifException.of(call.text(), Errno.ENOTCONN, "endpoint has no connection; expected a connect"
            + " that the peer accepted");
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
        EndpointRules.connected(stateOf(state), peer, call);
    }

    // ---------------------------------------------------------------- poll and close

    @Override
    public org.scif4j.spi.Poller poller() {
        return fabric.poller();
    }

    /** {@inheritDoc} Under ctl, which keeps a pending connection mapped while poll looks at it. */
    @Override
    protected int readiness() {
        ctl.lock();
        try {
            if (isClosed()) {
                return Scif.POLLNVAL;
            }
            EndpointState state = stateOf(table.state(slot));
            // Not collected yet (see collectAccepted): a CONNECTED endpoint is connected all the
            // same, so the rings of the pending connection say what is ready; poll only looks
            // and leaves setting it up to the first use. Once DISCONNECTED, pending is non-null
            // only if the request was accepted: the peer's last bytes are readable from its ring.
            Connection c = conn != null ? conn : connector.pending();
            if (state == EndpointState.CONNECTED && c == null) {
                return Scif.POLLERR;
            }
            boolean readable = state == EndpointState.LISTENING ? table.get(slot, E_QUEUE_COUNT) > 0
                : c != null && c.in.readable();
            boolean writable = state == EndpointState.CONNECTED && c.out.free() > 0;
            return EndpointRules.readiness(state, readable, writable, connector.asyncPending(), connector.answered());
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

    @Override
    public void close() {
        if (!fabric.tryEnter()) {
            markClosed(); // the whole fabric is gone: nothing is left to release
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
            if (!markClosed()) {
                return;
            }
            // marked closed under ctl: from here on no connect or accept sets up rma
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
            ctl.unlock();
        }
        // Every sender and receiver has been woken and sees `closed`; once they are out, unmap.
        sendLock().lock();
        recvLock().lock();
        try {
            Connection c = conn;
            if (c != null) {
                c.close();
            }
        } finally {
            recvLock().unlock();
            sendLock().unlock();
        }
        node.forget(this);
    }

    @Override
    public String toString() {
        int state = -1;
        if (!isClosed() && fabric.tryEnter()) {
            try {
                state = table.state(slot);
            } finally {
                fabric.exit();
            }
        }
        return "ShmEndpoint[node " + node.selfId() + " port " + port + " "
            + (isClosed() ? "CLOSED" : stateName(state)) + (peer == null ? "" : " peer " + peer) + "]";
    }
}
