package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.io.IOException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Who reads a {@link Link}'s socket: its event loop, or a user thread while it waits.
 *
 * <p>On an open inbound link of the NIO transport (a {@link LinkChannel}; the link that brings
 * this node every SCIF frame of that peer), a user thread that must wait for a frame (a blocked
 * recv or send, an RMA_SYNC or fence wait) reads the socket itself, in {@link #awaitReading},
 * rather than sleep until the event loop hands the frame over: a round trip then costs one
 * thread wake-up per direction, as plain Netty's, not two. Invariant: the socket is read, and
 * its frames dispatched, only by the holder of {@code readLock}: the event loop takes it for
 * each of its read loops (in {@link LinkChannel}, released at the loop's end by
 * {@link #eventLoopReadDone}), a user thread for the whole of its wait; so frames are
 * dispatched in stream order, by one thread at a time, and the {@link FrameReader} keeps the
 * stream's position across them. While {@code userMode} is set the event loop stands aside: it
 * refuses to read and takes the socket out of its selector. It takes the link back once no user
 * thread has read for {@value #TAKE_BACK_NANOS} ns, so that frames nobody waits for (a peer's
 * RMA_READ, its heartbeats, a connection request) are served within a millisecond or two: the
 * node's {@link TakeBackTimer} checks every millisecond while the event loop stands aside, on
 * its own thread, and wakes the event loop only when a take-back is due (a task of the event
 * loop's own made it poll its selector for half of each millisecond, docs/decisions.md); a user
 * thread that hears nothing for {@value #IDLE_NANOS} ns hands the link back at once and sleeps
 * on its monitor as before (idle endpoints cost the event loop nothing). A user thread whose
 * read drained the socket right after it had work (its wait began, or a read brought bytes)
 * reads it again for its wait mode's {@link SpinPolicy#readSpinNanos} before it sleeps in its
 * own selector; an idle wait therefore costs one such spin, then nothing.
 */
final class LinkReader {
    /** What a waiter waits for: {@link #awaitReading} returns when its count moves. */
    interface Waiter {
        /** @return a number that moves whenever the waiter's condition may have changed */
        int changeCount();

        /** Records the link the waiter reads (null when it stops), for {@link #wakeReader}. */
        void parkedOn(LinkReader reader);
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
    /** The size of a user reader's read buffer: several payload frames, as the event loop's reads. */
    private static final int READ_BYTES = 256 << 10;
    /** A user reader reads on into its buffer's free tail while it has this much room. */
    private static final int MIN_ROOM = 64 << 10;
    /**
     * Read buffers a user reader keeps. It reads on into the free tail of the current one, so
     * that a frame spanning reads lies in one buffer, not in many (see FrameReader, adjoining
     * bytes), and a buffer is cleared for reuse once nothing else holds part of it. With one
     * buffer, taken afresh whenever a frame in progress or a receive queue still held part of
     * it, a stream of 16 KiB recvs took a buffer from the allocator per read, and on a user
     * thread (no thread cache) the pool made and zeroed a new 4 MiB chunk for most of them: a
     * third of the receiving thread's time (counted in a loop of 16 KiB send/recv between two
     * JVMs: 361-525 µs of receiving CPU per MiB before, 183-201 after, with FrameReader's
     * compaction; 1.7-2.4 GB/s before, 2.9-3.1 after).
     */
    private static final int READ_BUFFERS = 4;
    /** Reads the event loop makes at most per turn on an open link, as Netty's read loop (16). */
    private static final int EVENT_LOOP_READS = 16;
    private static final Consumer<SelectionKey> IGNORE = k -> { };

    /** See the class comment: whoever reads the socket and dispatches its frames holds it. */
    private final ReentrantLock readLock = new ReentrantLock();
    /** Whether user threads read the socket and the event loop stands aside. Written under readLock. */
    private volatile boolean userMode;
    /** When the last user reader left (System.nanoTime), 0 while one reads. Written under readLock. */
    private volatile long awaySince;
    /** The user thread parked in {@code selector}, or null: the one {@link #wakeReader} wakes. */
    private volatile Thread readerThread;
    /** A user reader's own selector for the socket; opened on first use, closed when the link dies. Guarded by this. */
    private volatile Selector selector;
    /** Whether this is an NIO inbound link, which user threads may read once it is open. */
    private final boolean userCapable;
    /** Whether user threads may read this link: an open NIO inbound link. */
    private volatile boolean userReadable;
    /**
     * Whether this is an inbound link that only its event loop reads, through the pipeline
     * (Netty's epoll, whose channel lets no one else read its socket): once it is open, Netty's
     * read loop reads into these buffers ({@link #pipelineReadBuffer}) and the frames are cut
     * as a user reader's ({@link #pipelineRead}).
     */
    private final boolean pipelineCapable;
    /** Whether the event loop reads this open link into these buffers through the pipeline. Event-loop confined. */
    private boolean pipelineOwnReads;
    /**
     * Where Netty's read into the buffer handed out by {@link #pipelineReadBuffer} began, or -1
     * when none is out. Event-loop confined.
     */
    private int pipelineStart = -1;
    /**
     * Whether the last read took everything the socket had (it did not fill its buffer), so a
     * user reader sleeps in its selector before it reads again. False after a read by the event
     * loop through the pipeline (before the link opened), whose last read is unknown here. Used
     * under readLock.
     */
    private boolean drained;
    /** The user readers' read buffers, null until first used; see {@link #readOnce}. Used under readLock. */
    private final ByteBuf[] readBuffers = new ByteBuf[READ_BUFFERS];
    /**
     * Per read buffer, a duplicate of it (made with it): the view through which each frame read
     * into it goes to the dispatcher, its indexes set around the frame (FrameReader.feedUser),
     * so that no buffer is made per frame. Used under readLock.
     */
    private final ByteBuf[] views = new ByteBuf[READ_BUFFERS];
    /** The slot of {@code readBuffers} read into now. Used under readLock. */
    private int current;
    /** Frames of this link and the stream position between them; used under readLock. */
    final FrameReader frames;
    /** The node's clock for liveness: System.nanoTime but in tests. */
    private final LongSupplier clock;
    /** When a byte last came in ({@code clock}): liveness, read by the heartbeat timer. */
    volatile long lastRead;
    /** Dispatches what a user reader reads; set when the link opens. */
    private volatile LinkHandler handler;
    /** The node's timer that takes the link back; null on an outbound link. */
    private final TakeBackTimer timer;
    /** The take-back check on {@code timer} while the event loop stands aside, or null. Event-loop confined. */
    private TakeBackTimer.Check takeBack;
    /** {@link #takeBackCheck}, for the event loop. */
    private final Runnable takeBackTask = this::takeBackCheck;
    /** {@link #watchReaders}, for the timer. */
    private final Runnable watchTask = this::watchReaders;
    /** Connections owing their peer an RMA_DONE at the end of this read batch. Used under readLock. */
    private final ArrayList<RmaServer> owingDones = new ArrayList<>();
    private final Channel channel;
    /** Whether the link died: no selector opens any more. Guarded by this. */
    private boolean closed;

    /**
     * @param timer the node's take-back timer; used (and required) only by an inbound NIO link,
     *              the kind user threads may read
     * @param clock the node's clock for liveness ({@link #lastRead})
     */
    LinkReader(Channel channel, boolean outbound, TakeBackTimer timer, LongSupplier clock) {
        this.channel = channel;
        this.timer = timer;
        this.clock = clock;
        this.lastRead = clock.getAsLong();
        this.frames = new FrameReader(clock);
        this.userCapable = !outbound && channel instanceof LinkChannel && timer != null;
        this.pipelineCapable = !outbound && channel != null && !(channel instanceof LinkChannel);
        if (userCapable) {
            ((LinkChannel) channel).reader = this;
        }
    }

    /**
     * The handshake of this inbound link finished: user threads may read it from now on, with
     * {@code h} dispatching what they read. Called on the event loop, before any SCIF frame.
     */
    void allowUserReads(LinkHandler h) {
        if (userCapable || pipelineCapable) {
            handler = h;
            if (userCapable) {
                userReadable = true;
            } else {
                pipelineOwnReads = true;
            }
            if (channel.config().getRecvByteBufAllocator() instanceof LinkReadSizes sizes) {
                sizes.attach(this); // no pooled buffer per read of the event loop's from now on
            }
        }
    }

    /** The link died: a user reader parked in the selector wakes and finds the link dead. */
    void linkDead() {
        Selector s;
        synchronized (this) {
            closed = true;
            userReadable = false;
            s = selector;
            selector = null;
        }
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // nothing more to release
            }
        }
    }

    /**
     * Reads and dispatches this link's frames from the calling thread until {@code w}'s count
     * moves from {@code seen}. The caller holds no monitor (dispatching takes endpoints' monitors).
     *
     * @param deadline System.nanoTime to give up at, or 0 for none
     * @param spinNanos how long a drained socket is read again before the thread sleeps in its
     *                  selector ({@link SpinPolicy#readSpinNanos}); 0 never to spin
     * @return {@link #CHANGED}, {@link #INTERRUPTED}, {@link #TIMED_OUT} or {@link #UNAVAILABLE}
     */
    int awaitReading(Waiter w, int seen, long deadline, long spinNanos) {
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
            readerThread = Thread.currentThread();
            w.parkedOn(this);
            return readUntilChanged(w, seen, deadline, spinNanos, s);
        } catch (IOException | ClosedSelectorException | java.nio.channels.CancelledKeyException e) {
            handBack(); // the link is going: the event loop reads its end and retires it
            return UNAVAILABLE;
        } finally {
            w.parkedOn(null);
            readerThread = null;
            if (userMode) {
                awaySince = System.nanoTime();
            }
            readLock.unlock();
        }
    }

    /** The loop of {@link #awaitReading}; holds readLock. */
    private int readUntilChanged(Waiter w, int seen, long deadline, long spinNanos, Selector s) throws IOException {
        long heard = System.nanoTime();
        // Whether the thread just had work (the call began, or its last read brought bytes): a
        // drained socket is then read again for spinNanos before the thread sleeps in its selector.
        boolean spin = spinNanos > 0;
        while (w.changeCount() == seen) {
            int n;
            if (drained) {
                // The last read left the socket empty (a round trip's answer is never there
                // yet): right after work, read it again for spinNanos (a wake-up from the
                // selector costs more than a loopback round trip on a VM), else sleep until it is
                // readable rather than pay reads that find nothing.
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
                if (spin) {
                    spin = false;
                    n = spinRead(w, seen, now + Math.min(spinNanos, left));
                } else {
                    s.select(IGNORE, Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                    n = readOnce();
                }
            } else {
                n = readOnce();
            }
            if (n < 0) {
                handBack(); // the peer closed: the event loop reads the end of the stream too
                return UNAVAILABLE;
            }
            if (n > 0) {
                heard = System.nanoTime();
                spin = spinNanos > 0;
            }
        }
        return CHANGED;
    }

    /**
     * Reads the drained socket again and again until bytes come, {@code w}'s count moves, the
     * thread is interrupted or {@code end} (System.nanoTime) passes. Holds readLock.
     *
     * @return bytes read, 0 for none, -1 at the end (see {@link #readOnce})
     */
    private int spinRead(Waiter w, int seen, long end) throws IOException {
        while (true) {
            int n = readOnce();
            if (n != 0 || w.changeCount() != seen || Thread.currentThread().isInterrupted()
                    || System.nanoTime() - end >= 0) {
                return n;
            }
            Thread.yield(); // a thread the answer needs may share this core (2 vCPUs: measured alike)
        }
    }

    /**
     * Whether the event loop reads this link into the user readers' buffers
     * ({@link #readByEventLoop}) rather than into buffers from Netty's allocator: once it is
     * open, as user threads may read it.
     */
    boolean eventLoopReadsOwnBuffers() {
        return userReadable;
    }

    /**
     * The event loop's read of an open link, from LinkChannel while it holds readLock: as a
     * user reader's ({@link #readOnce}), into these buffers, with the frames dispatched here and
     * not through the pipeline, until the socket is drained or {@value #EVENT_LOOP_READS} reads
     * were made. So that a frame is never a buffer made for it, whoever reads, and a payload
     * queued for the user ({@link FlowControl}) holds one of these buffers, which this reader
     * keeps: the user thread that takes it and lets it go never frees a buffer of the event
     * loop's (Netty's pool then makes an object on the freeing thread, one per payload).
     *
     * @return -1 at the end of the stream, else 0: nothing for the pipeline, whose buffer is unused
     */
    int readByEventLoop() throws IOException {
        drained = false;
        for (int i = 0; i < EVENT_LOOP_READS && userReadable && !drained; i++) {
            if (readOnce() < 0) {
                // The end of the stream; or the link died meanwhile (another thread), and the
                // pipeline's own read finds the end next time.
                return userReadable ? -1 : 0;
            }
        }
        return 0;
    }

    /**
     * Whether the event loop reads this open link into these buffers through Netty's pipeline:
     * its read loop then asks {@link #pipelineReadBuffer} for each buffer (LinkReadSizes), and
     * {@link LinkHandler#channelRead} hands each read back to {@link #pipelineRead}. Event loop.
     */
    boolean pipelineReadsOwnBuffers() {
        return pipelineOwnReads;
    }

    /**
     * The buffer Netty's read loop reads into next (at its writer index, up to its capacity),
     * with one reference more for Netty, which releases it (after a read of nothing) or hands
     * it to the pipeline: the current read buffer's free tail, after the bytes of a frame in
     * progress (as {@link #readOnce} does). Event loop; only it reads this link.
     */
    ByteBuf pipelineReadBuffer() {
        ByteBuf buf = readTarget();
        frames.prepareUserRead(buf);
        pipelineStart = buf.writerIndex();
        return buf.retain();
    }

    /**
     * Bytes the event loop's read loop read into the buffer from {@link #pipelineReadBuffer}:
     * the frames go to the dispatcher through its view (no buffer made per frame), and Netty's
     * reference is released.
     *
     * @return false when {@code read} is not that buffer (a read before the link opened): the
     *         caller feeds it as any other
     */
    boolean pipelineRead(ByteBuf read) {
        int start = pipelineStart;
        if (start < 0 || read != readBuffers[current]) {
            return false;
        }
        pipelineStart = -1;
        int n = read.writerIndex() - start;
        try {
            if (n > 0 && pipelineOwnReads) {
                handler.readByUser(read, views[current], start, n);
            }
        } finally {
            read.release();
        }
        return true;
    }

    /**
     * Reads what the socket has into the current read buffer's free tail and dispatches it
     * (FrameReader.feedUser: each frame through the buffer's view, no buffer made per frame).
     * The bytes before the tail may still be held by frames (a receive queue, a frame in
     * progress): only the tail is written, which nothing refers to. Sets {@code drained} when
     * the read took everything the socket had.
     *
     * @return bytes read, -1 at the end (or once the link stopped being readable)
     */
    private int readOnce() throws IOException {
        if (!userReadable) {
            return -1; // endOfStream released the buffers: nothing may take a new one
        }
        ByteBuf buf = readTarget();
        frames.prepareUserRead(buf); // the bytes of a frame in progress go right before the read
        int start = buf.writerIndex();
        int room = buf.writableBytes();
        int n = buf.writeBytes(((LinkChannel) channel).socket(), room);
        // A read that did not fill the room took all the socket had (a full one may have left
        // more: read again at once).
        drained = n < room;
        if (n <= 0) {
            return n;
        }
        lastRead = clock.getAsLong();
        handler.readByUser(buf, views[current], start, n);
        flushDones();
        return n;
    }

    /**
     * @return the buffer to read into, with {@value #MIN_ROOM} bytes of room after the bytes
     *         of a frame in progress (FrameReader.prepareUserRead puts them there unless they
     *         end at its tail already): the current one, cleared first when nothing else holds
     *         part of it (its count back at 1), while it has the room; else another nothing
     *         holds; else, when every one is still held, a fresh one in the place of one left
     *         to whoever holds it. Under readLock.
     */
    private ByteBuf readTarget() {
        int pending = frames.pending();
        ByteBuf cur = readBuffers[current];
        if (cur != null) {
            if (cur.refCnt() == 1) {
                cur.clear();
            }
            // Bytes held that continue at cur's tail need no room of their own.
            int move = frames.endsAt(cur) ? 0 : pending;
            if (cur.writableBytes() >= MIN_ROOM + move) {
                return cur;
            }
        }
        for (int k = 1; k <= READ_BUFFERS; k++) {
            int i = (current + k) % READ_BUFFERS;
            ByteBuf b = readBuffers[i];
            if (b == null || b.refCnt() == 1) {
                if (b == null) {
                    b = newReadBuffer(i);
                }
                current = i;
                return b.clear();
            }
        }
        int i = (current + 1) % READ_BUFFERS;
        readBuffers[i].release(); // our share: frames of it are still held elsewhere
        current = i;
        return newReadBuffer(i);
    }

    /** @return a new read buffer in slot {@code i}, with its view. Under readLock. */
    private ByteBuf newReadBuffer(int i) {
        ByteBuf b = channel.alloc().directBuffer(READ_BYTES, READ_BYTES);
        readBuffers[i] = b;
        views[i] = b.duplicate(); // shares b's count: whoever keeps a frame retains b through it
        return b;
    }

    /** @return the user readers' selector, the socket registered with it; null once the link is dead */
    private Selector selector() throws IOException {
        Selector s = selector;
        if (s != null) {
            return s;
        }
        synchronized (this) {
            if (closed) {
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
        Thread r = readerThread;
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
            takeBack = timer.every(watchTask, TAKE_BACK_NANOS); // null once the node closed
        }
        return false;
    }

    /** @return whether a user thread reads this link now */
    boolean hasReader() {
        return readerThread != null;
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
            takeBack.cancel();
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
        pipelineOwnReads = false;
        wakeReader();
        readLock.lock(); // a user reader leaves at once: woken, it finds the link unreadable
        try {
            int cut = frames.pending();
            frames.release();
            for (int i = 0; i < READ_BUFFERS; i++) {
                if (readBuffers[i] != null) {
                    readBuffers[i].release();
                    readBuffers[i] = null;
                    views[i] = null;
                }
            }
            return cut;
        } finally {
            readLock.unlock();
        }
    }
}
