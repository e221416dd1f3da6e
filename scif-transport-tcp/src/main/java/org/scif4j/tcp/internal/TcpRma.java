package org.scif4j.tcp.internal;

import static org.scif4j.spi.FenceSequence.reached;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.spi.Arguments;
import org.scif4j.spi.Call;
import org.scif4j.spi.FenceSequence;
import org.scif4j.spi.Pages;
import org.scif4j.spi.WindowSet;

/**
 * The RMA half of a connected tcp endpoint: its registered address space, a mirror of the
 * peer's, and the operations in flight between them (docs/tcp-protocol.md, "Registered memory
 * and RMA"). The owner of a window serves every access to it: a writeTo ships the bytes in
 * RMA_WRITE frames, a readFrom asks with RMA_READ and the owner answers with RMA_DATA.
 *
 * <p><b>Sequence.</b> Every operation (an RMA of at most {@link Wire#MAX_RMA} bytes, or a fence
 * signal) takes the next 31-bit sequence number under {@code submitLock}, and its frames leave
 * under that lock, so they reach the owner in sequence order. The owner serves its peer's frames
 * in arrival order on one event loop and answers (RMA_DONE, or the last RMA_DATA) in that order
 * on its own link back, so operations complete in sequence order and "completed" is one
 * counter. A fence mark is a sequence number, with bit 31 for the peer's.
 *
 * <p><b>Windows.</b> Registering sends WINDOW_ADD and waits for the peer's WINDOW_ACK, so that,
 * as in SCIF, the peer can use the window as soon as register returns. Unregistering marks the windows (new calls here fail with ENXIO), sends
 * WINDOW_REMOVE, and keeps the range until the peer's WINDOW_ACK: the peer sends that ack
 * only after the frames of every operation it resolved against the old mirror (it takes
 * {@code submitLock}, or leaves the ack to the holder, see {@link #deferred}), so the owner
 * serves each of them against the still-registered memory, as SCIF lets in-flight RMAs finish.
 * A frame that names memory the owner never registered to the peer is a protocol violation.
 *
 * <p><b>Threads and locks.</b> User threads take {@code submitLock}, then this object's monitor
 * to wait. Everything the peer sends for this endpoint is handled by the reader of the one link
 * it arrives on (its event loop, or a user thread that reads it while it waits, see
 * {@link Link}), which never blocks: it takes this monitor only to wake waiters and
 * {@code submitLock} only with tryLock. The endpoint's monitor may be held when
 * {@link #end} takes this one; nothing here takes the endpoint's monitor. No lost wake-up: a
 * waiter raises {@code waiters} and then reads the condition; the event loop writes the
 * condition and then reads {@code waiters} (all volatile), so one of them sees the other.
 */
final class TcpRma {
    /** Operations in flight at most (a power of two: the ring of pending operations). */
    private static final int MAX_OPS = 4096;
    /** RMA bytes in flight at most per endpoint: bounds what either side buffers for it. */
    private static final long MAX_BYTES = 16L << 20;
    /** Peer fence requests an owner keeps waiting at most; an honest peer has one at a time. */
    private static final int MAX_PEER_FENCES = 64;
    /** Windows per endpoint at most (each side's own, and so each mirror): a bound on a peer's claims. */
    static final int MAX_WINDOWS = 65536;
    /**
     * Unsent bytes one connection may leave for an honest peer: the answers to its RMAs (its
     * reads in flight, at most MAX_BYTES, and an RMA_DONE per operation) and our own RMAs to it
     * (MAX_BYTES), with room for the control frames. An owner's unsent answers are a subset of
     * the initiator's operations in flight: each was asked for and has not arrived.
     */
    static final long UNSENT_PER_CONNECTION = 2 * MAX_BYTES + (1L << 20);
    /** Unsent bytes allowed besides, for connections that ended with bytes still queued. */
    static final long UNSENT_SLACK = 64L << 20;
    /** How long unregister waits for the peer and for our own operations on the windows. */
    private static final long UNREGISTER_WAIT_NANOS = 10_000_000_000L;

    /** One of this side's windows. */
    static final class LocalWindow implements WindowSet.Window {
        final long offset;
        final long length;
        final int prot;
        /** The registered bytes; also keeps the memory alive while the window is referenced. */
        final ByteBuffer memory;
        /**
         * The same memory as a Netty buffer, whose slices go out as the payload of RMA_WRITE and
         * RMA_DATA frames without a copy. Never released: it does not own the memory (the
         * garbage collector frees that once nothing, queued slices included, refers to it).
         */
        final ByteBuf wrapped;
        volatile boolean unregistered;

        LocalWindow(long offset, long length, int prot, ByteBuffer memory) {
            this.offset = offset;
            this.length = length;
            this.prot = prot;
            this.memory = memory;
            this.wrapped = Unpooled.wrappedBuffer(memory);
        }

        @Override
        public long offset() {
            return offset;
        }

        @Override
        public long length() {
            return length;
        }

        @Override
        public boolean unregistered() {
            return unregistered;
        }
    }

    /** A window of the peer, as its WINDOW_ADD described it. */
    static final class PeerWindow implements WindowSet.Window {
        final long offset;
        final long length;
        final int prot;

        PeerWindow(long offset, long length, int prot) {
            this.offset = offset;
            this.length = length;
            this.prot = prot;
        }

        @Override
        public long offset() {
            return offset;
        }

        @Override
        public long length() {
            return length;
        }

        @Override
        public boolean unregistered() {
            return false;
        }
    }

    /** An operation in flight; the ring's slots are reused. */
    private static final class Op {
        static final int WRITE = 1;
        static final int READ = 2;
        static final int SIGNAL = 3;
        int kind;
        int length;
        int received;
        long localOffset;
        /** A v-variant's buffer (null: the local RAS at localOffset) and its position. */
        ByteBuffer buffer;
        int bufferPos;
        boolean signalLocal;
        long signalValue;
        /** submittedBytes after this operation. */
        long endBytes;
    }

    /** A peer's INIT_PEER fence waiting for our operations. Event-loop confined. */
    private static final class PeerFence {
        final int request;
        final int seq;
        final boolean signal;
        final int flags;
        final long localOffset;
        final long localValue;
        final long remoteOffset;
        final long remoteValue;

        PeerFence(int request, int seq, boolean signal, int flags, long localOffset, long localValue,
                  long remoteOffset, long remoteValue) {
            this.request = request;
            this.seq = seq;
            this.signal = signal;
            this.flags = flags;
            this.localOffset = localOffset;
            this.localValue = localValue;
            this.remoteOffset = remoteOffset;
            this.remoteValue = remoteValue;
        }
    }

    private final TcpEndpoint endpoint;
    private final TcpNode node;
    private final int peerNode;
    private final long peerIncarnation;
    private final long peerWireId;
    private final long timeoutNanos;
    final WindowSet<LocalWindow> local = new WindowSet<>();
    final WindowSet<PeerWindow> peer = new WindowSet<>();

    // ---- initiator
    private final ReentrantLock submitLock = new ReentrantLock();
    /** Guarded by submitLock; mirrored in {@link #submittedView} for readers without it. */
    private int submitted;
    private volatile int submittedView;
    /** Guarded by submitLock. */
    private long submittedBytes;
    private final Op[] ops = new Op[MAX_OPS];
    /** Written by the event loop only. */
    private volatile int completed;
    private volatile long completedBytes;
    /** WINDOW_ACKs waiting for the end of the operation whose sender holds submitLock. */
    private final Queue<ByteBuf> deferred = new ConcurrentLinkedQueue<>();
    /**
     * The local words our INIT_PEER signals asked the peer to have stored ({offset, value}), in
     * request order: the peer answers them in that order with SIGNAL_STORE, and a store nobody
     * asked for is refused.
     */
    private final Queue<long[]> expectedStores = new ConcurrentLinkedQueue<>();
    /** Serialises this side's INIT_PEER requests: one is in flight at a time. */
    private final ReentrantLock requestLock = new ReentrantLock();
    /** Written under requestLock; volatile: the event loop matches answers against it. */
    private volatile int request;
    private volatile int answered;
    private volatile int answer;

    // ---- owner: window changes (WINDOW_ADD, WINDOW_REMOVE) and the peer's acks of them
    /** Guarded by the monitor of local. */
    private int windowChange;
    private volatile int windowAcked;

    // ---- serving the peer's operations: confined to the reader of the link they come on (the
    // holder of its read lock: the event loop, or a user thread reading while it waits)
    private int served;
    /**
     * The last write or signal served whose RMA_DONE is owed (when {@code owing}). One RMA_DONE answers
     * every operation up to it: owed ones go out when the link's read batch ends
     * ({@link Link#oweDone}), or before any other answer to the peer, so that answers
     * keep the order of the operations.
     */
    private int owedDone;
    private boolean owing;
    private final ArrayDeque<PeerFence> peerFences = new ArrayDeque<>();
    /** The link the frame being served came on; its reader sends the RMA_DONE owed. */
    private Link servingLink;

    /**
     * Both ends on the host (as SCIF's host loopback): every RMA is complete when its call
     * returns, marks are {@link Arguments#HOST_LOOPBACK_MARK}, and signals are stored before
     * fenceSignal returns. Over the link that means waiting for each answer, as RMA_SYNC does.
     */
    private final boolean hostLoopback;

    private volatile int waiters;
    private volatile boolean ended;
    private volatile boolean closed;

    TcpRma(TcpEndpoint endpoint, TcpNode node, int peerNode, long peerIncarnation, long peerWireId) {
        this.endpoint = endpoint;
        this.node = node;
        this.peerNode = peerNode;
        this.peerIncarnation = peerIncarnation;
        this.peerWireId = peerWireId;
        this.hostLoopback = Arguments.hostLoopback(node.selfId(), peerNode);
        this.timeoutNanos = node.options().timeoutMillis() * 1_000_000L;
    }

    /** @return whether a frame on {@code link} comes from this connection's peer */
    boolean fromPeer(Link link) {
        return !ended && link.peerNode == peerNode && link.peerIncarnation == peerIncarnation;
    }

    private void send(ByteBuf frame) {
        node.links().send(peerNode, frame);
    }

    // ---------------------------------------------------------------- windows

    long register(ByteBuffer region, long offset, int prot, int flags, Call call) throws ScifException {
        long length = region.remaining();
        LocalWindow w;
        int id;
        long at;
        synchronized (local) {
            checkLive(call);
            if (local.size() >= MAX_WINDOWS) {
                throw ScifException.of(call.text(), Errno.ENOMEM, "an endpoint has at most " + MAX_WINDOWS
                    + " windows on tcp");
            }
            if ((flags & Scif.MAP_FIXED) != 0) {
                LocalWindow taken = local.overlapping(offset, length);
                if (taken != null) {
                    throw ScifException.of(call.text(), Errno.EADDRINUSE, "[" + offset + ", " + (offset + length)
                        + ") overlaps the window at " + taken.offset + " (" + taken.length + " bytes"
                        + (taken.unregistered ? ", unregistered and not yet released by the peer" : "") + ")");
                }
                at = offset;
            } else {
                at = local.highestFree(length);
                if (at < 0) {
                    throw ScifException.of(call.text(), Errno.ENOMEM, "no free range of " + length
                        + " bytes in the registered address space");
                }
            }
            w = new LocalWindow(at, length, prot, region.slice());
            local.add(w);
            // Under the monitor of local: window changes reach the peer in the order of their ids.
            id = ++windowChange;
            send(Wire.windowAdd(node.alloc(), peerWireId, id, at, length, prot));
        }
        // SCIF tells the peer synchronously: when register returns, the peer can use the window.
        long deadline = System.nanoTime() + timeoutNanos;
        while (!reached(windowAcked, id)) {
            int r = ended ? -1 : spinOrBlock(deadline);
            if (r != 0 && !reached(windowAcked, id)) {
                synchronized (local) { // the peer may know it already: take it back there too
                    w.unregistered = true;
                    if (!ended) {
                        send(Wire.windowRemove(node.alloc(), peerWireId, ++windowChange, at, length));
                    }
                    local.remove(w);
                }
                throw failure(r, call, "waiting for the peer to learn of the window");
            }
        }
        return at;
    }

    void unregister(long offset, long length, Call call) throws ScifException {
        List<LocalWindow> run;
        int id;
        synchronized (local) {
            checkLive(call);
            run = local.wholeRun(offset, length, call);
            for (LocalWindow w : run) {
                w.unregistered = true;
            }
            id = ++windowChange;
            send(Wire.windowRemove(node.alloc(), peerWireId, id, offset, length));
        }
        // Our own operations that resolved these windows before they were marked hold sequence
        // numbers up to `mark` (resolution happens under submitLock): they finish first.
        submitLock.lock();
        int mark = submitted;
        unlockSubmit();
        long deadline = System.nanoTime() + UNREGISTER_WAIT_NANOS;
        while (!ended && !(reached(windowAcked, id) && reached(completed, mark))) {
            if (block(deadline) != 0) {
                break; // interrupted or out of time: the windows go now, late frames find none
            }
        }
        for (LocalWindow w : run) {
            local.remove(w);
        }
    }

    // ---------------------------------------------------------------- RMA

    /**
     * One RMA. {@code buffer} is null for readFrom/writeTo (the local side is the local RAS at
     * {@code localOffset}), else the v-variant's buffer, from its position.
     */
    void rma(boolean write, long localOffset, ByteBuffer buffer, long length, long remoteOffset, int flags,
             Call call) throws ScifException {
        lockSubmit(call);
        int last;
        try {
            checkLive(call);
            // Every check before any byte moves: a failing call transfers nothing (as in SCIF).
            if (buffer == null) {
                checkLocal(localOffset, length, write ? Scif.PROT_READ : Scif.PROT_WRITE, call);
            }
            checkPeer(remoteOffset, length, write ? Scif.PROT_WRITE : Scif.PROT_READ, call);
            for (long done = 0; done < length; ) {
                int n = (int) Math.min(Wire.MAX_RMA, length - done);
                boolean lastPart = done + n == length;
                Op op = reserve(n, call);
                int seq = submitted;
                int bufferPos = buffer == null ? 0 : buffer.position() + (int) done;
                op.kind = write ? Op.WRITE : Op.READ;
                op.length = n;
                op.received = 0;
                op.localOffset = localOffset + done;
                op.buffer = write ? null : buffer; // a v-write's bytes are copied now: the buffer is the caller's again
                op.bufferPos = bufferPos;
                publish(seq);
                if (write && !sendWrite(buffer, bufferPos, localOffset + done, n, seq, remoteOffset + done,
                    lastPart && (flags & Scif.RMA_ORDERED) != 0)) {
                    // Only close takes windows away under a call that checked them (unregister
                    // waits for the calls before it): the connection is ending.
                    throw ScifException.of(call.text(), Errno.EINTR, "the endpoint was closed while the RMA was"
                        + " being queued");
                } else if (!write) {
                    send(Wire.rmaRead(node.alloc(), peerWireId, seq, remoteOffset + done, n));
                }
                done += n;
            }
            last = submitted;
        } finally {
            unlockSubmit();
        }
        // A CPU copy is complete when the call returns (scif_writeto(3)): over tcp that is a round trip.
        if (hostLoopback || (flags & (Scif.RMA_SYNC | Scif.RMA_USECPU)) != 0) {
            awaitCompleted(last, call);
        }
    }

    /**
     * Ships an RMA_WRITE operation of {@code length} bytes, from {@code buffer} at
     * {@code bufferPos} or (buffer null) the local RAS at {@code localOffset}, in frames of at
     * most {@link Wire#MAX_DATA}, as one buffer: one write (one syscall when the socket takes
     * it) rather than one per frame. From the local RAS the frames point into the window's
     * memory (no copy, see {@link #windowFrames}); a v-variant's buffer is the caller's again
     * when the call returns, so its bytes are copied. Holds submitLock.
     *
     * @return false when a local window went away meanwhile (the endpoint closed): nothing sent
     */
    private boolean sendWrite(ByteBuffer buffer, int bufferPos, long localOffset, int length, int seq,
                           long remoteOffset, boolean ordered) {
        if (buffer == null) {
            ByteBuf frames = windowFrames(true, seq, localOffset, length, remoteOffset, ordered);
            if (frames == null) {
                return false;
            }
            send(frames);
            return true;
        }
        ByteBuf frames = node.alloc().directBuffer(Wire.framedSize(length, Wire.RMA_WRITE_HEADER));
        for (int off = 0; off < length; ) {
            int n = Math.min(Wire.MAX_DATA, length - off);
            Wire.rmaWriteHeader(frames, peerWireId, seq, remoteOffset + off, writeFlags(off + n == length, ordered), n);
            RmaCopy.fromBuffer(buffer, bufferPos + off, frames, n);
            off += n;
        }
        send(frames);
        return true;
    }

    private static int writeFlags(boolean last, boolean ordered) {
        return last ? Wire.RMA_LAST | (ordered ? Wire.RMA_ORDERED : 0) : 0;
    }

    /**
     * The RMA_WRITE (write) or RMA_DATA frames of operation {@code seq} carrying {@code length}
     * bytes of the local RAS at {@code localOffset}, composed without copying: each frame is its
     * header (all headers share one small buffer) followed by slices of the windows' memory, and
     * the socket takes them in one gathering write. The bytes leave when the socket takes them,
     * not when this returns: a writeTo's source must stay unchanged until the operation
     * completes (RMA_SYNC, or a fence), as SCIF asks of a DMA's source; an answered read sends
     * what the window holds as the socket takes it.
     *
     * @return the frames, or null when a window went away since the range was checked (only
     *         close does that)
     */
    private ByteBuf windowFrames(boolean write, int seq, long localOffset, int length, long remoteOffset,
                                 boolean ordered) {
        int count = (length + Wire.MAX_DATA - 1) / Wire.MAX_DATA;
        int header = 4 + 1 + (write ? Wire.RMA_WRITE_HEADER : Wire.RMA_DATA_HEADER);
        ByteBuf headers = node.alloc().directBuffer(count * header);
        CompositeByteBuf frames = node.alloc().compositeDirectBuffer(Integer.MAX_VALUE);
        WindowSet.Snapshot<LocalWindow> s = local.snapshot();
        try {
            for (int off = 0; off < length; ) {
                int n = Math.min(Wire.MAX_DATA, length - off);
                boolean last = off + n == length;
                int at = headers.writerIndex();
                if (write) {
                    Wire.rmaWriteHeader(headers, peerWireId, seq, remoteOffset + off, writeFlags(last, ordered), n);
                } else {
                    Wire.rmaDataHeader(headers, peerWireId, seq, last ? Wire.RMA_LAST : 0, n);
                }
                frames.addComponent(true, headers.retainedSlice(at, header));
                if (!addWindowSlices(s, frames, localOffset + off, n)) {
                    frames.release();
                    return null;
                }
                off += n;
            }
            return frames;
        } finally {
            headers.release(); // the frames hold their slices of it
        }
    }

    /**
     * Appends to {@code frames} slices of the windows' memory covering {@code n} bytes of the
     * local RAS at {@code offset}; the range was checked.
     *
     * @return false when a window went away since (only close does that)
     */
    private static boolean addWindowSlices(WindowSet.Snapshot<LocalWindow> s, CompositeByteBuf frames, long offset,
                                           int n) {
        while (n > 0) {
            LocalWindow w = s.at(s.floor(offset));
            if (w == null || w.last() < offset) {
                return false; // closed since the range was checked: its windows are gone
            }
            int c = (int) Math.min(n, w.last() - offset + 1);
            frames.addComponent(true, w.wrapped.retainedSlice((int) (offset - w.offset), c));
            offset += c;
            n -= c;
        }
        return true;
    }

    /**
     * Makes operation {@code seq} visible to the event loop: a volatile write after its slot is
     * filled, which the event loop reads (in {@link #head}) before it reads the slot. Its
     * answer can only come after its frames leave, which is after this.
     */
    private void publish(int seq) {
        submittedView = seq;
    }

    /**
     * Copies {@code n} bytes of {@code f} into the local RAS at {@code offset}; bytes for a
     * window that is gone (an unregister that gave up waiting) are dropped.
     */
    private void copyToLocal(ByteBuf f, long offset, int n) {
        WindowSet.Snapshot<LocalWindow> s = local.snapshot();
        while (n > 0) {
            LocalWindow w = offset < 0 ? null : s.at(s.floor(offset));
            if (w == null || w.last() < offset) {
                f.skipBytes(n);
                return;
            }
            int c = (int) Math.min(n, w.last() - offset + 1);
            RmaCopy.toBuffer(f, w.memory, (int) (offset - w.offset), c);
            offset += c;
            n -= c;
        }
    }

    /** The local range must be registered windows without gaps, each with {@code prot}. */
    private void checkLocal(long offset, long length, int prot, Call call) throws ScifException {
        WindowSet.Snapshot<LocalWindow> s = local.snapshot();
        int i = offset < 0 ? -1 : s.floor(offset);
        long pos = offset;
        long remaining = length;
        while (remaining > 0) {
            LocalWindow w = s.at(i++);
            if (w == null || w.unregistered || w.offset > pos || w.last() < pos) {
                throw noWindow(call, "local", pos, offset, length);
            }
            if ((w.prot & prot) != prot) {
                throw noAccess(call, "local", w.offset, prot, w.prot);
            }
            long n = Math.min(remaining, w.last() - pos + 1);
            pos += n;
            remaining -= n;
        }
    }

    /** The peer's range must be windows it registered, without gaps, each with {@code prot}. */
    private void checkPeer(long offset, long length, int prot, Call call) throws ScifException {
        WindowSet.Snapshot<PeerWindow> s = peer.snapshot();
        int i = offset < 0 ? -1 : s.floor(offset);
        long pos = offset;
        long remaining = length;
        while (remaining > 0) {
            PeerWindow w = s.at(i++);
            if (w == null || w.offset > pos || w.last() < pos) {
                throw noWindow(call, "remote", pos, offset, length);
            }
            if ((w.prot & prot) != prot) {
                throw noAccess(call, "remote", w.offset, prot, w.prot);
            }
            long n = Math.min(remaining, w.last() - pos + 1);
            pos += n;
            remaining -= n;
        }
    }

    /**
     * Takes the next sequence number for an operation of {@code bytes}, waiting while
     * {@link #MAX_OPS} operations or {@link #MAX_BYTES} bytes are in flight. Holds submitLock.
     * The caller fills the returned slot and then calls {@link #publish}.
     */
    private Op reserve(int bytes, Call call) throws ScifException {
        int seq = FenceSequence.next(submitted);
        int mustComplete = (seq - MAX_OPS) & FenceSequence.MASK; // the slot's previous operation
        long mustCompleteBytes = submittedBytes + bytes - MAX_BYTES;
        long deadline = System.nanoTime() + timeoutNanos;
        while (!(reached(completed, mustComplete) && completedBytes >= mustCompleteBytes)) {
            int r = ended ? -1 : spinOrBlock(deadline);
            if (r != 0) {
                throw failure(r, call, "waiting for room among the RMAs in flight");
            }
        }
        Op op = ops[seq & (MAX_OPS - 1)];
        if (op == null) {
            op = new Op();
            ops[seq & (MAX_OPS - 1)] = op;
        }
        submittedBytes += bytes;
        op.endBytes = submittedBytes;
        submitted = seq; // the caller fills the slot, then publishes it
        return op;
    }

    private void lockSubmit(Call call) throws ScifException {
        lockForCall(submitLock, call, "another RMA of this endpoint was being queued");
    }

    /**
     * Takes {@code lock} for a call: at once when it is free, whatever the interrupt status (a
     * call that need not wait completes, as in the driver); interruptibly only when another
     * call holds it, which is a wait like any other (EINTR, the status kept).
     */
    private static void lockForCall(ReentrantLock lock, Call call, String holder) throws ScifException {
        if (lock.tryLock()) {
            return;
        }
        try {
            lock.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ScifException.of(call.text(), Errno.EINTR, "interrupted while " + holder);
        }
    }

    /**
     * Sends the acknowledgements left to the holder, then unlocks; see {@link #deferred}. Every
     * release of submitLock goes through here. Invariant: an ack is never stranded: whoever
     * offers one then tries the lock, and whoever releases the lock looks at the queue after
     * releasing it, so of an offer and a release that race, one of them sends the ack.
     */
    private void unlockSubmit() {
        do {
            sendDeferred();
            submitLock.unlock();
        } while (!deferred.isEmpty() && submitLock.tryLock());
    }

    private void sendDeferred() {
        for (ByteBuf f; (f = deferred.poll()) != null; ) {
            send(f);
        }
    }

    // ---------------------------------------------------------------- fences

    int fenceMark(int flags, Call call) throws ScifException {
        checkLive(call);
        if (hostLoopback) {
            return Arguments.HOST_LOOPBACK_MARK; // both sides' RMAs completed before their calls returned
        }
        if (flags == Scif.FENCE_INIT_SELF) {
            return submittedView;
        }
        return FenceSequence.peerMark(peerRequest(Wire.MARK_REQ, 0, 0, 0, 0, 0, call));
    }

    void fenceWait(int mark, Call call) throws ScifException {
        checkLive(call);
        if (hostLoopback) {
            Arguments.hostLoopbackFenceWait(mark, call);
        } else if (!FenceSequence.isPeerMark(mark)) {
            awaitCompleted(mark, call);
        } else {
            peerRequest(Wire.WAIT_REQ, FenceSequence.sequenceOf(mark), 0, 0, 0, 0, call);
        }
    }

    void fenceSignal(long localOffset, long localValue, long remoteOffset, long remoteValue, int flags, Call call)
        throws ScifException {
        boolean signalLocal = (flags & Scif.SIGNAL_LOCAL) != 0;
        boolean signalRemote = (flags & Scif.SIGNAL_REMOTE) != 0;
        if (hostLoopback) {
            // Nothing of either side is pending: store now, which over the link is an INIT_SELF
            // signal (the owner stores the remote word, then we the local one) and its answer.
            flags = flags & ~Scif.FENCE_INIT_PEER | Scif.FENCE_INIT_SELF;
        }
        if ((flags & Scif.FENCE_INIT_PEER) != 0) {
            checkLive(call);
            checkSignalTargets(signalLocal, localOffset, signalRemote, remoteOffset, call);
            peerRequest(Wire.PEER_SIGNAL, flags, localOffset, localValue, remoteOffset, remoteValue, call);
            return;
        }
        int seq;
        lockSubmit(call);
        try {
            checkLive(call);
            checkSignalTargets(signalLocal, localOffset, signalRemote, remoteOffset, call);
            Op op = reserve(0, call);
            op.kind = Op.SIGNAL;
            op.length = 0;
            op.buffer = null;
            op.signalLocal = signalLocal;
            op.localOffset = localOffset;
            op.signalValue = localValue;
            seq = submitted;
            publish(seq);
            send(Wire.signal(node.alloc(), peerWireId, seq, flags, remoteOffset, remoteValue));
        } finally {
            unlockSubmit();
        }
        if (hostLoopback) {
            awaitCompleted(seq, call); // both words are stored when fenceSignal returns
        }
    }

    /** A signalled word: 8 bytes inside one writable window (scif_fence_signal(3)). */
    private void checkSignalTargets(boolean signalLocal, long localOffset, boolean signalRemote, long remoteOffset,
                                    Call call) throws ScifException {
        if (signalLocal) {
            LocalWindow w = signalWindow(local.snapshot(), localOffset);
            if (w == null || w.unregistered) {
                throw ScifException.of(call.text(), Errno.ENXIO, "the 8 bytes at local offset " + localOffset
                    + " are not inside one registered window");
            }
            if ((w.prot & Scif.PROT_WRITE) == 0) {
                throw ScifException.of(call.text(), Errno.EPERM, "the local window at " + w.offset + " is not writable");
            }
        }
        if (signalRemote) {
            PeerWindow w = signalWindow(peer.snapshot(), remoteOffset);
            if (w == null) {
                throw ScifException.of(call.text(), Errno.ENXIO, "the 8 bytes at remote offset " + remoteOffset
                    + " are not inside one window of the peer");
            }
            if ((w.prot & Scif.PROT_WRITE) == 0) {
                throw ScifException.of(call.text(), Errno.EPERM, "the remote window at " + w.offset
                    + " is not writable");
            }
        }
    }

    private static <W extends WindowSet.Window> W signalWindow(WindowSet.Snapshot<W> s, long offset) {
        W w = offset < 0 || offset > Long.MAX_VALUE - 7 ? null : s.at(s.floor(offset));
        return w == null || w.last() < offset + 7 ? null : w;
    }

    /** Stores {@code value} at {@code offset} of the local RAS, if a window still holds it. */
    private void storeLocal(long offset, long value) {
        LocalWindow w = signalWindow(local.snapshot(), offset);
        if (w != null) {
            RmaCopy.store(w.memory, (int) (offset - w.offset), value);
        }
    }

    /**
     * Sends an INIT_PEER request and waits for the peer's answer, bounded by the watchdog.
     *
     * @return the answer (a MARK_ACK's mark; 0 for the others)
     */
    private int peerRequest(byte type, int a, long localOffset, long localValue, long remoteOffset, long remoteValue,
                            Call call) throws ScifException {
        lockForCall(requestLock, call, "waiting for another fence request");
        try {
            int id = ++request;
            ByteBuf f;
            switch (type) {
                case Wire.MARK_REQ:
                    f = Wire.endpointInt(node.alloc(), Wire.MARK_REQ, peerWireId, id);
                    break;
                case Wire.WAIT_REQ:
                    f = Wire.waitRequest(node.alloc(), peerWireId, id, a);
                    break;
                default:
                    if ((a & Scif.SIGNAL_LOCAL) != 0) {
                        expectedStores.add(new long[] {localOffset, localValue}); // before the peer can answer
                    }
                    f = Wire.peerSignal(node.alloc(), peerWireId, id, a, localOffset, localValue, remoteOffset,
                        remoteValue);
            }
            send(f);
            long deadline = System.nanoTime() + timeoutNanos;
            while (answered != id) {
                int r = ended ? -1 : spinOrBlock(deadline);
                if (r != 0 && answered != id) {
                    throw failure(r, call, "waiting for the peer's answer");
                }
            }
            return answer;
        } finally {
            requestLock.unlock();
        }
    }

    private void awaitCompleted(int seq, Call call) throws ScifException {
        long deadline = System.nanoTime() + timeoutNanos;
        while (!reached(completed, seq)) {
            int r = ended ? -1 : spinOrBlock(deadline);
            if (r != 0 && !reached(completed, seq)) {
                throw failure(r, call, "waiting for the marked RMAs");
            }
        }
    }

    // ---------------------------------------------------------------- waiting

    /** Spins for the node's budget, then blocks. @return 0 to look again, else why not (see {@link #failure}) */
    private int spinOrBlock(long deadline) {
        int seen = completed + answered + windowAcked;
        long budget = node.spin().budgetNanos();
        long end = System.nanoTime() + budget;
        while (budget > 0 && System.nanoTime() - end < 0) {
            if (completed + answered + windowAcked != seen || ended) {
                return 0;
            }
            Thread.yield();
        }
        return block(deadline);
    }

    /**
     * Sleeps until woken or {@code deadline}. The caller re-checks its condition, so a spurious
     * return costs one more look. @return 0, 1 interrupted, 2 out of time
     */
    private int block(long deadline) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            return 2;
        }
        int seen = changeCount();
        // Read the link the answers come on while waiting, if no other thread does (Link).
        Link in = ended ? null : node.links().inbound(peerNode);
        if (in != null) {
            int r = in.awaitReading(waiter, seen, deadline);
            if (r != Link.UNAVAILABLE) {
                return r == Link.INTERRUPTED ? 1 : 0; // out of time: the next look says so
            }
        }
        synchronized (this) {
            waiters++;
            try {
                if (changeCount() == seen) {
                    wait(Math.max(1, left / 1_000_000), 0);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            } finally {
                waiters--;
            }
        }
        return 0;
    }

    /** Wakes the waiters after a counter moved. */
    private void wake() {
        Link in = parked;
        if (in != null) {
            in.wakeReader();
        }
        if (waiters > 0) {
            synchronized (this) {
                notifyAll();
            }
        }
    }

    /** @return a count that moves with every counter a waiter waits on, and when the connection ends */
    private int changeCount() {
        return completed + answered + windowAcked + (ended ? 1 << 30 : 0);
    }

    /** What {@link Link#awaitReading} waits for on this connection's behalf. */
    private final Link.Waiter waiter = new Link.Waiter() {
        @Override
        public int changeCount() {
            return TcpRma.this.changeCount();
        }

        @Override
        public void parkedOn(Link link) {
            parked = link;
        }
    };
    /** The link a waiter reads while it waits, or null; see {@link Link#wakeReader}. */
    private volatile Link parked;

    private ScifException failure(int why, Call call, String what) {
        if (closed) {
            return ScifException.of(call.text(), Errno.EINTR, "the endpoint was closed while " + what);
        }
        if (ended) {
            return ScifException.of(call.text(), Errno.ECONNRESET, "the peer closed the connection or was lost while "
                + what);
        }
        if (why == 1) {
            return ScifException.of(call.text(), Errno.EINTR, "interrupted while " + what);
        }
        return ScifException.of(call.text(), Errno.ETIMEDOUT, "no progress within the watchdog period ("
            + timeoutNanos / 1_000_000 + " ms, option timeout=) while " + what);
    }

    private void checkLive(Call call) throws ScifException {
        if (closed) {
            throw ScifException.of(call.text(), Errno.EBADF, "the endpoint is closed");
        }
        if (ended) {
            throw ScifException.of(call.text(), Errno.ECONNRESET, "the peer closed the connection or was lost");
        }
    }

    /** The connection ended (the peer closed or was lost, or we closed): every waiter leaves. */
    void end(boolean closing) {
        closed |= closing;
        ended = true;
        wake();
        synchronized (this) {
            notifyAll();
        }
        peer.clear();
        if (closing) {
            local.clear();
        }
        for (ByteBuf f; (f = deferred.poll()) != null; ) {
            f.release();
        }
    }

    // ---------------------------------------------------------------- frames from the peer (event loop)

    /**
     * @param type an RMA frame type, its size already checked
     * @param f    its body after the endpoint id
     * @return what is wrong with the frame, or null when it was handled
     */
    String onFrame(Link link, byte type, ByteBuf f) {
        servingLink = link;
        switch (type) {
            case Wire.WINDOW_ADD: return onWindowAdd(f.readInt(), f.readLong(), f.readLong(), f.readInt());
            case Wire.WINDOW_REMOVE: return onWindowRemove(f.readInt(), f.readLong(), f.readLong());
            case Wire.WINDOW_ACK: {
                windowAcked = f.readInt();
                wake();
                return null;
            }
            case Wire.RMA_WRITE: return onWrite(f);
            case Wire.RMA_READ: return onRead(f.readInt(), f.readLong(), f.readInt());
            case Wire.RMA_DATA: return onData(f);
            case Wire.RMA_DONE: return onDone(f.readInt());
            case Wire.SIGNAL: return onSignal(f.readInt(), f.readInt(), f.readLong(), f.readLong());
            case Wire.MARK_REQ: {
                send(Wire.markAck(node.alloc(), peerWireId, f.readInt(), submittedView));
                return null;
            }
            case Wire.MARK_ACK: return onAnswer(f.readInt(), f.readInt());
            case Wire.WAIT_REQ: {
                int id = f.readInt();
                return queuePeerFence(new PeerFence(id, f.readInt(), false, 0, 0, 0, 0, 0));
            }
            case Wire.WAIT_ACK:
            case Wire.PEER_SIGNAL_ACK: return onAnswer(f.readInt(), 0);
            case Wire.PEER_SIGNAL: return onPeerSignal(f);
            case Wire.SIGNAL_STORE: return onSignalStore(f.readLong(), f.readLong());
            default: return "a frame of type " + Wire.name(type) + " that no RMA handler knows";
        }
    }

    private String onWindowAdd(int id, long offset, long length, int prot) {
        if (offset < 0 || length <= 0 || (offset & (Pages.PAGE - 1)) != 0 || (length & (Pages.PAGE - 1)) != 0
            || offset - 1 > Long.MAX_VALUE - length || (prot & ~(Scif.PROT_READ | Scif.PROT_WRITE)) != 0) {
            return "WINDOW_ADD of " + length + " bytes at " + offset + " with prot " + prot
                + "; expected whole pages inside [0, 2^63) and prot READ|WRITE at most";
        }
        if (peer.size() >= MAX_WINDOWS) {
            return "WINDOW_ADD beyond " + MAX_WINDOWS + " windows";
        }
        if (peer.overlapping(offset, length) != null) {
            return "WINDOW_ADD of [" + offset + ", +" + length + ") over a window the peer registered before";
        }
        peer.add(new PeerWindow(offset, length, prot));
        ackWindowChange(id);
        return null;
    }

    /**
     * The peer unregistered a range: it leaves the mirror now, and the ack follows the frames
     * of any operation that resolved it before (whoever holds submitLock sends it).
     */
    private String onWindowRemove(int id, long offset, long length) {
        for (PeerWindow w : peer.all()) {
            if (w.offset >= offset && w.last() <= offset + length - 1) {
                peer.remove(w);
            }
        }
        ackWindowChange(id);
        return null;
    }

    /**
     * Acknowledges window change {@code id}. The owner takes acks in id order, and a removal's
     * ack must follow the frames of operations resolved before it, so every ack goes the same
     * way: now if submitLock is free, else by its holder when its operation has left.
     */
    private void ackWindowChange(int id) {
        deferred.add(Wire.endpointInt(node.alloc(), Wire.WINDOW_ACK, peerWireId, id));
        // A user thread reading the link while it waits may hold submitLock itself (reserve):
        // its operation has not left yet, so the ack waits for its release like anyone's.
        if (!submitLock.isHeldByCurrentThread() && submitLock.tryLock()) {
            unlockSubmit();
        }
    }

    /** The next operation the peer may start. */
    private String checkSeq(byte type, int seq) {
        int expect = FenceSequence.next(served);
        return seq == expect ? null : Wire.name(type) + " for operation " + seq + "; expected " + expect;
    }

    /**
     * A read is answered only while the peer reads our answers: one that keeps asking but never
     * reads would make us buffer without bound (a read's answer is up to 1 MiB; writes and
     * signals are answered by one small RMA_DONE per batch). Pausing our reads instead could
     * deadlock two nodes that serve each other. Once per RMA_READ, not per frame.
     */
    private String checkPeerReads() {
        long unsent = node.links().unsentTo(peerNode);
        if (unsent > UNSENT_SLACK) {
            long allowed = node.unsentAllowance(peerNode);
            if (unsent > allowed) {
                return "RMA_READ while " + unsent + " bytes for node " + peerNode + " wait unsent: it does not"
                    + " read what it asked for (an honest peer leaves at most " + allowed + " with its connections)";
            }
        }
        return null;
    }

    /** @return whether this connection is live and with node {@code node} */
    boolean connectedTo(int node) {
        return !ended && peerNode == node;
    }

    private String onWrite(ByteBuf f) {
        int seq = f.readInt();
        long offset = f.readLong();
        int flags = f.readByte();
        int n = f.readableBytes();
        String wrong = checkSeq(Wire.RMA_WRITE, seq);
        if (wrong == null) {
            wrong = checkServed(offset, n, Scif.PROT_WRITE, "RMA_WRITE");
        }
        if (wrong != null) {
            return wrong;
        }
        if ((flags & Wire.RMA_ORDERED) != 0 && n > 64) {
            // RMA_ORDERED: the last cache line becomes visible only after every other byte.
            copyToLocal(f, offset, n - 64);
            RmaCopy.storeFence();
            copyToLocal(f, offset + n - 64, 64);
        } else {
            copyToLocal(f, offset, n);
        }
        if ((flags & Wire.RMA_LAST) != 0) {
            served = seq;
            owe(seq);
        }
        return null;
    }

    /** Operation {@code seq}, a write or a signal, is served: its RMA_DONE goes with the batch's. */
    private void owe(int seq) {
        if (!owing) {
            owing = true;
            servingLink.oweDone(this);
        }
        owedDone = seq;
    }

    /** Sends the RMA_DONE owed, if any. Runs on the event loop. */
    void flushDone() {
        if (owing) {
            owing = false;
            send(Wire.endpointInt(node.alloc(), Wire.RMA_DONE, peerWireId, owedDone));
        }
    }

    private String onRead(int seq, long offset, int length) {
        String wrong = checkSeq(Wire.RMA_READ, seq);
        if (wrong == null) {
            wrong = checkPeerReads();
        }
        if (wrong == null && (length <= 0 || length > Wire.MAX_RMA)) {
            wrong = "RMA_READ of " + length + " bytes; expected 1.." + Wire.MAX_RMA;
        }
        if (wrong == null) {
            wrong = checkServed(offset, length, Scif.PROT_READ, "RMA_READ");
        }
        if (wrong != null) {
            return wrong;
        }
        flushDone(); // the operations before this read are answered before it
        ByteBuf frames = windowFrames(false, seq, offset, length, 0, false);
        if (frames == null) {
            return null; // this endpoint closed meanwhile: the peer learns it from the close
        }
        send(frames); // one buffer, one write, no copy: see windowFrames
        served = seq;
        return null;
    }

    private String onSignal(int seq, int flags, long offset, long value) {
        String wrong = checkSeq(Wire.SIGNAL, seq);
        if (wrong == null && (flags & Scif.SIGNAL_REMOTE) != 0) {
            wrong = checkServed(offset, 8, Scif.PROT_WRITE, "SIGNAL");
            if (wrong == null && signalWindow(local.snapshot(), offset) == null) {
                wrong = "SIGNAL at " + offset + ", across two windows";
            }
        }
        if (wrong != null) {
            return wrong;
        }
        if ((flags & Scif.SIGNAL_REMOTE) != 0) {
            storeLocal(offset, value); // after every earlier operation of the peer: they were served first
        }
        served = seq;
        owe(seq);
        return null;
    }

    /**
     * A peer's access must stay inside windows we registered to it (unregistered ones included
     * until the peer acknowledged their removal) with the protection it needs: the peer checked
     * its mirror, so anything else is a lie.
     */
    private String checkServed(long offset, long length, int prot, String what) {
        WindowSet.Snapshot<LocalWindow> s = local.snapshot();
        int i = offset < 0 ? -1 : s.floor(offset);
        long pos = offset;
        long remaining = length;
        while (remaining > 0) {
            LocalWindow w = s.at(i++);
            if (w == null || w.offset > pos || w.last() < pos || (w.prot & prot) != prot) {
                return what + " of [" + offset + ", +" + length + ") outside the windows registered with "
                    + (prot == Scif.PROT_READ ? "PROT_READ" : "PROT_WRITE");
            }
            long n = Math.min(remaining, w.last() - pos + 1);
            pos += n;
            remaining -= n;
        }
        return null;
    }

    /** The head operation, which the peer's next answer must complete. */
    private Op head(int seq, int kind) {
        if (seq != (FenceSequence.next(completed)) || !reached(submittedView, seq)) {
            return null; // not the next operation, or one never submitted
        }
        Op op = ops[seq & (MAX_OPS - 1)];
        return op != null && op.kind == kind ? op : null;
    }

    private String onData(ByteBuf f) {
        int seq = f.readInt();
        int flags = f.readByte();
        int n = f.readableBytes();
        Op op = head(seq, Op.READ);
        if (op == null || op.received + n > op.length) {
            return "RMA_DATA for operation " + seq + " that is not the read in progress";
        }
        if (op.buffer != null) {
            RmaCopy.toBuffer(f, op.buffer, op.bufferPos + op.received, n);
        } else {
            copyToLocal(f, op.localOffset + op.received, n);
        }
        op.received += n;
        if ((flags & Wire.RMA_LAST) != 0) {
            if (op.received != op.length) {
                return "RMA_DATA ends operation " + seq + " after " + op.received + " of " + op.length + " bytes";
            }
            op.buffer = null;
            complete(seq, op);
        }
        return null;
    }

    /**
     * RMA_DONE answers every operation up to {@code seq}, each a write or a signal (reads before
     * it completed with their RMA_DATA, which came first). All of them are checked before any
     * completes, so that a lying frame changes nothing.
     */
    private String onDone(int seq) {
        if (!reached(submittedView, seq) || reached(completed, seq)) {
            return "RMA_DONE for operation " + seq + " that is not the write or signal in progress";
        }
        for (int s = FenceSequence.next(completed); ; s = FenceSequence.next(s)) {
            if (writeOrSignal(s) == null) {
                return "RMA_DONE for operation " + seq + " that is not the write or signal in progress"
                    + (s == seq ? "" : " (operation " + s + " before it is not one)");
            }
            if (s == seq) {
                break;
            }
        }
        for (int s = FenceSequence.next(completed); ; s = FenceSequence.next(s)) {
            Op op = writeOrSignal(s);
            if (op.kind == Op.SIGNAL && op.signalLocal) {
                storeLocal(op.localOffset, op.signalValue); // after every earlier operation completed
            }
            completedBytes = op.endBytes;
            completed = s;
            if (s == seq) {
                break;
            }
        }
        servePeerFences();
        wake();
        return null;
    }

    /** @return the write or signal {@code seq} in flight, or null */
    private Op writeOrSignal(int seq) {
        Op op = ops[seq & (MAX_OPS - 1)];
        return op != null && (op.kind == Op.WRITE || op.kind == Op.SIGNAL) ? op : null;
    }

    private void complete(int seq, Op op) {
        completedBytes = op.endBytes;
        completed = seq;
        servePeerFences();
        wake();
    }

    private String onAnswer(int id, int value) {
        if (id == request) { // a late answer to a request that gave up is dropped
            answer = value;
            answered = id;
            wake();
        }
        return null;
    }

    private String onPeerSignal(ByteBuf f) {
        int id = f.readInt();
        int flags = f.readInt();
        long localOffset = f.readLong();
        long localValue = f.readLong();
        long remoteOffset = f.readLong();
        long remoteValue = f.readLong();
        // The peer's remote word is ours; its local word is its own, which it checked.
        if ((flags & Scif.SIGNAL_REMOTE) != 0) {
            String wrong = checkServed(remoteOffset, 8, Scif.PROT_WRITE, "PEER_SIGNAL");
            if (wrong != null || signalWindow(local.snapshot(), remoteOffset) == null) {
                return wrong != null ? wrong : "PEER_SIGNAL at " + remoteOffset + ", across two windows";
            }
        }
        send(Wire.endpointInt(node.alloc(), Wire.PEER_SIGNAL_ACK, peerWireId, id)); // accepted (queued)
        return queuePeerFence(new PeerFence(-1, submittedView, true, flags, localOffset, localValue, remoteOffset,
            remoteValue));
    }

    /** The local word of one of our INIT_PEER signals, in request order; anything else is a lie. */
    private String onSignalStore(long offset, long value) {
        long[] expected = expectedStores.peek();
        if (expected == null || expected[0] != offset || expected[1] != value) {
            return "SIGNAL_STORE of " + value + " at " + offset + " that no INIT_PEER signal of ours asked for";
        }
        expectedStores.poll();
        LocalWindow w = signalWindow(local.snapshot(), offset);
        if (w != null && (w.prot & Scif.PROT_WRITE) != 0) { // checked at the request; the window may have gone
            RmaCopy.store(w.memory, (int) (offset - w.offset), value);
        }
        return null;
    }

    private String queuePeerFence(PeerFence p) {
        if (peerFences.size() >= MAX_PEER_FENCES) {
            return "more than " + MAX_PEER_FENCES + " fence requests waiting";
        }
        peerFences.add(p);
        servePeerFences();
        return null;
    }

    /** Answers the peer's fences whose operations of ours have completed, in order. */
    private void servePeerFences() {
        for (PeerFence p; (p = peerFences.peek()) != null && reached(completed, p.seq); ) {
            peerFences.poll();
            if (!p.signal) {
                send(Wire.endpointInt(node.alloc(), Wire.WAIT_ACK, peerWireId, p.request));
                continue;
            }
            if ((p.flags & Scif.SIGNAL_REMOTE) != 0) {
                storeLocal(p.remoteOffset, p.remoteValue);
            }
            if ((p.flags & Scif.SIGNAL_LOCAL) != 0) {
                send(Wire.signalStore(node.alloc(), peerWireId, p.localOffset, p.localValue));
            }
        }
    }

    static ScifException noWindow(Call call, String side, long pos, long offset, long length) {
        return ScifException.of(call.text(), Errno.ENXIO, "no " + side + " window covers offset " + pos + " of the "
            + length + " bytes at " + offset);
    }

    private static ScifException noAccess(Call call, String side, long window, int need, int has) {
        return ScifException.of(call.text(), Errno.EPERM, "the " + side + " window at " + window + " lacks "
            + protName(need) + " (it has " + protName(has) + ")");
    }

    private static String protName(int prot) {
        return prot == 0 ? "no access" : ((prot & Scif.PROT_READ) != 0 ? "PROT_READ" : "")
            + ((prot & 3) == 3 ? "|" : "") + ((prot & Scif.PROT_WRITE) != 0 ? "PROT_WRITE" : "");
    }

    @Override
    public String toString() {
        return "TcpRma[" + endpoint + ", submitted " + submittedView + ", completed " + completed + "]";
    }
}
