package org.scif4j.tcp.internal;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.scif4j.tcp.TcpOptions;

/**
 * The conductor of a node's links: listens for peers, opens one outbound link per peer on
 * demand, and turns any link failure into the loss of that peer node (which
 * {@link TcpNode#peerLost} applies to endpoints). All link bookkeeping is guarded by this;
 * the open links are also in lock-free arrays by peer node ({@code outbound}, {@code inbound}), which
 * the paths of every frame read without the lock.
 *
 * <p>Invariant: a link is in {@code live} from its creation until it is retired; only the
 * retirement of a live link reports a loss, so the close events of links already retired by a
 * loss never end the links of a node that came back since.
 *
 * <p>Who speaks for a node id: a link that finished its handshake, or one this node opened to
 * the id's listed address. An inbound link still in its handshake speaks for nobody: its
 * failure costs the node it claims nothing, and the loss of that node does not end it (it may
 * be the node come back). Unkeyed, a newcomer claiming a node connected as another
 * incarnation is held until that node's links are gone ({@link #admit}): nothing but a key
 * could tell the node restarted from an impostor, and an impostor must not displace it.
 */
final class Links {
    private static final System.Logger LOG = System.getLogger("org.scif4j.tcp");

    private final TcpNode node;
    private final TcpOptions options;
    private final EventLoopGroup group;
    private final NettyIo io;
    /** Takes inbound links back from user readers that left; stopped by the node after its event loop. */
    private final TakeBackTimer takeBack;
    private final Bootstrap bootstrap;
    private Channel server;
    /**
     * The link this node sends to each peer node over, or null. Written under this; read
     * lock-free by every send ({@link #outbound}), so that a frame takes no node-wide lock.
     */
    private final AtomicReferenceArray<Link> outbound = new AtomicReferenceArray<>(MAX_NODES);
    /** Guarded by this. */
    private final Set<Link> live = new HashSet<>();
    /** The incarnation of each peer node we hold an open link with. Guarded by this. */
    private final Map<Integer, Long> incarnations = new HashMap<>();
    /**
     * Inbound links held in their handshake ({@link #admit}), each with what to run on its event
     * loop when the node it claims loses its links. Guarded by this.
     */
    private final Map<Link, Runnable> held = new LinkedHashMap<>();
    /** Guarded by this. */
    private boolean closing;
    /** The open inbound link of each peer node (the one its SCIF frames come on), or null. */
    private final AtomicReferenceArray<Link> inbound = new AtomicReferenceArray<>(MAX_NODES);
    /** Node ids are 0..256. */
    private static final int MAX_NODES = 257;

    Links(TcpNode node, TcpOptions options, EventLoopGroup group, NettyIo io, TakeBackTimer takeBack) {
        this.node = node;
        this.takeBack = takeBack;
        this.options = options;
        this.group = group;
        this.io = io;
        this.bootstrap = new Bootstrap().group(group).channelFactory(io.linkChannels())
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, options.timeoutMillis()))
            .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(1 << 20, 4 << 20))
            // On epoll, senders write an open outbound link's descriptor themselves: Netty must
            // not close it without an event first (LinkWriter's invariant), so the end of the
            // input and a failed write become events, on which LinkHandler closes the link.
            .option(ChannelOption.ALLOW_HALF_CLOSURE, io.epoll())
            .option(ChannelOption.AUTO_CLOSE, !io.epoll())
            .handler(new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel ch) {
                    // The link itself is made by outbound(); it is attached as the channel's attribute.
                }
            });
    }

    /** Starts listening on this node's address. */
    void listen() {
        ServerBootstrap sb = new ServerBootstrap().group(group).channelFactory(io.serverChannels())
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
            .childHandler(new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel ch) {
                    Link link = new Link(ch, false, -1, takeBack, node.clock());
                    synchronized (Links.this) {
                        if (closing) {
                            ch.close();
                            return;
                        }
                        live.add(link);
                    }
                    pipeline(ch, link, -1);
                }
            });
        // Uninterruptibly: a local bind completes at once, and an interrupted wait would leave
        // the bind going on without the channel here for close to find (the port held after
        // attach failed). The interrupt status stays set for the caller.
        server = sb.bind(options.selfAddress()).syncUninterruptibly().channel();
    }

    private void pipeline(Channel ch, Link link, int target) {
        // How much the event loop asks the socket for per read, and into which buffers: see
        // LinkReadSizes, one per channel (its link's reader attaches to it).
        ch.config().setRecvByteBufAllocator(new LinkReadSizes());
        // No flush consolidation handler: Link batches its own writes, one flush per batch. No
        // frame decoder: LinkHandler cuts frames (FrameReader), as user readers do. No
        // IdleStateHandler: LinkHandler's timer watches liveness from the end of the handshake,
        // counting reads by user threads too, which bypass the pipeline.
        if (link.outbound && io.epoll()) {
            ch.pipeline().addLast(new CloseGuard(link)); // first: every close of ours passes it
        }
        ch.pipeline().addLast(new LinkHandler(node, this, link, options, target));
    }

    /**
     * The first handler of an epoll outbound link: a close (or disconnect, which closes) stops
     * the senders' direct writes before the descriptor closes, waiting for one in progress
     * (LinkWriter's invariant). Closes made through the pipeline, from any handler or the
     * channel, pass it on their way to Netty.
     */
    private static final class CloseGuard extends ChannelOutboundHandlerAdapter {
        private final Link link;

        CloseGuard(Link link) {
            this.link = link;
        }

        @Override
        public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
            link.writer.stopDirect();
            ctx.close(promise);
        }

        @Override
        public void disconnect(ChannelHandlerContext ctx, ChannelPromise promise) {
            link.writer.stopDirect();
            ctx.disconnect(promise);
        }
    }

    /**
     * The link this node sends to {@code peer} over, opened now if there is none.
     *
     * @param peer a node of the fabric
     * @return the link, possibly still in its handshake
     */
    Link outbound(int peer) {
        Link open = peer >= 0 && peer < MAX_NODES ? outbound.get(peer) : null;
        if (open != null) {
            return open; // the path of every frame: one array read
        }
        InetSocketAddress address = options.nodes().get(peer);
        synchronized (this) {
            Link l = outbound.get(peer);
            if (l != null) {
                return l;
            }
            if (closing) {
                // No channel: the event loop may have stopped, and registering one with it then
                // fails (and Netty logs a force-close). A dead link drops what it is given.
                l = new Link(null, true, peer, null, node.clock());
                l.markDead("node " + node.selfId() + " is closing");
                return l;
            }
            Channel ch = bootstrap.register().channel();
            l = new Link(ch, true, peer, null, node.clock());
            outbound.set(peer, l);
            live.add(l);
            pipeline(ch, l, peer);
            Link link = l;
            ch.connect(address).addListener(f -> {
                if (!f.isSuccess()) {
                    retire(link, "cannot reach node " + peer + " at " + address + ": " + f.cause());
                }
            });
            return l;
        }
    }

    /**
     * @return the open link peer node {@code peer} sends its SCIF frames on, or null; lock-free,
     *         for a waiter that reads it (see {@link LinkReader#awaitReading})
     */
    Link inbound(int peer) {
        return peer >= 0 && peer < MAX_NODES ? inbound.get(peer) : null;
    }

    /** @return bytes for {@code peer} that have not reached the socket yet (see {@link LinkWriter#unsentBytes}) */
    long unsentTo(int peer) {
        Link l = peer >= 0 && peer < MAX_NODES ? outbound.get(peer) : null;
        return l == null ? 0 : l.writer.unsentBytes();
    }

    /** Sends a SCIF frame to {@code peer} over this node's outbound link to it. */
    void send(int peer, ByteBuf frame) {
        outbound(peer).write(frame);
    }

    /**
     * Sends the next {@code n} bytes of {@code src} to the endpoint {@code dst} of {@code peer},
     * in DATA frames, the first giving back {@code credit} for the opposite stream.
     */
    void sendData(int peer, ByteBuffer src, long dst, int credit, int n) {
        outbound(peer).writeData(node.alloc(), src, dst, credit, n);
    }

    /**
     * @param peer a node of the fabric
     * @param deadlineNanos when to give up waiting for the handshake
     * @return whether a link to it is open now (opening one if needed)
     */
    boolean reachable(int peer, long deadlineNanos) {
        Link l = outbound(peer);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    l.opened.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
                    return l.isOpen();
                } catch (InterruptedException e) {
                    // scif_get_node_ids has no EINTR, and this wait is bounded: finish it, and
                    // leave the status set for the caller's next call that may wait
                    interrupted = true;
                } catch (Exception e) {
                    return false;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Whether the unkeyed inbound {@code link}, whose HELLO claims {@code link.peerNode} as
     * {@code link.peerIncarnation}, may be answered now: yes when we hold no open link with that
     * node or only links of the same incarnation (the node opening another link), and then its
     * incarnation is recorded at once, so that a second newcomer is measured against it. No when
     * the node is connected as another incarnation: the link is held, and {@code whenFree} runs
     * on its event loop each time that node loses its links, to ask again.
     *
     * @return whether the link may open now
     */
    synchronized boolean admit(Link link, Runnable whenFree) {
        if (!live.contains(link)) {
            return false; // retired meanwhile: it is closing
        }
        Long incumbent = incarnations.get(link.peerNode);
        if (incumbent == null || incumbent == link.peerIncarnation) {
            held.remove(link);
            incarnations.put(link.peerNode, link.peerIncarnation);
            return true;
        }
        held.put(link, whenFree);
        return false;
    }

    /**
     * The handshake of {@code link} succeeded. A peer that comes back with a new incarnation
     * was lost in between: everything of its old incarnation goes first.
     */
    void opened(Link link) {
        boolean restarted;
        synchronized (this) {
            if (!live.contains(link)) {
                return;
            }
            Long before = incarnations.put(link.peerNode, link.peerIncarnation);
            restarted = before != null && before != link.peerIncarnation;
        }
        if (restarted) {
            lose(link.peerNode, "node " + link.peerNode + " came back as a new incarnation", link, false);
        }
        link.markOpen();
        node.linkOpened(link.peerNode);
        if (!link.outbound) {
            inbound.set(link.peerNode, link);
        }
    }

    /** A link failed or closed: if it was live, its peer node is lost. */
    void retire(Link link, String reason) {
        retire(link, reason, false);
    }

    /**
     * BYE: the peer node detaches. A detaching node closed its endpoints first, so a connect
     * queued on one of its listeners was refused, though the refusal comes on the other link
     * of the pair and may be read after this BYE: the node is retired as refused, not lost.
     */
    void retireDetached(Link link, String reason) {
        retire(link, reason, true);
    }

    private void retire(Link link, String reason, boolean detached) {
        int peer;
        synchronized (this) {
            held.remove(link);
            if (!live.contains(link)) {
                link.markDead(reason);
                return;
            }
            peer = link.peerNode;
        }
        // Only a link that finished its handshake, or our own attempt to reach a node, speaks
        // for that node: an inbound stranger failing its handshake (a wrong key, garbage) must
        // not cost the honest node it claims to be anything.
        if (peer < 0 || !(link.outbound || link.isOpen())) {
            synchronized (this) {
                live.remove(link);
            }
            link.markDead(reason);
            link.channel.close();
            LOG.log(System.Logger.Level.DEBUG, "scif4j tcp node {0}: {1} closed before its handshake: {2}",
                node.selfId(), link, reason);
            return;
        }
        lose(peer, reason, null, detached);
    }

    /**
     * Retires every link that speaks for {@code peer} except {@code keep}, then tells the node
     * and the newcomers held for that node (they may open now).
     */
    private void lose(int peer, String reason, Link keep, boolean detached) {
        List<Link> gone = new ArrayList<>();
        List<Map.Entry<Link, Runnable>> waiting = new ArrayList<>();
        synchronized (this) {
            for (Link l : live) {
                // An inbound link in its handshake is not the node yet: it may be the node come back.
                if (l.peerNode == peer && l != keep && (l.outbound || l.isOpen())) {
                    gone.add(l);
                }
            }
            for (Map.Entry<Link, Runnable> h : held.entrySet()) {
                if (h.getKey().peerNode == peer) {
                    waiting.add(h);
                }
            }
            live.removeAll(gone);
            Link out = outbound.get(peer);
            if (out != null && out != keep) {
                outbound.set(peer, null);
            }
            if (keep == null) {
                incarnations.remove(peer);
            }
        }
        for (Link l : gone) {
            if (l.peerNode >= 0 && l.peerNode < MAX_NODES) {
                inbound.compareAndSet(l.peerNode, l, null);
            }
            l.markDead(reason);
            l.channel.close();
        }
        if (!gone.isEmpty()) {
            LOG.log(System.Logger.Level.DEBUG, "scif4j tcp node {0}: node {1} lost: {2}", node.selfId(), peer, reason);
        }
        node.peerLost(peer, reason, detached);
        for (Map.Entry<Link, Runnable> h : waiting) {
            try {
                h.getKey().channel.eventLoop().execute(h.getValue());
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // The node's event loop has shut down: the held link closes with it.
            }
        }
    }

    /** @return every link that finished its handshake and is still live */
    synchronized List<Link> openLinks() {
        List<Link> open = new ArrayList<>();
        for (Link l : live) {
            if (l.isOpen()) {
                open.add(l);
            }
        }
        return open;
    }

    /**
     * Detaches: stops accepting links, says BYE on every open link so that peers forget this
     * node before close returns, and closes everything.
     *
     * @param deadlineNanos how long to wait for the peers' BYE_ACKs
     */
    void close(long deadlineNanos) {
        List<Link> open;
        synchronized (this) {
            closing = true;
        }
        if (server != null) {
            server.close().awaitUninterruptibly();
        }
        open = openLinks();
        for (Link l : open) {
            l.writer.stopDirect();
            l.channel.writeAndFlush(Wire.empty(l.channel.alloc(), Wire.BYE), l.channel.voidPromise());
        }
        for (Link l : open) {
            try {
                l.goodbye.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (Exception e) {
                // A peer that does not answer in time will notice the closed link instead.
            }
        }
        List<Link> all;
        synchronized (this) {
            all = new ArrayList<>(live);
            live.clear();
            for (int i = 0; i < MAX_NODES; i++) {
                outbound.set(i, null);
            }
            incarnations.clear();
            held.clear();
        }
        for (int i = 0; i < MAX_NODES; i++) {
            inbound.set(i, null);
        }
        for (Link l : all) {
            l.markDead("node " + node.selfId() + " closed");
            l.channel.close().awaitUninterruptibly();
        }
    }
}
