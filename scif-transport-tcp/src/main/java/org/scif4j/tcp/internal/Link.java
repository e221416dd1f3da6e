package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.util.internal.PlatformDependent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.channels.Selector;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One TCP connection between this node and a peer node. A node sends every SCIF frame for a
 * peer over the link it opened to that peer (its outbound link), so frames to one node keep
 * their order; on the links peers opened to it, it writes only link frames (handshake,
 * heartbeat, goodbye). Frames written before the handshake finished wait in {@code pending}
 * and go out in order when it does.
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
 * itself, without waking the event loop. Invariant: every write to the socket of an open
 * outbound link, direct or through Netty, happens under {@code writeLock}, and a direct write
 * starts only when {@code backlog} is false, i.e. Netty's outbound buffer was empty when the
 * last Netty write under the lock ended; so frames never interleave and keep their order. A
 * direct write the socket takes only in part leaves its rest in {@code partial}, which the next
 * drain writes before anything in {@code outgoing}: a frame another sender queued while the
 * direct write held the lock must not cut into it (on the wire: the rest, then that frame).
 * Links frames that bypass Link (HELLO, HELLO_ACK, AUTH, BYE, BYE_ACK) are written only
 * before {@link #markOpen} or after {@link #stopDirect}.
 *
 * <p><b>Reading while waiting.</b> On an open inbound link of the NIO transport (a
 * {@link LinkChannel}; the link that brings this node every SCIF frame of that peer), a user
 * thread that must wait for a frame (a blocked recv or send, an RMA_SYNC or fence wait) reads
 * the socket itself, in {@link #awaitReading}, rather than sleep until the event loop hands
 * the frame over: a round trip then costs one thread wake-up per direction, as plain Netty's,
 * not two. Invariant: the socket is read, and its frames dispatched, only by the holder of
 * {@code readLock}: the event loop takes it for each of its read loops (in
 * {@link LinkChannel}, released at the loop's end by {@link #eventLoopReadDone}), a user thread
 * for the whole of its wait; so frames are dispatched in stream order, by one thread at a time,
 * and the {@link FrameReader} keeps the stream's position across them. While {@code userMode}
 * is set the event loop stands aside: it refuses to read and takes the socket out of its
 * selector. It takes the link back once no user thread has read for {@value #TAKE_BACK_NANOS}
 * ns, so that frames nobody waits for (a peer's RMA_READ, its heartbeats, a connection request)
 * are served within a millisecond or two: the node's {@link TakeBackTimer} checks every
 * millisecond while the event loop stands aside, on its own thread, and wakes the event loop
 * only when a take-back is due (a task of the event loop's own made it poll its selector for
 * half of each millisecond, docs/decisions.md); a user thread
 * that hears nothing for {@value #IDLE_NANOS} ns hands the link back at once and sleeps on
 * its monitor as before (idle endpoints cost the event loop nothing).
 *
 * <p>{@link #unsentBytes} counts what waits in Link's queues and in Netty's outbound buffer: a
 * node that answers a peer's requests checks it, so that a peer that asks and never reads cannot
 * make this node buffer without bound (see TcpRma's read answers).
 */
final class Link {
    /** Null for a link made dead, never opened, while the node closes (Links.outbound). */
    final Channel channel;
    /** Whether this node opened the link. */
    final boolean outbound;
    /** The node at the other end: known up front when outbound, from its HELLO when inbound. */
    volatile int peerNode;
    /** The peer's incarnation (random per attachment), from the handshake. */
    volatile long peerIncarnation;
    /** Completes with this link when the handshake succeeded, or exceptionally when it failed. */
    final CompletableFuture<Link> opened = new CompletableFuture<>();
    /** Completes when the peer acknowledged our BYE, or the link closed. */
    final CompletableFuture<Void> goodbye = new CompletableFuture<>();

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
    /** Netty's outbound buffer may hold bytes: no direct write until a drain finds it empty. Guarded by writeLock. */
    private boolean backlog;
    /** The rest of a frame a direct write put only in part on the socket, or null. Guarded by writeLock. */
    private ByteBuf partial;
    /** What a waiter waits for: {@link #awaitReading} returns when its count moves. */
    interface Waiter {
        /** @return a number that moves whenever the waiter's condition may have changed */
        int changeCount();

        /** Records the link the waiter reads (null when it stops), for {@link #wakeReader}. */
        void parkedOn(Link link);
    }

    /** {@link #awaitReading}: the count moved. */
    static final int CHANGED = 0;
    /** {@link #awaitReading}: the thread was interrupted (its status is kept). */
    static final int INTERRUPTED = 1;
    /** {@link #awaitReading}: the deadline passed. */
    static final int TIMED_OUT = 2;
    /** {@link #awaitReading}: this thread cannot read the link now; wait on the monitor instead. */
    static final int UNAVAILABLE = 3;
    /** A user reader gone this long leaves the link to the event loop again. */
    static final long TAKE_BACK_NANOS = 1_000_000;
    /** A user reader that heard nothing this long hands the link back and sleeps on its monitor. */
    static final long IDLE_NANOS = 20_000_000;
    /** Bytes a user reader asks the socket for at a time: a whole payload frame. */
    private static final int READ_BYTES = 64 << 10;
    private static final Consumer<SelectionKey> IGNORE = k -> { };

    /** See the class comment: whoever reads the socket and dispatches its frames holds it. */
    private final ReentrantLock readLock = new ReentrantLock();
    /** Whether user threads read the socket and the event loop stands aside. Written under readLock. */
    private volatile boolean userMode;
    /** When the last user reader left (System.nanoTime), 0 while one reads. Written under readLock. */
    private volatile long awaySince;
    /** The user thread parked in {@code selector}, or null: the one {@link #wakeReader} wakes. */
    private volatile Thread reader;
    /** A user reader's own selector for the socket; opened on first use, closed when the link dies. Guarded by this. */
    private volatile Selector selector;
    /** Whether this is an NIO inbound link, which user threads may read once it is open. */
    private final boolean userCapable;
    /** Whether user threads may read this link: an open NIO inbound link. */
    private volatile boolean userReadable;
    /**
     * Whether the last read took everything the socket had (it did not fill its buffer), so a
     * user reader sleeps in its selector before it reads again. False after a read by the event
     * loop, whose last read is unknown here. Used under readLock.
     */
    private boolean drained;
    /** The user readers' read buffer, or null; see {@link #readOnce}. Used under readLock. */
    private ByteBuf readBuffer;
    /** Frames of this link and the stream position between them; used under readLock. */
    final FrameReader frames = new FrameReader();
    /** When a byte last came in (System.nanoTime): liveness, read by the heartbeat timer. */
    volatile long lastRead = System.nanoTime();
    /** Dispatches what a user reader reads; set when the link opens. */
    private volatile LinkHandler handler;
    /** The node's timer that takes the link back; null on an outbound link. */
    private final TakeBackTimer timer;
    /** The take-back check on {@code timer} while the event loop stands aside, or null. Event-loop confined. */
    private ScheduledFuture<?> takeBack;
    /** {@link #takeBackCheck}, for the event loop. */
    private final Runnable takeBackTask = this::takeBackCheck;
    /** Connections owing their peer an RMA_DONE at the end of this read batch. Used under readLock. */
    private final ArrayList<RmaServer> owingDones = new ArrayList<>();

    /** Guarded by this. */
    private final ArrayDeque<ByteBuf> pending = new ArrayDeque<>();
    /** Guarded by this. */
    private boolean open;
    /** Guarded by this. */
    private boolean dead;

    /**
     * @param timer the node's take-back timer; used (and required) only by an inbound NIO link,
     *              the kind user threads may read
     */
    Link(Channel channel, boolean outbound, int peerNode, TakeBackTimer timer) {
        this.channel = channel;
        this.outbound = outbound;
        this.peerNode = peerNode;
        this.timer = timer;
        this.userCapable = !outbound && channel instanceof LinkChannel && timer != null;
        if (userCapable) {
            ((LinkChannel) channel).link = this;
        }
    }

    /** Writes a frame, or queues it until the handshake is done; drops it once the link is dead. */
    void write(ByteBuf frame) {
        synchronized (this) {
            if (dead) {
                frame.release();
                return;
            }
            if (!open) {
                queuedBytes.addAndGet(frame.readableBytes());
                pending.add(frame);
                return;
            }
        }
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
            if (!direct || backlog || draining.get() || !outgoing.isEmpty()) {
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
     * Writes what the socket takes of {@code frame}: frames that point into registered windows
     * (a composite of headers and window slices) go in one gathering write.
     *
     * @return the bytes written
     */
    private long writeToSocket(ByteBuf frame) throws IOException {
        int r = frame.readerIndex();
        int n = frame.readableBytes();
        SocketChannel socket = ((LinkChannel) channel).socket();
        if (frame.nioBufferCount() == 1) {
            return socket.write(frame.internalNioBuffer(r, n));
        }
        return socket.write(frame.nioBuffers(r, n));
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

    /** No more direct writes: the link is saying goodbye with frames written around Link. */
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

    /** The handshake succeeded: flushes queued frames in order. Runs on the link's event loop. */
    void markOpen() {
        synchronized (this) {
            if (dead) {
                return;
            }
            for (ByteBuf f; (f = dequeue(pending)) != null; ) {
                channel.write(f, channel.voidPromise());
            }
            open = true;
        }
        channel.flush();
        if (outbound && channel instanceof LinkChannel) {
            writeLock.lock();
            try {
                backlog = !nettyBufferEmpty();
                direct = true;
            } finally {
                writeLock.unlock();
            }
        }
        opened.complete(this);
    }

    /**
     * The handshake of this inbound link finished: user threads may read it from now on, with
     * {@code h} dispatching what they read. Called on the event loop, before any SCIF frame.
     */
    void allowUserReads(LinkHandler h) {
        if (userCapable) {
            handler = h;
            userReadable = true;
        }
    }

    /** @return whether the handshake finished and the link has not died */
    synchronized boolean isOpen() {
        return open && !dead;
    }

    /** The link is gone: releases queued frames and fails whoever waits for it. */
    void markDead(String reason) {
        Selector s;
        synchronized (this) {
            dead = true;
            userReadable = false;
            for (ByteBuf f; (f = dequeue(pending)) != null; ) {
                f.release();
            }
            s = selector;
            selector = null;
        }
        if (s != null) {
            try {
                s.close(); // a user reader parked in it wakes and finds the link dead
            } catch (IOException e) {
                // nothing more to release
            }
        }
        opened.completeExceptionally(new IllegalStateException(reason));
        goodbye.complete(null);
    }

    @Override
    public String toString() {
        return "Link[" + (outbound ? "to" : "from") + " node " + peerNode + " "
            + (channel == null ? "(never opened)" : channel.remoteAddress()) + "]";
    }

    // ---------------------------------------------------------------- reading while waiting

    /**
     * Reads and dispatches this link's frames from the calling thread until {@code w}'s count
     * moves from {@code seen}. The caller holds no monitor (dispatching takes endpoints' monitors).
     *
     * @param deadline System.nanoTime to give up at, or 0 for none
     * @return {@link #CHANGED}, {@link #INTERRUPTED}, {@link #TIMED_OUT} or {@link #UNAVAILABLE}
     */
    int awaitReading(Waiter w, int seen, long deadline) {
        if (!userReadable || !readLock.tryLock()) {
            return UNAVAILABLE; // another thread reads: it dispatches our frame too
        }
        try {
            Selector s = selector();
            if (s == null) {
                return UNAVAILABLE;
            }
            userMode = true;
            awaySince = 0;
            reader = Thread.currentThread();
            w.parkedOn(this);
            return readUntilChanged(w, seen, deadline, s);
        } catch (IOException | ClosedSelectorException | java.nio.channels.CancelledKeyException e) {
            handBack(); // the link is going: the event loop reads its end and retires it
            return UNAVAILABLE;
        } finally {
            w.parkedOn(null);
            reader = null;
            if (userMode) {
                awaySince = System.nanoTime();
            }
            readLock.unlock();
        }
    }

    /** The loop of {@link #awaitReading}; holds readLock. */
    private int readUntilChanged(Waiter w, int seen, long deadline, Selector s) throws IOException {
        long heard = System.nanoTime();
        while (w.changeCount() == seen) {
            if (drained) {
                // The last read left the socket empty: sleep until it is readable rather than
                // pay a read that finds nothing (a round trip's answer is never there yet).
                long now = System.nanoTime();
                if (Thread.currentThread().isInterrupted()) {
                    return INTERRUPTED;
                }
                if (deadline != 0 && now - deadline >= 0) {
                    return TIMED_OUT;
                }
                long left = IDLE_NANOS - (now - heard);
                if (left <= 0 || !userReadable) {
                    handBack();
                    return UNAVAILABLE;
                }
                if (deadline != 0) {
                    left = Math.min(left, deadline - now);
                }
                s.select(IGNORE, Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
            int n = readOnce();
            if (n < 0) {
                handBack(); // the peer closed: the event loop reads the end of the stream too
                return UNAVAILABLE;
            }
            // A read that did not fill the buffer took all the socket had (a full one may have
            // left more: read again at once).
            drained = n < READ_BYTES;
            if (n > 0) {
                heard = System.nanoTime();
            }
        }
        return CHANGED;
    }

    /**
     * Reads what the socket has (one buffer) and dispatches it. The buffer is reused while
     * nothing else refers to it (its count back at 1: every frame of the last read was consumed,
     * none kept by a receive queue or by a frame spanning reads), so a reader that polls, and a
     * round trip whose frames arrive whole, allocate nothing; otherwise it is left to whoever
     * still holds it and a fresh one is taken.
     *
     * @return bytes read, -1 at the end (or once the link stopped being readable)
     */
    private int readOnce() throws IOException {
        if (!userReadable) {
            return -1; // endOfStream released readBuffer: nothing may take a new one
        }
        ByteBuf buf = readBuffer;
        if (buf == null || buf.refCnt() != 1) {
            if (buf != null) {
                buf.release(); // our share: frames of it are still held elsewhere
            }
            buf = channel.alloc().directBuffer(READ_BYTES);
            readBuffer = buf;
        }
        buf.clear();
        int n = buf.writeBytes(((LinkChannel) channel).socket(), READ_BYTES);
        if (n <= 0) {
            return n;
        }
        lastRead = System.nanoTime();
        handler.readByUser(buf.retain()); // the reader releases that share
        flushDones();
        return n;
    }

    /** @return the user readers' selector, the socket registered with it; null once the link is dead */
    private Selector selector() throws IOException {
        Selector s = selector;
        if (s != null) {
            return s;
        }
        synchronized (this) {
            if (dead) {
                return null;
            }
            s = Selector.open();
            ((LinkChannel) channel).socket().register(s, SelectionKey.OP_READ);
            selector = s;
            return s;
        }
    }

    /** The event loop reads again from now on. Holds readLock. */
    private void handBack() {
        userMode = false;
        awaySince = 0;
        channel.read(); // on the event loop: puts the socket back into its selector
    }

    /** Wakes the user thread parked reading this link, unless it is the caller. Any thread. */
    void wakeReader() {
        Thread r = reader;
        if (r != null && r != Thread.currentThread()) {
            Selector s = selector;
            if (s != null) {
                s.wakeup();
            }
        }
    }

    /**
     * The event loop is about to read the socket (see {@link LinkChannel}).
     *
     * @return true when it may, holding readLock until {@link #eventLoopReadDone}; false when a
     *         user thread reads: the event loop stands aside until {@link #takeBackCheck}
     */
    boolean eventLoopRead() {
        if (readLock.isHeldByCurrentThread()) {
            return true;
        }
        if (!userMode && readLock.tryLock()) {
            if (!userMode) {
                drained = false;
                return true;
            }
            readLock.unlock();
        }
        if (takeBack == null) {
            takeBack = timer.every(this::watchReaders, TAKE_BACK_NANOS); // null once the node closed
        }
        return false;
    }

    /** @return whether a user thread reads this link now */
    boolean hasReader() {
        return reader != null;
    }

    /** @return whether the event loop stands aside (its read interest stays off) */
    boolean userMode() {
        return userMode;
    }

    /** The event loop's read loop ended: the RMA_DONEs it owes go out, and readLock is released. */
    void eventLoopReadDone() {
        if (readLock.isHeldByCurrentThread()) {
            flushDones();
            readLock.unlock();
        } else if (!userCapable) {
            flushDones(); // only the event loop ever reads this link
        }
    }

    /**
     * The take-back timer's check, every {@value #TAKE_BACK_NANOS} ns on the {@link TakeBackTimer}'s
     * thread while the event loop stands aside: hands {@link #takeBackCheck} to the event loop
     * once the user readers left (or a reader handed the link back). It only reads volatile
     * state; the take-back itself happens on the event loop under readLock.
     */
    private void watchReaders() {
        if (userMode) {
            long away = awaySince;
            if (away == 0 || System.nanoTime() - away < TAKE_BACK_NANOS) {
                return; // a reader reads, or left only just now
            }
        }
        try {
            channel.eventLoop().execute(takeBackTask);
        } catch (RejectedExecutionException e) {
            // The node's event loop stopped: the link is gone with it.
        }
    }

    /**
     * Takes the link back from user readers that left. Runs on the event loop, handed there by
     * {@link #watchReaders}.
     *
     * <p>Invariant: this runs under readLock (a tryLock: a reader that holds it is back and
     * reads for everyone), so no reader can set {@code userMode} between the check and the
     * socket's return to the selector (one once could, and a link nobody read went silent).
     * While {@code userMode} is set, the event loop either keeps the socket in its selector (its
     * next read is refused and starts the timer) or the timer runs; the timer is cancelled only
     * here, after the socket went back. So a link whose readers left is always read again.
     */
    private void takeBackCheck() {
        if (takeBack == null) {
            return; // taken back already (the timer may hand over more than one check)
        }
        if (userMode) {
            long away = awaySince;
            if (away == 0 || System.nanoTime() - away < TAKE_BACK_NANOS) {
                return;
            }
        }
        if (!readLock.tryLock()) {
            return; // a reader is back
        }
        try {
            if (userMode && awaySince == 0) {
                return; // a reader came back meanwhile
            }
            userMode = false;
            channel.read(); // on this event loop, now: the socket goes back into its selector
            takeBack.cancel(false);
            takeBack = null;
        } finally {
            readLock.unlock();
        }
    }

    /** {@code rma} owes its peer an RMA_DONE, sent at the end of this read batch. Under readLock. */
    void oweDone(RmaServer rma) {
        owingDones.add(rma);
    }

    /** Sends every RMA_DONE owed: a read batch ended. Under readLock. */
    private void flushDones() {
        for (int i = 0; i < owingDones.size(); i++) {
            owingDones.get(i).flushDone();
        }
        owingDones.clear();
    }

    /**
     * The channel closed: no user thread reads it any more. Called on the event loop.
     *
     * @return bytes of a frame the stream ended inside, 0 when it ended between frames
     */
    int endOfStream() {
        userReadable = false;
        wakeReader();
        readLock.lock(); // a user reader leaves at once: woken, it finds the link unreadable
        try {
            int cut = frames.pending();
            frames.release();
            if (readBuffer != null) {
                readBuffer.release();
                readBuffer = null;
            }
            return cut;
        } finally {
            readLock.unlock();
        }
    }
}
