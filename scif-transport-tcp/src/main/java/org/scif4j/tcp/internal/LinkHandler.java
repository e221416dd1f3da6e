package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelOutputShutdownEvent;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.scif4j.tcp.TcpOptions;

/**
 * The inbound side of one link: runs the handshake's phases (HELLO, HELLO_ACK and, with a
 * fabric key, AUTH; their checks and answers are {@link LinkHandshake}'s), validates every
 * frame's type and size, answers heartbeats and goodbyes, and hands
 * SCIF frames to the {@link FrameDispatcher}. A frame that breaks the protocol closes the link
 * with a logged reason before anything acts on it. It cuts frames itself ({@link FrameReader}),
 * from the bytes the event loop reads and, once the link is open, from those a waiting user
 * thread reads ({@link #readByUser}); either holds the link's read lock meanwhile.
 *
 * <p>Deadlines, all watched by one timer on the event loop ({@link #tick}), since user reads
 * bypass the pipeline: the handshake must end within {@link TcpOptions#handshakeMillis} of the
 * TCP connection; a frame whose first bytes arrived must be whole within
 * {@link TcpOptions#frameMillis} of them, whoever read them (the {@link FrameReader} keeps the
 * clock), so that a peer trickling bytes in (which keeps the link from ever being idle) cannot
 * hold a link open; and an open link must hear something every {@code liveness} ms, counted
 * from the end of its handshake, over the time this side could hear it ({@link LivenessWatch}:
 * not while its event loop stood still, nor while reading was paused). An unkeyed newcomer
 * claiming a node that is connected as another incarnation is held unanswered until that node's
 * links close (see {@link Links#admit}), and refused at the handshake deadline if they do not.
 */
final class LinkHandler extends ChannelInboundHandlerAdapter {
    private static final System.Logger LOG = System.getLogger("org.scif4j.tcp");

    /** AWAIT_ADMISSION: an acceptor holding a HELLO unanswered, see {@link Links#admit}. */
    enum Phase { AWAIT_HELLO, AWAIT_ADMISSION, AWAIT_HELLO_ACK, AWAIT_AUTH, OPEN, CLOSED }

    private final TcpNode node;
    private final Links links;
    private final Link link;
    private final TcpOptions options;
    private final FrameDispatcher dispatcher;
    /** The HELLO, HELLO_ACK and AUTH exchange, until the link opens. */
    private final LinkHandshake handshake;
    /** Written by whoever holds the link's read lock, and by the event loop (its timers, the close). */
    private volatile Phase phase;
    private final FrameReader.Sink sink = this::frame;
    private ChannelHandlerContext ctx;
    /**
     * Every liveness/4 ms from the TCP connection on: checks the frame deadline and, once the
     * link is open, sends HEARTBEAT. Cancelled when the link closes.
     */
    private ScheduledFuture<?> tick;
    /** Closes the link if its handshake has not ended in time; cancelled when it opens or closes. */
    private ScheduledFuture<?> handshakeDeadline;
    /** The node's clock for liveness (System.nanoTime but in tests), as the link's reader stamps reads. */
    private final LongSupplier clock;
    /** Judges the peer's silence at each tick; event-loop confined. */
    private final LivenessWatch liveness;

    /**
     * @param target the node an outbound link was opened to, or -1 for an inbound link
     */
    LinkHandler(TcpNode node, Links links, Link link, TcpOptions options, int target) {
        this.node = node;
        this.links = links;
        this.link = link;
        this.options = options;
        byte[] k = options.key();
        this.handshake = new LinkHandshake(this, node, links, link, options, k == null ? null : new FabricKey(k));
        this.dispatcher = node.dispatcher();
        this.clock = node.clock();
        this.liveness = new LivenessWatch(TimeUnit.MILLISECONDS.toNanos(options.livenessMillis()),
            TimeUnit.MILLISECONDS.toNanos(period(options)));
        this.phase = target >= 0 ? Phase.AWAIT_HELLO_ACK : Phase.AWAIT_HELLO;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        // A fixed-rate beat rather than one after each idle spell: it costs a 5-byte frame per
        // period and nothing per frame written. Its frame check needs no finer grain: every
        // frame's bound is at least liveness, four periods.
        long period = period(options);
        liveness.start(clock.getAsLong());
        tick = ctx.executor().scheduleAtFixedRate(this::tick, period, period, TimeUnit.MILLISECONDS);
        handshakeDeadline = ctx.executor().schedule(this::handshakeExpired, options.handshakeMillis(),
            TimeUnit.MILLISECONDS);
        if (link.outbound) {
            handshake.sendHello(ctx);
        }
        ctx.fireChannelActive();
    }

    /** @return the period of the link's timer (its heartbeats and checks), in ms */
    private static long period(TcpOptions options) {
        return Math.max(1, options.livenessMillis() / 4);
    }

    /** Bytes from the socket, read by the event loop. */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        link.reader.lastRead = clock.getAsLong();
        if (!link.reader.pipelineRead((ByteBuf) msg)) {
            feed((ByteBuf) msg);
        }
    }

    /**
     * Bytes [{@code from}, {@code from + n}) of {@code buffer}, which a user thread read from
     * this open link while it waited (see {@link Link}), {@code view} a duplicate of it to show
     * each frame through (see FrameReader#feedUser); it holds the link's read lock, as the event
     * loop does when it reads.
     */
    void readByUser(ByteBuf buffer, ByteBuf view, int from, int n) {
        if (phase == Phase.CLOSED) {
            return;
        }
        String wrong = link.reader.frames.feedUser(buffer, view, from, n, sink);
        if (wrong != null && phase != Phase.CLOSED) {
            violation(ctx, wrong);
        }
    }

    private void feed(ByteBuf bytes) {
        if (phase == Phase.CLOSED || !bytes.isReadable()) {
            bytes.release();
            return;
        }
        String wrong = link.reader.frames.feed(ctx.alloc(), bytes, sink);
        if (wrong != null && phase != Phase.CLOSED) {
            violation(ctx, wrong);
        }
    }

    /** One frame, its length prefix stripped. @return false once the link is closed */
    private boolean frame(ByteBuf frame) {
        try {
            if (phase == Phase.CLOSED) {
                return false;
            }
            if (!frame.isReadable()) {
                violation(ctx, "an empty frame (no type byte)");
                return false;
            }
            byte type = frame.readByte();
            int body = frame.readableBytes();
            int header = Wire.payloadHeader(type);
            if (header >= 0) {
                if (body <= header || body > header + Wire.MAX_DATA) {
                    violation(ctx, "a " + Wire.name(type) + " frame of " + body + " body bytes; expected "
                        + (header + 1) + ".." + (header + Wire.MAX_DATA));
                    return false;
                }
            } else if (Wire.bodySize(type) < 0) {
                violation(ctx, "an unknown frame type " + (type & 0xff));
                return false;
            } else if (Wire.bodySize(type) != body) {
                violation(ctx, "a " + Wire.name(type) + " frame of " + body + " body bytes; expected "
                    + Wire.bodySize(type));
                return false;
            }
            read(ctx, type, frame);
            return phase != Phase.CLOSED;
        } finally {
            frame.release();
        }
    }

    private void read(ChannelHandlerContext ctx, byte type, ByteBuf f) {
        switch (phase) {
            case AWAIT_HELLO:
                if (type != Wire.HELLO) {
                    violation(ctx, Wire.name(type) + " before HELLO");
                } else {
                    handshake.onHello(ctx, f);
                }
                return;
            case AWAIT_ADMISSION:
                // An honest opener sends nothing before our HELLO_ACK.
                violation(ctx, Wire.name(type) + " before HELLO_ACK");
                return;
            case AWAIT_HELLO_ACK:
                if (type != Wire.HELLO_ACK) {
                    violation(ctx, Wire.name(type) + " before HELLO_ACK");
                } else {
                    handshake.onHelloAck(ctx, f);
                }
                return;
            case AWAIT_AUTH:
                if (type != Wire.AUTH) {
                    violation(ctx, Wire.name(type) + " before AUTH");
                } else {
                    handshake.onAuth(ctx, f);
                }
                return;
            default:
                break;
        }
        switch (type) {
            case Wire.HELLO:
            case Wire.HELLO_ACK:
            case Wire.AUTH:
                violation(ctx, Wire.name(type) + " after the handshake");
                return;
            case Wire.HEARTBEAT:
                return; // reading it was the point: the link was heard from (lastRead)
            case Wire.BYE:
                phase = Phase.CLOSED;
                // Forget the peer first, so that when its close() returns we no longer list it.
                links.retireDetached(link, "node " + link.peerNode + " detached");
                link.writer.stopDirect();
                ctx.writeAndFlush(Wire.empty(ctx.alloc(), Wire.BYE_ACK)).addListener(ChannelFutureListener.CLOSE);
                return;
            case Wire.BYE_ACK:
                link.goodbye.complete(null);
                return;
            default:
                if (link.outbound) {
                    // A peer sends its SCIF frames over the link it opened to us, never on ours.
                    violation(ctx, Wire.name(type) + " on the link this node opened");
                    return;
                }
                String wrong = dispatcher.dispatch(link, type, f);
                if (wrong != null) {
                    violation(ctx, wrong);
                }
        }
    }

    /** The handshake's phase moves on (to AWAIT_ADMISSION or AWAIT_AUTH). */
    void phase(Phase next) {
        phase = next;
    }

    /** @return the phase: whether a held newcomer still waits for admission */
    Phase phase() {
        return phase;
    }

    /** @return this handler's context (the handshake answers a held newcomer outside a read) */
    ChannelHandlerContext ctx() {
        return ctx;
    }

    /** The handshake succeeded: the link opens. */
    void open() {
        phase = Phase.OPEN;
        handshakeDeadline.cancel(false);
        // Liveness counts from now, not from the HELLO: a newcomer held for a while (see hold)
        // said nothing on purpose and must not be lost for it the moment it is answered.
        link.reader.lastRead = clock.getAsLong();
        link.reader.allowUserReads(this);
        links.opened(link);
    }

    /**
     * Every liveness/4 ms from the TCP connection on. A fixed-rate beat rather than one after
     * each idle spell: it costs a 5-byte frame per period and nothing per frame written. It
     * also watches an open link for silence from the time of its last read, whoever read it
     * (user reads bypass the pipeline, so no IdleStateHandler could see them), and every link
     * for a frame that takes too long. Neither counts time this side could not read (see
     * {@link LivenessWatch}): after this side stood still, this tick runs before the event
     * loop's next read takes what the peer sent meanwhile.
     */
    private void tick() {
        boolean reading = ctx.channel().config().isAutoRead();
        boolean lost = liveness.tick(clock.getAsLong(), link.reader.lastRead, reading);
        if (phase == Phase.OPEN) {
            if (lost) {
                silent();
                return;
            }
            link.write(Wire.empty(ctx.alloc(), Wire.HEARTBEAT)); // through Link: it may be writing directly
        }
        checkFrameDeadline(liveness.blind());
    }

    /** Nothing came in for the liveness period of the time this side could hear: the peer is lost. */
    private void silent() {
        LOG.log(System.Logger.Level.WARNING, "scif4j tcp node {0}: closing {1}: nothing heard within"
            + " {2} ms (option liveness=; {3} ms since the last read)", node.selfId(), link,
            String.valueOf(options.livenessMillis()),
            String.valueOf(TimeUnit.NANOSECONDS.toMillis(clock.getAsLong() - link.reader.lastRead)));
        phase = Phase.CLOSED;
        links.retire(link, "nothing heard from node " + link.peerNode + " within "
            + options.livenessMillis() + " ms");
        ctx.close();
    }

    /**
     * Closes the link when the frame held in part has taken longer than its bound to arrive.
     * Reads the {@link FrameReader}'s clock without the read lock (a user thread may hold it for
     * the whole of its wait); the clock's fields are volatile for that.
     *
     * @param blind whether this side could not read since the last tick (it stood still, or
     *              reading is paused: auto-read off): the rest of the frame may lie unread in
     *              the socket
     */
    private void checkFrameDeadline(boolean blind) {
        FrameReader frames = link.reader.frames;
        long since = frames.partialSince();
        if (since == FrameReader.NONE || phase == Phase.CLOSED) {
            return;
        }
        long now = clock.getAsLong();
        if (blind) {
            // Reading is paused on our side, or we stood still: the peer cannot be blamed for
            // bytes we did not read.
            frames.restartClock(since, now);
            return;
        }
        long bytes = frames.partialBytes();
        long bound = options.frameMillis(bytes);
        if (now - since > TimeUnit.MILLISECONDS.toNanos(bound) && frames.partialSince() == since) {
            violation(ctx, "a frame of " + bytes + " bytes not complete within " + bound + " ms ("
                + frames.partialArrived() + " bytes of it arrived; the bound is liveness="
                + options.livenessMillis() + " ms plus the frame at " + TcpOptions.MIN_FRAME_BYTES_PER_SECOND
                + " bytes/s)");
        }
    }

    private void handshakeExpired() {
        switch (phase) {
            case OPEN:
            case CLOSED:
                return;
            case AWAIT_ADMISSION:
                violation(ctx, "a newcomer claiming node " + link.peerNode + " (incarnation "
                    + Long.toHexString(link.peerIncarnation) + "), which stayed connected as another incarnation for "
                    + options.handshakeMillis() + " ms; without a fabric key (option key=) a live node is not"
                    + " displaced");
                return;
            default:
                violation(ctx, "the handshake did not end within " + options.handshakeMillis() + " ms (option"
                    + " timeout=)");
        }
    }

    /** The peer broke the protocol: closes the link, with {@code what} logged. */
    void violation(ChannelHandlerContext ctx, String what) {
        LOG.log(System.Logger.Level.WARNING, "scif4j tcp node {0}: closing {1}: protocol violation: {2}",
            node.selfId(), link, what);
        phase = Phase.CLOSED;
        links.retire(link, "protocol violation: " + what);
        ctx.close();
    }

    /** The end of a read batch: the RMA_DONEs owed for what it served go out, one per connection. */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        link.reader.eventLoopReadDone();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        int cut = link.reader.endOfStream();
        if (cut > 0 && phase != Phase.CLOSED) {
            violation(ctx, "the stream ended inside a frame (" + cut + " bytes of it arrived)");
        }
        phase = Phase.CLOSED;
        if (tick != null) {
            tick.cancel(false);
            handshakeDeadline.cancel(false);
        }
        links.retire(link, "the link to node " + link.peerNode + " closed");
        ctx.fireChannelInactive();
    }

    /**
     * On an epoll outbound link Netty turns the end of the input and a failed write into events
     * rather than close the channel itself (see LinkWriter's invariant on closing): the link
     * closes here, through the pipeline, as Netty would have closed it.
     */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent || evt instanceof ChannelOutputShutdownEvent) {
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A write that raced with the link's close is expected; anything else is worth a warning.
        LOG.log(cause instanceof java.nio.channels.ClosedChannelException ? System.Logger.Level.DEBUG
            : System.Logger.Level.WARNING, "scif4j tcp node {0}: closing {1}: {2}", node.selfId(), link,
            String.valueOf(cause));
        phase = Phase.CLOSED;
        links.retire(link, String.valueOf(cause));
        ctx.close();
    }
}
