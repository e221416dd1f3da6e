package org.scif4j.tcp.internal;

import org.scif4j.spi.Arguments;
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
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.NodeIds;
import org.scif4j.ScifException;
import org.scif4j.ScifMemory;
import org.scif4j.ScifNode;
import org.scif4j.tcp.TcpOptions;

/**
 * This process attached as one node of a tcp fabric: listens on the node's address, owns the
 * node's ports, endpoints and links, and closes them all on close.
 */
public final class TcpNode implements ScifNode {
    /** Counts for {@link #metrics()}; each endpoint takes its own from it. */
    private final org.scif4j.spi.NodeCounters counters = new org.scif4j.spi.NodeCounters();


    private final TcpOptions options;
    private final long incarnation = new SecureRandom().nextLong();
    private final EventLoopGroup group;
    private final Links links;
    private final PortTable ports = new PortTable();
    private final FrameDispatcher dispatcher = new FrameDispatcher(this);
    private final WireIds<TcpEndpoint> endpoints = new WireIds<>();
    private final Set<TcpEndpoint> open = ConcurrentHashMap.newKeySet();
    private final SpinPolicy spin;
    private final NettyIo io;
    private volatile boolean closed;

    private TcpNode(TcpOptions options, NettyIo io) {
        this.options = options;
        this.io = io;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("scif4j-tcp-node" + options.node(),
            true), io.handlers());
        this.links = new Links(this, options, group, io);
        this.spin = new SpinPolicy(options.waitMode());
    }

    /**
     * Attaches as the node {@code options} name: binds its address and starts serving links.
     *
     * @param options the URI's options
     * @param call    the attach call, for messages
     * @return the node
     * @throws ScifException EADDRINUSE when the node's address is taken (the node is already
     *                       attached, or another program listens there), ENODEV when this host
     *                       cannot listen on it, EINTR if interrupted
     */
    public static TcpNode attach(TcpOptions options, String call) throws ScifException {
        TcpNode n = new TcpNode(options, NettyIo.of(options.io(), call));
        try {
            n.links.listen();
            return n;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            n.close();
            throw ScifException.of(call, Errno.EINTR, "interrupted while binding " + options.selfAddress());
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
    public Endpoint open() throws ScifException {
        checkOpen("open()");
        TcpEndpoint e = new TcpEndpoint(this);
        open.add(e);
        if (closed) { // closed concurrently: do not leak the endpoint
            e.close();
            checkOpen("open()");
        }
        return e;
    }

    @Override
    public ScifMemory allocate(long bytes) throws ScifException {
        Call call = Call.of("allocate", "bytes", bytes);
        checkOpen(call.text());
        long rounded = Arguments.allocate(bytes, call);
        ByteBuffer b = ByteBuffer.allocateDirect((int) (rounded + Pages.PAGE)).alignedSlice((int) Pages.PAGE);
        return new TcpMemory(b.limit((int) rounded).slice());
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        for (TcpEndpoint e : open) {
            e.closeForDetach();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.min(1000, options.timeoutMillis()));
        links.close(deadline);
        group.shutdownGracefully(0, options.timeoutMillis(), TimeUnit.MILLISECONDS).awaitUninterruptibly();
    }

    // ---------------------------------------------------------------- for endpoints and frames

    /**
     * Node {@code peer} is gone (closed, crashed, unreachable): every endpoint that depends on
     * it learns so. Runs on an event loop or in a closing thread.
     */
    void peerLost(int peer, String reason) {
        for (TcpEndpoint e : open) {
            e.onPeerLost(peer, reason);
        }
    }

    /** A CONNECT_REQ arrived for {@code port}: queued on its listener, or refused at once. */
    void connectRequest(ConnectRequest r, int port) {
        TcpEndpoint l = port == 0 ? null : ports.listener(port);
        int refusal = l == null ? Errno.ECONNREFUSED.number() : l.offer(r);
        if (refusal != 0) {
            links.send(r.node(), Wire.connectNak(alloc(), r.connector(), refusal));
        }
    }

    /**
     * How many bytes for {@code peer} this node may hold unsent while the peer is honest: per
     * connection with it, what {@link TcpEndpoint#unsentAllowance} says, plus
     * {@value TcpRma#UNSENT_SLACK} for connections that ended with bytes still queued. Lock-free.
     */
    long unsentAllowance(int peer) {
        long[] sum = {TcpRma.UNSENT_SLACK};
        endpoints.forEach(e -> sum[0] += e.unsentAllowance(peer));
        return sum[0];
    }

    long newWireId(TcpEndpoint e) {
        return endpoints.add(e);
    }

    void dropWireId(long id) {
        endpoints.remove(id);
    }

    TcpEndpoint endpoint(long wireId) {
        return endpoints.get(wireId); // lock-free, allocation-free: every SCIF frame asks
    }

    TcpEndpoint listener(int port) {
        return ports.listener(port);
    }

    /** @return whether close has begun; an endpoint adopted after it must close itself (see open) */
    boolean isClosed() {
        return closed;
    }

    void adopt(TcpEndpoint e) {
        open.add(e);
    }

    void forget(TcpEndpoint e) {
        open.remove(e);
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

    SpinPolicy spin() {
        return spin;
    }

    ByteBufAllocator alloc() {
        return PooledByteBufAllocator.DEFAULT;
    }

    long incarnation() {
        return incarnation;
    }

    private void checkOpen(String call) throws ScifException {
        if (closed) {
            throw ScifException.of(call, Errno.EBADF, "the node attachment is closed");
        }
    }

    @Override
    public String toString() {
        return "TcpNode[node " + selfId() + " at " + options.selfAddress() + " (" + io + "), " + open.size() + " endpoints"
            + (closed ? ", closed" : "") + "]";
    }

    @Override
    public org.scif4j.NodeMetrics metrics() {
        return counters.snapshot();
    }

    /** @return the counters a new endpoint of this node takes its own from */
    org.scif4j.spi.NodeCounters counters() {
        return counters;
    }
}
