package org.scif4j.bench.baseline;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.WriteBufferWaterMark;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * Plain Netty doing what the tcp transport's {@code writeTo} and {@code readFrom} do, over the
 * same TCP loopback as {@link NettyLoopback} (scif4j targets tcp writeTo from 64 KiB ≥ 0.8× this).
 *
 * <p>A write is an 8-byte length header and the bytes of a direct source buffer, sent without a
 * copy (a wrapped buffer); the server copies the bytes into a destination direct buffer as they
 * arrive and, as an RMA completes, acknowledges each message with the running count of bytes it
 * copied. A read is an 8-byte request; the server answers with a header and the bytes of its
 * source buffer, which the client copies into its destination as they arrive. A batch is
 * {@code reps} messages sent back to back, then the wait for the last acknowledgement (an
 * asynchronous RMA batch fenced once), or, when synchronous, one message at a time (RMA_SYNC).
 * The client runs on its event loop, as NettyLoopback's streaming and round trip do, so this is
 * the best a Netty user gets, not the cost of handing each call over from another thread.
 */
public final class NettyRma {
    /** A header: the payload's length (a write or a reply), or minus the length (a read request). */
    private static final int HEADER = Long.BYTES;

    /**
     * The client's write-buffer water marks: a bulk sender raises Netty's 32/64 KiB default (the
     * tcp transport's links use these same 1/4 MiB), else every 64 KiB message would wait for the
     * channel to become writable again and the baseline would flatter what is judged against it.
     */
    private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(1 << 20, 4 << 20);

    private final NettyLoopback loopback;
    private long bytesAcknowledged;

    /** @param loopback the event loops, and the connection helpers, this baseline uses */
    public NettyRma(NettyLoopback loopback) {
        this.loopback = loopback;
    }

    /**
     * Writes: the client sends {@code src}'s remaining bytes, the server copies them to the
     * start of {@code dst} and acknowledges; a warm-up batch of {@code reps/4} messages, then
     * {@code repetitions} measured batches of {@code reps}, on one connection.
     *
     * @param src         the client's source, direct; its remaining bytes are one message
     * @param dst         the server's destination, with at least as many remaining bytes
     * @param reps        messages per batch
     * @param sync        wait for each message's acknowledgement before sending the next
     * @param repetitions measured batches
     * @return the median batch, GB/s (from the first send to the last acknowledgement)
     * @throws IOException when the loopback connection fails or an acknowledgement is wrong
     */
    public double writeGbps(ByteBuffer src, ByteBuffer dst, long reps, boolean sync, int repetitions)
        throws IOException {
        try (Session s = openWrites(src, dst, sync)) {
            return median(s, reps, repetitions);
        }
    }

    /**
     * Reads: the client asks, the server sends {@code src}'s remaining bytes, the client copies
     * them to the start of {@code dst}; batches as {@link #writeGbps}.
     *
     * @param src         the server's source, direct; its remaining bytes are one reply
     * @param dst         the client's destination, with at least as many remaining bytes
     * @param reps        requests per batch
     * @param sync        wait for each reply before sending the next request
     * @param repetitions measured batches
     * @return the median batch, GB/s (from the first request to the last reply's last byte)
     * @throws IOException when the loopback connection fails or a reply is wrong
     */
    public double readGbps(ByteBuffer src, ByteBuffer dst, long reps, boolean sync, int repetitions)
        throws IOException {
        try (Session s = openReads(src, dst, sync)) {
            return median(s, reps, repetitions);
        }
    }

    /**
     * @return the bytes the last {@link #writeGbps} or {@link #readGbps} moved, warm-up
     *         included (see {@link Session#bytesAcknowledged()})
     */
    public long bytesAcknowledged() {
        return bytesAcknowledged;
    }

    /**
     * A connection for batches of writes, for a caller that times its own batches (scif rma
     * alternates them with the RMA batches they judge).
     *
     * @param src  the client's source, direct; its remaining bytes are one message
     * @param dst  the server's destination, with at least as many remaining bytes
     * @param sync wait for each message's acknowledgement before sending the next
     * @return the connected session
     * @throws IOException when the loopback connection fails
     */
    public Session openWrites(ByteBuffer src, ByteBuffer dst, boolean sync) throws IOException {
        return new Session(false, src, dst, sync);
    }

    /**
     * A connection for batches of reads; see {@link #openWrites}.
     *
     * @param src  the server's source, direct; its remaining bytes are one reply
     * @param dst  the client's destination, with at least as many remaining bytes
     * @param sync wait for each reply before sending the next request
     * @return the connected session
     * @throws IOException when the loopback connection fails
     */
    public Session openReads(ByteBuffer src, ByteBuffer dst, boolean sync) throws IOException {
        return new Session(true, src, dst, sync);
    }

    private double median(Session s, long reps, int repetitions) throws IOException {
        if (reps < 1 || repetitions < 1) {
            throw new IllegalArgumentException("reps and repetitions must be at least 1");
        }
        double[] gbs = new double[repetitions];
        s.batch(Math.max(1, reps / 4)); // warm-up, as scif rma's RMA batches
        for (int r = 0; r < repetitions; r++) {
            gbs[r] = s.batch(reps);
        }
        bytesAcknowledged = s.bytesAcknowledged();
        Arrays.sort(gbs);
        return gbs[repetitions / 2];
    }

    /**
     * One loopback connection, its server and its client, that runs timed batches of writes or
     * reads of one size.
     */
    public final class Session implements AutoCloseable {
        private final int size;
        private final Client client;
        private final ByteBuf frame;
        private final ByteBuf request;
        private Channel server;
        private Channel channel;

        private Session(boolean read, ByteBuffer src, ByteBuffer dst, boolean sync) throws IOException {
            size = src.remaining();
            if (!src.isDirect() || size < 1 || dst.remaining() < size) {
                throw new IllegalArgumentException("a direct source of at least one byte and a"
                    + " destination as large");
            }
            // One frame, header and payload, that the client (write) or the server (read reply)
            // sends a duplicate of each time: a gathering write of the two without a copy.
            frame = Unpooled.wrappedBuffer(Unpooled.directBuffer(HEADER).writeLong(size),
                Unpooled.wrappedBuffer(src.slice()));
            request = Unpooled.directBuffer(HEADER).writeLong(-size);
            client = new Client(read ? dst : null, read, sync, size);
            try {
                server = loopback.bind(new Server(read ? null : dst, read ? frame : null, size));
                channel = loopback.connect(server, client);
                channel.config().setWriteBufferWaterMark(WATER_MARK);
                client.pump = new NettyLoopback.Pump(channel, read ? request : frame, 0);
            } catch (IOException | RuntimeException e) {
                close();
                throw e;
            }
        }

        /**
         * Sends a batch and waits for its last acknowledgement or reply.
         *
         * @param messages writes or reads in the batch, at least 1
         * @return GB/s, from the first send to the last completion as the calling thread sees them
         * @throws IOException when the connection failed or a completion was wrong
         */
        public double batch(long messages) throws IOException {
            if (messages < 1) {
                throw new IllegalArgumentException("a batch of " + messages + " messages");
            }
            CompletableFuture<Void> done = new CompletableFuture<>();
            long start = System.nanoTime();
            channel.eventLoop().execute(() -> client.start(messages, done));
            NettyLoopback.await(done);
            return (double) size * messages / (System.nanoTime() - start);
        }

        /**
         * @return the bytes moved by the batches so far: acknowledged by the server (writes: its
         *         running count, checked against what was sent) or received by the client (reads)
         */
        public long bytesAcknowledged() {
            // The event loop wrote it before completing the last batch this thread waited for.
            return client.moved;
        }

        /** Closes the connection and the server, and frees the frames. */
        @Override
        public void close() {
            if (channel != null) {
                channel.close().syncUninterruptibly();
                channel = null;
            }
            if (server != null) {
                server.close().syncUninterruptibly();
                server = null;
            }
            if (frame.refCnt() > 0) {
                frame.release();
                request.release();
            }
        }
    }

    /**
     * Reads a stream of frames, an 8-byte header each and a payload whose length the subclass
     * gives, and copies each payload straight into the start of one destination buffer as its
     * bytes arrive: no aggregation of a frame (LengthFieldBasedFrameDecoder would copy large
     * ones twice), one copy from Netty's read buffer to the destination, as a receiving RMA does.
     */
    abstract static class Frames extends ChannelInboundHandlerAdapter {
        private final ByteBuffer view;
        private final int base;
        private final int capacity;
        private long header;
        private int headerBytes;
        private int remaining;
        private int written;

        /** @param dst where payloads go, or null when this side's frames carry none */
        Frames(ByteBuffer dst) {
            this.view = dst == null ? null : dst.duplicate();
            this.base = dst == null ? 0 : dst.position();
            this.capacity = dst == null ? 0 : dst.remaining();
        }

        /** @return the payload length that follows {@code header}, 0 for none */
        abstract long payloadLength(long header);

        /** A whole frame arrived (its payload copied). */
        abstract void frame(ChannelHandlerContext ctx, long header);

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            try {
                while (in.isReadable()) {
                    if (remaining == 0) {
                        if (headerBytes == 0 && in.readableBytes() >= HEADER) {
                            header = in.readLong();
                        } else {
                            // A header split between two reads: gather it byte by byte.
                            while (headerBytes < HEADER && in.isReadable()) {
                                header = header << 8 | in.readUnsignedByte();
                                headerBytes++;
                            }
                            if (headerBytes < HEADER) {
                                return;
                            }
                            headerBytes = 0;
                        }
                        long payload = payloadLength(header);
                        if (payload < 0 || payload > capacity) {
                            throw new IllegalStateException("a frame of " + payload + " bytes for a "
                                + capacity + "-byte destination");
                        }
                        if (payload == 0) {
                            frame(ctx, header);
                            continue;
                        }
                        remaining = (int) payload;
                        written = 0;
                    }
                    int n = Math.min(remaining, in.readableBytes());
                    view.limit(base + written + n).position(base + written);
                    in.readBytes(view);
                    written += n;
                    remaining -= n;
                    if (remaining == 0) {
                        frame(ctx, header);
                    }
                }
            } finally {
                in.release();
            }
        }
    }

    /**
     * The server: copies each write into its destination and acknowledges it with the running
     * byte count; answers each read request with its source. Acknowledgements and replies are
     * flushed once per read from the socket, as a Netty server usually does.
     */
    static final class Server extends Frames {
        private final ByteBuf reply;
        private final int size;
        private long received;

        /**
         * @param dst   where writes go, or null when it serves reads
         * @param reply the frame it answers each read request with, or null when it serves writes
         * @param size  the bytes a read request asks for
         */
        Server(ByteBuffer dst, ByteBuf reply, int size) {
            super(dst);
            this.reply = reply;
            this.size = size;
        }

        @Override
        long payloadLength(long header) {
            return Math.max(0, header);
        }

        @Override
        void frame(ChannelHandlerContext ctx, long header) {
            if (header > 0) {
                received += header;
                ctx.write(ctx.alloc().ioBuffer(HEADER).writeLong(received));
            } else if (reply != null && header == -size) {
                ctx.write(reply.retainedDuplicate());
            } else {
                throw new IllegalStateException("an unexpected request " + header);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // the client sees the connection end and fails its batch
        }
    }

    /**
     * The client: runs a batch when told to, on its event loop, and counts acknowledgements
     * (writes; each must carry exactly the bytes sent so far) or replies (reads).
     */
    private static final class Client extends Frames {
        private final boolean read;
        private final boolean sync;
        private final int size;
        NettyLoopback.Pump pump;
        private long target;
        private long completed;
        private long moved;
        private CompletableFuture<Void> done;

        Client(ByteBuffer dst, boolean read, boolean sync, int size) {
            super(dst);
            this.read = read;
            this.sync = sync;
            this.size = size;
        }

        void start(long messages, CompletableFuture<Void> batch) {
            target = messages;
            completed = 0;
            done = batch;
            pump.add(sync ? 1 : messages);
        }

        @Override
        long payloadLength(long header) {
            if (!read) {
                return 0; // an acknowledgement is a header alone
            }
            if (header != size) {
                throw new IllegalStateException("a reply of " + header + " bytes to a read of " + size);
            }
            return size;
        }

        @Override
        void frame(ChannelHandlerContext ctx, long header) {
            if (done == null || completed == target) {
                throw new IllegalStateException("a completion with none outstanding");
            }
            if (!read && header != moved + size) {
                throw new IllegalStateException("acknowledged " + header + " bytes, sent " + (moved + size));
            }
            moved += size;
            if (++completed == target) {
                done.complete(null);
            } else if (sync) {
                pump.add(1);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(cause);
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            fail(new ClosedChannelException());
        }

        private void fail(Throwable cause) {
            if (done != null) {
                done.completeExceptionally(cause);
            }
        }
    }
}
