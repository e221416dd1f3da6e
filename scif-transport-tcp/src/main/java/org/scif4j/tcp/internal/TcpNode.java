package org.scif4j.tcp.internal;

import org.scif4j.spi.AbstractNode;
import org.scif4j.spi.Call;
import org.scif4j.spi.Errors;
import org.scif4j.spi.Pages;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.scif4j.Errno;
import org.scif4j.NodeIds;
import org.scif4j.ScifException;
import org.scif4j.ScifMemory;
import org.scif4j.tcp.TcpOptions;

/**
 * This process attached as one node of a tcp fabric: listens on the node's address, owns the
 * node's ports, endpoints and links, and closes them all on close.
 */
public final class TcpNode extends AbstractNode<TcpEndpoint> {
    /** Counts for {@link #metrics()}; each endpoint takes its own from it. */


    private final TcpOptions options;
    private final long incarnation = new SecureRandom().nextLong();
    private final EventLoopGroup group;
    private final Links links;
    private final TakeBackTimer takeBack;
    private final PortTable ports = new PortTable();
    private final FrameDispatcher dispatcher = new FrameDispatcher(this);
    private final WireIds<TcpEndpoint> wireIds = new WireIds<>();
    private final SpinPolicy spin;
    /** The nodes with an open link, for node events. Guarded by itself. */
    private final BitSet linked = new BitSet();
    /** The fabric's other node ids, ascending: node events walk them each period without an iterator. */
    private final int[] peers;
    private final NettyIo io;
    /** The clock links count liveness by: System.nanoTime, or a test's (see {@link #useClock}). */
    private volatile LongSupplier clock = System::nanoTime;

    private TcpNode(TcpOptions options, NettyIo io) {
        this.options = options;
        this.io = io;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("scif4j-tcp-node" + options.node(),
            true), io.handlers());
        this.takeBack = new TakeBackTimer(options.node());
        this.links = new Links(this, options, group, io, takeBack);
        this.spin = new SpinPolicy(options.waitMode());
        this.peers = options.nodes().keySet().stream().mapToInt(Integer::intValue).filter(n -> n != options.node())
            .sorted().toArray();
    }

    /**
     * Attaches as the node {@code options} name: binds its address and starts serving links.
     *
     * @param options the URI's options
     * @param call    the attach call, for messages
     * @return the node
     * @throws ScifException EADDRINUSE when the node's address is taken (the node is already
     *                       attached, or another program listens there), ENODEV when this host
     *                       cannot listen on it (a set interrupt status does not end the bind's
     *                       short wait, and stays set)
     */
    public static TcpNode attach(TcpOptions options, String call) throws ScifException {
        TcpNode n = new TcpNode(options, NettyIo.of(options.io(), call));
        try {
            n.links.listen();
            return n;
        } catch (Exception e) {
            n.close();
            // Errors' table: a taken address is EADDRINUSE, a refused one EACCES; what else
            // keeps this host from serving the node (no such address here) is ENODEV.
            throw Errors.toScif(call, e, Errno.ENODEV, "cannot listen on " + options.selfAddress()
                + " as node " + options.node() + "; is the node already attached?");
        }
    }

    @Override
    public int selfId() {
        return options.node();
    }

    /** {@inheritDoc} Self, and every other node of the fabric that a link reaches now. */
    @Override
    public NodeIds nodeIds() throws ScifException {
        checkOpen("nodeIds()");
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(options.timeoutMillis());
        for (int peer : options.nodes().keySet()) {
            if (peer != selfId()) {
                links.outbound(peer); // opens them all at once; the loop below waits
            }
        }
        List<Integer> online = new ArrayList<>();
        for (int peer : options.nodes().keySet()) {
            if (peer == selfId() || links.reachable(peer, deadline)) {
                online.add(peer);
            }
        }
        return new NodeIds(selfId(), online.stream().mapToInt(Integer::intValue).toArray());
    }

    @Override
    protected TcpEndpoint openEndpoint() throws ScifException {
        return new TcpEndpoint(this);
    }

    @Override
    protected ScifMemory allocatePages(long bytes, Call call) {
        ByteBuffer b = ByteBuffer.allocateDirect((int) (bytes + Pages.PAGE)).alignedSlice((int) Pages.PAGE);
        return new TcpMemory(b.limit((int) bytes).slice());
    }

    /** Each endpoint closes without waiting for its peer's acknowledgement: the links go next. */
    @Override
    protected void closeEndpoint(TcpEndpoint e) {
        e.closeForDetach();
    }

    @Override
    protected void detach() {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.min(1000, options.timeoutMillis()));
        links.close(deadline);
        group.shutdownGracefully(0, options.timeoutMillis(), TimeUnit.MILLISECONDS).awaitUninterruptibly();
        takeBack.close(); // after the event loop: nothing starts a check any more
    }

    // ---------------------------------------------------------------- for endpoints and frames

    /**
     * Node {@code peer} is gone (closed, crashed, unreachable): every endpoint that depends on
     * it learns so. Runs on an event loop or in a closing thread.
     *
     * @param detached whether it detached (said BYE), having closed its endpoints first
     */
    void peerLost(int peer, String reason, boolean detached) {
        synchronized (linked) {
            linked.clear(peer);
        }
        reportNode(peer, false);
        for (TcpEndpoint e : endpoints()) {
            e.onPeerLost(peer, reason, detached);
        }
    }

    /** @return whether a link with node {@code peer} has finished its handshake and is open */
    boolean isLinked(int peer) {
        synchronized (linked) {
            return linked.get(peer);
        }
    }

    /** A link with node {@code peer} finished its handshake: the node is online. Runs on an event loop. */
    void linkOpened(int peer) {
        synchronized (linked) {
            linked.set(peer);
        }
        reportNode(peer, true);
    }

    /** Node events are as fresh as the links: a lost node is noticed within the liveness period. */
    @Override
    protected long nodeEventPeriodMillis() {
        return options.livenessMillis();
    }

    /**
     * {@inheritDoc} The nodes with an open link. Once a period, a link is opened towards each
     * other node without one, so that a node that attached and never spoke to us is found.
     */
    @Override
    protected boolean onlineNodes(boolean due, BitSet into) {
        synchronized (linked) {
            into.or(linked);
        }
        if (due) {
            for (int peer : peers) {
                if (!into.get(peer)) {
                    links.outbound(peer); // its handshake, if it succeeds, reports the node online
                }
            }
        }
        return true;
    }

    /** A CONNECT_REQ arrived for {@code port}: queued on its listener, or refused at once. */
    void connectRequest(ConnectRequest r, int port) {
        TcpEndpoint l = port == 0 ? null : ports.listener(port);
        int refusal = l == null ? Errno.ECONNREFUSED.number() : l.acceptor().offer(r);
        if (refusal != 0) {
            links.send(r.node(), ConnectionWire.connectNak(alloc(), r.connector(), refusal));
        }
    }

    /**
     * How many bytes for {@code peer} this node may hold unsent while the peer is honest: per
     * connection with it, what {@link TcpEndpoint#unsentAllowance} says, plus
     * {@value TcpRma#UNSENT_SLACK} for connections that ended with bytes still queued. Lock-free.
     */
    long unsentAllowance(int peer) {
        long[] sum = {TcpRma.UNSENT_SLACK};
        wireIds.forEach(e -> sum[0] += e.unsentAllowance(peer));
        return sum[0];
    }

    long newWireId(TcpEndpoint e) {
        return wireIds.add(e);
    }

    void dropWireId(long id) {
        wireIds.remove(id);
    }

    TcpEndpoint endpoint(long wireId) {
        return wireIds.get(wireId); // lock-free, allocation-free: every SCIF frame asks
    }

    TcpEndpoint listener(int port) {
        return ports.listener(port);
    }

    boolean isInFabric(int node) {
        return options.nodes().containsKey(node);
    }

    TcpOptions options() {
        return options;
    }

    PortTable ports() {
        return ports;
    }

    Links links() {
        return links;
    }

    FrameDispatcher dispatcher() {
        return dispatcher;
    }

    /** @return Netty's I/O transport of this node: epoll or nio */
    NettyIo io() {
        return io;
    }

    EventLoopGroup group() {
        return group;
    }

    /** @return the clock links count liveness by (System.nanoTime but in tests) */
    LongSupplier clock() {
        return clock;
    }

    /**
     * Tests: links made from now on count liveness by {@code c} (nanoseconds) rather than
     * System.nanoTime, so that a test can make time pass, or stand still, for the liveness rule.
     */
    void useClock(LongSupplier c) {
        clock = c;
    }

    SpinPolicy spin() {
        return spin;
    }

    ByteBufAllocator alloc() {
        return PooledByteBufAllocator.DEFAULT;
    }

    long incarnation() {
        return incarnation;
    }

    @Override
    public String toString() {
        return "TcpNode[node " + selfId() + " at " + options.selfAddress() + " (" + io + "), " + endpoints().size() + " endpoints"
            + (isClosed() ? ", closed" : "") + "]";
    }
}
