package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.FabricDescriptor.*;

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
 * path's locks; this class holds the endpoint's state and routes each operation to the type
 * that does it: {@link ShmLifecycle} for bind, listen and close, {@link ShmConnector} for
 * connect, {@link ShmAcceptor} for accept, {@link ShmMessages} for send and recv (static, on
 * the per-message path), and the RMA half ({@link EndpointRma}) for registration, RMA,
 * fences and mmap, through the RMA facade below.
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
    /** This endpoint's slot as the data path reads it (its state, per message). */
    final EndpointTable.SlotWords words;
    /** This endpoint's control calls and close; see the class comment for the lock order. */
    final ReentrantLock ctl = new ReentrantLock();
    private final ShmAcceptor acceptor;
    /** Collects an accepted non-blocking connect; the data path calls it too. */
    final ShmConnector connector;
    private final ShmLifecycle lifecycle;
    /*
     * The connection state below is written under ctl by adoptLocked (or by the accepted
     * endpoint's constructor, before anyone sees the endpoint) and read without a lock by the
     * data path (ShmMessages), poll and the RMA facade: adoptLocked writes conn last, so whoever
     * sees it non-null also sees peer, peerSlot, peerWords and rma (volatile store, then volatile load);
     * once non-null it never changes.
     */
    /** The connection, null until connected and collected. */
    volatile Connection conn;
    /** The RMA half, made when the endpoint becomes connected. */
    private volatile EndpointRma rma;
    private volatile int port;
    /** The peer's port id, null until connected. */
    volatile PortId peer;
    /** The peer's slot in the endpoint table, -1 until connected. */
    volatile int peerSlot = -1;
    /** The peer's slot as the data path reads it (its sleeper counts, per message), null until connected. */
    volatile EndpointTable.SlotWords peerWords;

    /** What a blocked receiver and a blocked sender wait for: long-lived, so that waiting allocates nothing. */
    final Waiter.Condition readable;
    final Waiter.Condition writable;

    ShmEndpoint(ShmNode node, int slot) {
        super(new CallLock(), new CallLock(), node.counters().opened());
        this.node = node;
        this.fabric = node.fabric();
        this.table = fabric.endpoints();
        this.waiter = node.waiter();
        this.slot = slot;
        this.words = table.words(slot);
        this.acceptor = new ShmAcceptor(this); // after the fields they read
        this.connector = new ShmConnector(this);
        this.lifecycle = new ShmLifecycle(this, connector, sendLock(), recvLock());
        this.readable = ShmMessages.readable(this);
        this.writable = ShmMessages.writable(this);
    }

    /** An accepted endpoint, CONNECTED at once, sharing the listener's port (see {@link ShmAcceptor}). */
    ShmEndpoint(ShmNode node, int slot, Connection conn, int port, PortId peer, int peerSlot) {
        this(node, slot);
        this.conn = conn;
        this.port = port;
        this.peer = peer;
        this.peerSlot = peerSlot;
        this.peerWords = table.words(peerSlot);
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
        return lifecycle.bind(requested, call);
    }

    @Override
    protected void doListen(int backlog, String call) throws ScifException {
        lifecycle.listen(backlog, call);
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
        peerWords = table.words(peerSlot);
        peer = new PortId(table.get(slot, E_PEER_NODE), table.get(slot, E_PEER_PORT));
        rma = new EndpointRma(this, c, table, slot, peerSlot, node, Arguments.hostLoopback(node.selfId(), peer.node()));
        conn = c; // last, volatile: whoever sees conn also sees peer, peerSlot, peerWords and rma
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

    /** Records the port that bind, or connect for an UNBOUND endpoint, took. Caller holds ctl and the fabric lock. */
    void bound(int p) {
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

    // ---------------------------------------------------------------- messages and states

    /** {@inheritDoc} The per-message path, in {@link ShmMessages} (a static call the JIT inlines). */
    @Override
    protected int doSend(ByteBuffer src, boolean block, int flags) throws ScifException {
        return ShmMessages.send(this, src, block, flags);
    }

    /** {@inheritDoc} The per-message path, in {@link ShmMessages} (a static call the JIT inlines). */
    @Override
    protected int doRecv(ByteBuffer dst, boolean block, int flags) throws ScifException {
        return ShmMessages.recv(this, dst, block, flags);
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

    /** @return the RMA side of this endpoint once connected, else null (tests reach its DMA channel through it) */
    EndpointRma rma() {
        return rma;
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
        lifecycle.close(rma);
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
