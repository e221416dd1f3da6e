package org.scif4j.bench.baseline;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.HdrHistogram.Histogram;
import org.scif4j.bench.stats.LatencyStats;

/**
 * Plain Netty 4.1 on NIO over TCP loopback (127.0.0.1), the baseline of the tcp transport:
 * an 8-byte echo round trip and one-way streaming of messages of a given size (the sender
 * writes duplicates of one buffer without copying; the receiver copies every byte into a
 * message-sized buffer, as a scif4j recv does). One
 * event-loop thread serves, another is the client; no scif4j code is involved. {@link NettyRma}
 * uses the same event loops for the baseline of writeTo and readFrom.
 */
public final class NettyLoopback implements AutoCloseable {
    private static final long TIMEOUT_SECONDS = 120;

    private final MultiThreadIoEventLoopGroup serverGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final MultiThreadIoEventLoopGroup clientGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

    /**
     * 8-byte round trips: the client sends 8 bytes, the server echoes them.
     *
     * @param warmup     round trips before recording
     * @param roundTrips recorded round trips
     * @return their latency
     * @throws IOException when the loopback connection fails
     */
    public LatencyStats roundTrips(long warmup, long roundTrips) throws IOException {
        Histogram h = LatencyStats.newHistogram();
        CompletableFuture<Void> done = new CompletableFuture<>();
        Channel server = bind(new Echo());
        try {
            Channel client = connect(server, new Pinger(warmup, warmup + roundTrips, h, done));
            await(done);
            client.close().syncUninterruptibly();
        } finally {
            server.close().syncUninterruptibly();
        }
        return LatencyStats.of(h);
    }

    /**
     * One batch of streaming: {@code bytes} (whole messages) of {@code size}-byte writes from
     * client to server over a new connection, timed from the first write to the last byte's
     * arrival.
     *
     * @param size  bytes per write
     * @param bytes bytes (at least one message)
     * @return GB/s on the receiver
     * @throws IOException when the loopback connection fails
     */
    public double streamGbps(int size, long bytes) throws IOException {
        long messages = Math.max(1, bytes / size);
        ByteBuf message = Unpooled.directBuffer(size).writerIndex(size);
        try {
            CompletableFuture<Long> received = new CompletableFuture<>();
            Channel server = bind(new Sink(messages * size, ByteBuffer.allocateDirect(size), received));
            try {
                Channel client = connect(server, new ChannelInboundHandlerAdapter());
                Pump pump = new Pump(client, message, messages);
                long start = System.nanoTime();
                client.eventLoop().execute(pump::run);
                long end = await(received);
                client.close().syncUninterruptibly();
                return (double) messages * size / (end - start);
            } finally {
                server.close().syncUninterruptibly();
            }
        } finally {
            message.release();
        }
    }

    @Override
    public void close() {
        clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Binds a server on a free loopback port whose every accepted connection gets {@code handler}. */
    Channel bind(ChannelHandler handler) throws IOException {
        try {
            return new ServerBootstrap().group(serverGroup).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(handler)
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding the Netty server", e);
        }
    }

    /** Connects a client with {@code handler} to a server of {@link #bind}. */
    Channel connect(Channel server, ChannelHandler handler) throws IOException {
        try {
            return new Bootstrap().group(clientGroup).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(handler).connect(server.localAddress()).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while connecting to the Netty server", e);
        }
    }

    /** Waits for a baseline's outcome, at most {@value #TIMEOUT_SECONDS} s. */
    static <T> T await(CompletableFuture<T> f) throws IOException {
        try {
            return f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted during the Netty baseline", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("the Netty loopback baseline failed: " + e, e);
        }
    }

    /** The server of the round trip: writes back what it reads. */
    @ChannelHandler.Sharable
    private static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(msg);
        }
    }

    /** The client of the round trip: sends 8 bytes when the previous 8 came back. */
    private static final class Pinger extends ChannelInboundHandlerAdapter {
        private final long warmup;
        private final long total;
        private final Histogram h;
        private final CompletableFuture<Void> done;
        private ByteBuf ping;
        private long sent;
        private long pending;
        private long start;

        Pinger(long warmup, long total, Histogram h, CompletableFuture<Void> done) {
            this.warmup = warmup;
            this.total = total;
            this.h = h;
            this.done = done;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ping = ctx.alloc().directBuffer(8).writeLong(0);
            send(ctx);
        }

        private void send(ChannelHandlerContext ctx) {
            pending = 8;
            start = System.nanoTime();
            ctx.writeAndFlush(ping.retainedDuplicate());
            sent++;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            pending -= ((ByteBuf) msg).readableBytes();
            ReferenceCountUtil.release(msg);
            if (pending > 0) {
                return;
            }
            long end = System.nanoTime();
            if (sent > warmup) {
                LatencyStats.record(h, end - start);
            }
            if (sent == total) {
                ping.release();
                done.complete(null);
            } else {
                send(ctx);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            done.completeExceptionally(cause);
        }
    }

    /**
     * The server of the streaming: copies what it reads into a message-sized destination, as a
     * scif4j recv copies into the caller's buffer (the tcp transport is judged against this, so
     * the baseline does the copy it must do too), counts bytes and notes the time of the last.
     */
    @ChannelHandler.Sharable
    private static final class Sink extends ChannelInboundHandlerAdapter {
        private final long expected;
        private final ByteBuffer dst;
        private final CompletableFuture<Long> received;
        private long count;

        Sink(long expected, ByteBuffer dst, CompletableFuture<Long> received) {
            this.expected = expected;
            this.dst = dst;
            this.received = received;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            count += in.readableBytes();
            while (in.isReadable()) {
                if (!dst.hasRemaining()) {
                    dst.clear(); // the next message
                }
                int n = Math.min(dst.remaining(), in.readableBytes());
                dst.limit(dst.position() + n);
                in.readBytes(dst);
                dst.limit(dst.capacity());
            }
            ReferenceCountUtil.release(msg);
            if (count >= expected) {
                received.complete(System.nanoTime());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            received.completeExceptionally(cause);
        }
    }

    /**
     * Writes duplicates of one message while the channel is writable, and resumes when it
     * becomes writable again; {@link #add} queues more (NettyRma sends batch after batch on one
     * connection, a synchronous call one message at a time).
     */
    static final class Pump {
        private final Channel channel;
        private final ByteBuf message;
        private long messages;
        private long sent;

        Pump(Channel channel, ByteBuf message, long messages) {
            this.channel = channel;
            this.message = message;
            this.messages = messages;
            channel.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                    if (ctx.channel().isWritable()) {
                        run();
                    }
                }
            });
        }

        /** Queues {@code more} messages and writes what the channel takes; on its event loop. */
        void add(long more) {
            messages += more;
            run();
        }

        void run() {
            while (sent < messages && channel.isWritable()) {
                channel.write(message.retainedDuplicate());
                sent++;
            }
            channel.flush();
        }
    }
}
