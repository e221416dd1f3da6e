package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.util.internal.PlatformDependent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * How frames go out on a {@link Link}: held until the handshake finished, then batched for the
 * event loop, or written by the sending thread itself.
 *
 * <p>Writes are batched: a frame joins {@code outgoing} (a lock-free queue, so a sender never
 * waits for the event loop), and one drain task on the link's event loop writes everything
 * queued and flushes once. A stream of sends therefore costs one event-loop wake-up and one
 * flush (one syscall) per batch rather than per frame. Invariant: whenever {@code outgoing} is
 * non-empty, {@code draining} is true and a drain task is scheduled or running; the drain
 * clears the flag before it looks at the queue a last time, so no frame is stranded.
 *
 * <p>Direct writes: on an open outbound link, a sender that finds nothing queued anywhere (no
 * drain pending, nothing left in Netty's outbound buffer) writes its frame to the socket
 * itself ({@link DirectSocket}: NIO's socket channel, or epoll's file descriptor), without
 * waking the event loop. Invariant: every write to the socket of an open
 * outbound link, direct or through Netty, happens under {@code writeLock}, and a direct write
 * starts only when {@code backlog} is false, i.e. Netty's outbound buffer was empty when the
 * last Netty write under the lock ended; so frames never interleave and keep their order. A
 * direct write the socket takes only in part leaves its rest in {@code partial}, which the next
 * drain writes before anything in {@code outgoing}: a frame another sender queued while the
 * direct write held the lock must not cut into it (on the wire: the rest, then that frame).
 * Links frames that bypass Link (HELLO, HELLO_ACK, AUTH, BYE, BYE_ACK) are written only
 * before {@link #startDirect} or after {@link #stopDirect}.
 *
 * <p>On epoll the socket is a bare file descriptor, whose number the kernel hands to the next
 * file opened once Netty closed it: a direct write racing with the close could land in another
 * file. NIO's channel guards its own close; here the link does. Invariant: an epoll outbound
 * link's channel closes only after {@link #stopDirect}, which waits for a direct write in
 * progress (writeLock) and ends them: every close of ours goes through the pipeline, whose
 * first handler ({@link Links}' close guard) stops direct writes before passing the close on;
 * Netty closes such a channel on its own only through events it fires first (its options
 * ALLOW_HALF_CLOSURE on and AUTO_CLOSE off turn the end of the input and a failed write into
 * events, and a read error comes as exceptionCaught), on which {@link LinkHandler} closes
 * through the pipeline; and the node's event loops shut down (closing what is left without
 * the pipeline) only after {@link Links#close} closed every link through it.
 *
 * <p>A send's DATA frames written directly ({@link #writeDataDirect}) go to the socket from
 * the caller's own buffer, the frames' headers from {@code dataHeaders}, up to 16 frames (1 MiB)
 * in one gathering write: the bytes are copied once (into the kernel), not twice, and a 1 MiB
 * send costs one system call (on loopback one wake-up of the receiver), not 16. Only what the
 * socket does not take is copied into a buffer, as {@code partial} and frames queued behind
 * it, before the call returns, so the caller may reuse its buffer at once as before.
 *
 * <p>{@link #unsentBytes} counts what waits here and in Netty's outbound buffer: a node that
 * answers a peer's requests checks it, so that a peer that asks and never reads cannot make this
 * node buffer without bound (see RmaServer's read answers).
 */
final class LinkWriter {
    /** DATA frames one gathering write of {@link #writeDataDirect} takes at most: 1 MiB of payload. */
    static final int DATA_FRAMES = 16;
    /** A DATA frame's length prefix, type and header. */
    private static final int DATA_FRAME_HEADER = Wire.FRAME_HEADER + ConnectionWire.DATA_HEADER;
    private final Channel channel;
    /** Frames written before the handshake finished, in order. Guarded by the Link's monitor. */
    private final ArrayDeque<ByteBuf> pending = new ArrayDeque<>();
    /** Frames for the event loop to write, in order; multi-producer, the event loop consumes. */
    private final Queue<ByteBuf> outgoing = PlatformDependent.newMpscQueue();
    /** Readable bytes of the frames in {@code outgoing} and {@code pending}, and of {@code partial}. */
    private final AtomicLong queuedBytes = new AtomicLong();
    /** Whether a drain task is scheduled or running. */
    private final AtomicBoolean draining = new AtomicBoolean();
    private final Runnable drain = this::drain;
    /** Serialises every write to the socket once direct writes are on; see the class comment. */
    private final ReentrantLock writeLock = new ReentrantLock();
    /** Whether senders may write to the socket themselves. Written under writeLock. */
    private volatile boolean direct;
    /** The socket senders write, set when direct writes start. Guarded by writeLock. */
    private DirectSocket socket;
    /** Netty's outbound buffer may hold bytes: no direct write until a drain finds it empty. Guarded by writeLock. */
    private boolean backlog;
    /** The rest of a frame a direct write put only in part on the socket, or null. Guarded by writeLock. */
    private ByteBuf partial;
    /**
     * The length prefix, type and header of each DATA frame of one gathering write of
     * {@link #writeDataDirect}, {@value #DATA_FRAME_HEADER} bytes each, and a view of each
     * (made once). Guarded by writeLock, as are the fields after it.
     */
    private final ByteBuffer dataHeaders = ByteBuffer.allocateDirect(DATA_FRAMES * DATA_FRAME_HEADER);
    private final ByteBuffer[] headerViews = new ByteBuffer[DATA_FRAMES];
    /**
     * Views of the buffer of the last send of more than one frame ({@code payloadViewsOf}),
     * through which frames 1 and later of a gathering write point into it (frame 0 uses the
     * buffer itself): made again only when a send comes from another buffer, so that a sender
     * reusing its buffer allocates nothing. They keep that one buffer reachable until the next
     * such send or the link's end; they are used only while a send of that very buffer runs.
     */
    private final ByteBuffer[] payloadViews = new ByteBuffer[DATA_FRAMES];
    private ByteBuffer payloadViewsOf;
    /** The headers and payloads of one gathering write of {@link #writeDataDirect}; cleared after it. */
    private final ByteBuffer[] dataGather = new ByteBuffer[2 * DATA_FRAMES];
    /** The byte size of each frame of one {@link #writeFramesDirect}. Guarded by writeLock. */
    private long[] frameSizes = new long[16];

    /** @param channel the link's channel, or null for a link that never opened */
    LinkWriter(Channel channel) {
        this.channel = channel;
        for (int k = 0; k < DATA_FRAMES; k++) {
            headerViews[k] = dataHeaders.duplicate();
        }
    }

    /** Keeps {@code frame} until the handshake finished. The caller holds the Link's monitor. */
    void hold(ByteBuf frame) {
        queuedBytes.addAndGet(frame.readableBytes());
        pending.add(frame);
    }

    /** The handshake finished: hands the held frames to Netty, in order (unflushed). The caller holds the Link's monitor. */
    void writeHeld() {
        for (ByteBuf f; (f = dequeue(pending)) != null; ) {
            channel.write(f, channel.voidPromise());
        }
    }

    /** The link died: drops the held frames. The caller holds the Link's monitor. */
    void releaseHeld() {
        for (ByteBuf f; (f = dequeue(pending)) != null; ) {
            f.release();
        }
    }

    /** Writes a frame of an open link: directly when nothing is queued before it, else through a drain. */
    void send(ByteBuf frame) {
        if (direct && writeDirect(frame)) {
            return;
        }
        queue(frame);
        if (draining.compareAndSet(false, true)) {
            try {
                channel.eventLoop().execute(drain);
            } catch (RejectedExecutionException e) {
                // The node's event loop has shut down: nothing will ever write these.
                releaseOutgoing();
            }
        }
    }

    /**
     * Writes {@code frame} to the socket from this thread when nothing is queued before it.
     *
     * @return true when the frame is taken care of (written, or its rest handed to Netty)
     */
    private boolean writeDirect(ByteBuf frame) {
        if (!writeLock.tryLock()) {
            return false; // another writer is busy: queue behind it
        }
        try {
            if (!direct || backlog || draining.get() || !outgoing.isEmpty() || !takes(frame)) {
                return false;
            }
            long written;
            try {
                written = writeToSocket(frame);
            } catch (IOException e) {
                // The link broke: Netty's read side notices and retires it; the frame is moot.
                frame.release();
                channel.close();
                return true;
            }
            if (written == frame.readableBytes()) {
                frame.release();
                return true;
            }
            // The socket is full: the rest goes through Netty, which waits for it to drain. Not
            // onto `outgoing`: frames queued there while we held the lock must come after it.
            frame.skipBytes((int) written);
            backlog = true;
            partial = frame;
            queuedBytes.addAndGet(frame.readableBytes());
            if (draining.compareAndSet(false, true)) {
                try {
                    channel.eventLoop().execute(drain);
                } catch (RejectedExecutionException e) {
                    releaseOutgoing(); // the event loop has shut down: the rest will never go
                }
            }
            return true;
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Writes DATA frames of the next bytes of {@code src} for the peer's endpoint {@code dst}
     * to the socket from this thread, straight from {@code src}, when nothing is queued before
     * them: up to {@value #DATA_FRAMES} frames (a send's batch of 1 MiB) in one gathering write,
     * as {@link #writeFramesDirect} does for an RMA. A frame the socket takes in part has its rest
     * copied into {@code partial} (see the class comment), and ends the call. Allocates nothing
     * unless the socket fills, or a send of more than one frame comes from another buffer than
     * the last one did (see {@code payloadViewsOf}).
     *
     * @param src    a direct buffer; its position moves past the bytes taken care of
     * @param credit credit the first frame gives back (ConnectionWire.DATA_CREDIT)
     * @param n      bytes of {@code src} to send, at most its remaining bytes
     * @return bytes of {@code src} taken care of (on the socket, or in {@code partial}); the
     *         caller frames and sends the rest, which then queues behind them. When it is 0 the
     *         first frame, and with it {@code credit}, is still the caller's to send
     */
    int writeDataDirect(ByteBuffer src, long dst, int credit, int n) {
        if (!direct || !writeLock.tryLock()) {
            return 0;
        }
        int start = src.position();
        int limit = src.limit();
        int taken = 0;
        try {
            if (!direct || backlog || draining.get() || !outgoing.isEmpty()) {
                return 0;
            }
            while (taken < n) {
                int batch = writeDataBatch(src, start + taken, dst, taken == 0 ? credit : 0, n - taken);
                if (batch < 0) {
                    taken += -batch - 1; // the socket filled: the batch's bytes taken care of
                    return taken;
                }
                taken += batch;
            }
            return n;
        } catch (IOException e) {
            // The link broke: Netty's read side notices and retires it; the bytes are moot.
            channel.close();
            taken = n;
            return n;
        } finally {
            for (int i = 0; i < dataGather.length; i++) {
                dataGather[i] = null; // it must not keep the caller's buffer
            }
            src.limit(limit);
            src.position(start + taken);
            writeLock.unlock();
        }
    }

    /**
     * One gathering write of the DATA frames of {@code src}'s bytes from {@code from}, at most
     * {@code n} and {@value #DATA_FRAMES} frames: frame 0's payload is {@code src} itself, the
     * others' are views of it; frame 0 gives back {@code credit}. Under writeLock; moves
     * {@code src}'s limit (the caller restores it and sets its position).
     *
     * @return the bytes sent when the socket took every frame; else {@code -taken - 1}, where
     *         {@code taken} counts the bytes of the frames taken whole and of the frame taken in
     *         part, whose rest is then in {@code partial}
     */
    private int writeDataBatch(ByteBuffer src, int from, long dst, int credit, int n) throws IOException {
        int frames = Math.min(DATA_FRAMES, (n + Wire.MAX_DATA - 1) / Wire.MAX_DATA);
        if (frames > 1 && payloadViewsOf != src) {
            for (int k = 1; k < DATA_FRAMES; k++) {
                payloadViews[k] = src.duplicate();
            }
            payloadViewsOf = src;
        }
        int at = from;
        long total = 0;
        for (int k = 0; k < frames; k++) {
            int c = Math.min(Wire.MAX_DATA, from + n - at);
            int h = k * DATA_FRAME_HEADER;
            // ConnectionWire.dataHeader's layout: length prefix, type, the peer endpoint's wire id, credit
            dataHeaders.putInt(h, 1 + ConnectionWire.DATA_HEADER + c).put(h + 4, Wire.DATA).putLong(h + 5, dst)
                .putInt(h + 5 + ConnectionWire.DATA_CREDIT, k == 0 ? credit : 0);
            ByteBuffer header = headerViews[k];
            header.limit(h + DATA_FRAME_HEADER).position(h);
            ByteBuffer payload = k == 0 ? src : payloadViews[k];
            payload.limit(at + c).position(at); // in this order: the limit may be below at (a previous batch's)
            dataGather[2 * k] = header;
            dataGather[2 * k + 1] = payload;
            total += DATA_FRAME_HEADER + c;
            at += c;
        }
        long written = socket.write(dataGather, 0, 2 * frames);
        if (written == total) {
            return at - from;
        }
        int taken = 0;
        for (int k = 0; k < frames; k++) {
            ByteBuffer payload = dataGather[2 * k + 1];
            int c = payload.limit() - (from + taken); // this frame's payload bytes
            long size = DATA_FRAME_HEADER + c;
            if (written >= size) {
                written -= size;
                taken += c;
                continue;
            }
            if (written > 0) {
                keepRest(dataGather[2 * k], payload, payload.remaining());
                taken += c;
            }
            break;
        }
        return -taken - 1;
    }

    /**
     * Writes frames gathered from {@code parts}, frame {@code k} being the parts before
     * {@code frameEnds[k]} and after the previous frame's (a frame: its prefix and header, then
     * the pieces of its payload), to the socket from this thread in one gathering write when
     * nothing is queued before them, as {@link #writeDataDirect} does for DATA: a whole RMA of
     * many frames costs one syscall rather than one per frame (which on loopback also woke the
     * receiver once per frame). The frame the socket takes in part has its rest copied into
     * {@code partial}; the frames after it are the caller's to send. The parts' positions move.
     * Allocates nothing unless the socket fills.
     *
     * @return how many frames, from the first, are taken care of (on the socket, or the last
     *         one's rest in {@code partial}): 0 when nothing was written; the caller sends the
     *         frames after them with {@link #send}, which queues them behind
     */
    int writeFramesDirect(ByteBuffer[] parts, int[] frameEnds, int frames) {
        if (!direct || !writeLock.tryLock()) {
            return 0;
        }
        try {
            if (!direct || backlog || draining.get() || !outgoing.isEmpty()) {
                return 0;
            }
            for (int i = 0; !socket.writesHeap() && i < frameEnds[frames - 1]; i++) {
                if (!parts[i].isDirect()) {
                    return 0;
                }
            }
            if (frameSizes.length < frames) {
                frameSizes = new long[frames];
            }
            long total = 0;
            for (int k = 0, i = 0; k < frames; k++) {
                long size = 0;
                for (; i < frameEnds[k]; i++) {
                    size += parts[i].remaining();
                }
                frameSizes[k] = size;
                total += size;
            }
            long written;
            try {
                written = socket.write(parts, 0, frameEnds[frames - 1]);
            } catch (IOException e) {
                channel.close(); // the link broke: Netty's read side notices and retires it
                return frames;
            }
            if (written == total) {
                return frames;
            }
            int k = 0; // the first frame not taken whole (written < total)
            while (written >= frameSizes[k]) {
                written -= frameSizes[k];
                k++;
            }
            if (written == 0) {
                return k; // frame k was not begun: it and the rest are the caller's, queued behind nothing
            }
            ByteBuf b = channel.alloc().directBuffer((int) (frameSizes[k] - written));
            for (int i = k == 0 ? 0 : frameEnds[k - 1]; i < frameEnds[k]; i++) {
                b.writeBytes(parts[i]);
            }
            keep(b);
            return k + 1;
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * The socket took a DATA frame in part: the rest of its header and the rest of its payload
     * ({@code left} bytes at {@code src}'s position, which moves past them) become
     * {@code partial}, for the drain to write first. Under writeLock.
     */
    private void keepRest(ByteBuffer header, ByteBuffer src, int left) {
        ByteBuf rest = channel.alloc().directBuffer(header.remaining() + left);
        rest.writeBytes(header);
        src.limit(src.position() + left);
        rest.writeBytes(src);
        keep(rest);
    }

    /** The rest of a frame the socket took in part: the drain writes it first. Under writeLock. */
    private void keep(ByteBuf rest) {
        backlog = true;
        partial = rest;
        queuedBytes.addAndGet(rest.readableBytes());
        if (draining.compareAndSet(false, true)) {
            try {
                channel.eventLoop().execute(drain);
            } catch (RejectedExecutionException e) {
                releaseOutgoing(); // the event loop has shut down: the rest will never go
            }
        }
    }

    /**
     * Writes what the socket takes of {@code frame}: frames that point into registered windows
     * (a composite of headers and window slices) go in one gathering write.
     *
     * @return the bytes written
     */
    private long writeToSocket(ByteBuf frame) throws IOException {
        int r = frame.readerIndex();
        int n = frame.readableBytes();
        if (frame.nioBufferCount() == 1) {
            return socket.write(frame.internalNioBuffer(r, n));
        }
        ByteBuffer[] parts = frame.nioBuffers(r, n);
        return socket.write(parts, 0, parts.length);
    }

    /** @return whether the socket takes {@code frame}'s memory as it is (epoll: direct buffers only). Under writeLock. */
    private boolean takes(ByteBuf frame) {
        return socket.writesHeap() || frame.isDirect();
    }

    private void queue(ByteBuf frame) {
        queuedBytes.addAndGet(frame.readableBytes());
        outgoing.offer(frame);
    }

    /** @return the polled frame, no longer counted as queued, or null */
    private ByteBuf dequeue(Queue<ByteBuf> q) {
        ByteBuf f = q.poll();
        if (f != null) {
            queuedBytes.addAndGet(-f.readableBytes());
        }
        return f;
    }

    /**
     * @return bytes given to this link that have not reached the socket yet: queued here, or in
     *         Netty's outbound buffer. Any thread; a moment's view.
     */
    long unsentBytes() {
        ChannelOutboundBuffer b = channel == null ? null : channel.unsafe().outboundBuffer();
        return queuedBytes.get() + (b == null ? 0 : b.totalPendingWriteBytes());
    }

    /**
     * No more direct writes, and none in progress once this returns: the link is saying goodbye
     * with frames written around Link, or its channel is about to close (on epoll, before its
     * descriptor closes; see the class comment).
     */
    void stopDirect() {
        writeLock.lock();
        try {
            direct = false;
        } finally {
            writeLock.unlock();
        }
    }

    /** Writes every queued frame and flushes once. Runs on the link's event loop. */
    private void drain() {
        writeLock.lock();
        try {
            boolean wrote = false;
            if (partial != null) {
                queuedBytes.addAndGet(-partial.readableBytes());
                channel.write(partial, channel.voidPromise());
                partial = null;
                wrote = true;
            }
            for (ByteBuf f; (f = dequeue(outgoing)) != null; ) {
                channel.write(f, channel.voidPromise());
                wrote = true;
            }
            if (wrote) {
                channel.flush();
            }
            backlog = !nettyBufferEmpty();
        } finally {
            writeLock.unlock();
        }
        draining.set(false);
        // A frame offered after the last poll but before the flag cleared would be stranded:
        // whoever sees it first schedules the next drain (the writer's CAS, or this one).
        if (!outgoing.isEmpty() && draining.compareAndSet(false, true)) {
            channel.eventLoop().execute(drain);
        }
    }

    /** @return whether Netty has written everything given to it. Call on the event loop. */
    private boolean nettyBufferEmpty() {
        ChannelOutboundBuffer b = channel.unsafe().outboundBuffer();
        return b == null || b.isEmpty();
    }

    private void releaseOutgoing() {
        writeLock.lock(); // reentrant: writeDirect may hold it
        try {
            if (partial != null) {
                queuedBytes.addAndGet(-partial.readableBytes());
                partial.release();
                partial = null;
            }
        } finally {
            writeLock.unlock();
        }
        for (ByteBuf f; (f = dequeue(outgoing)) != null; ) {
            f.release();
        }
        draining.set(false);
    }

    /**
     * Senders may write to the socket themselves from now on: an open outbound link, on NIO or
     * epoll (another kind of channel keeps every write on the event loop). Runs on the event loop.
     */
    void startDirect() {
        DirectSocket s = DirectSocket.of(channel);
        if (s != null) {
            startDirect(s);
        }
    }

    /**
     * Senders may write {@code s}, the socket of this link's channel, themselves from now on
     * (see {@link #startDirect()}; tests give their own socket).
     */
    void startDirect(DirectSocket s) {
        writeLock.lock();
        try {
            if (!channel.isOpen()) {
                return; // closed meanwhile: stopDirect may have run already
            }
            socket = s;
            backlog = !nettyBufferEmpty();
            direct = true;
        } finally {
            writeLock.unlock();
        }
    }
}
