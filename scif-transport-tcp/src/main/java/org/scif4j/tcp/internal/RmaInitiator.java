package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.spi.Call;
import org.scif4j.spi.FenceSequence;

/**
 * This side's RMA operations in flight: a ring of operations numbered in sequence, submitted
 * by user threads and completed by the peer's answers.
 *
 * <p><b>Sequence.</b> Every operation (an RMA of at most {@link RmaWire#MAX_RMA} bytes, or a
 * fence signal) takes the next 31-bit sequence number under {@code submitLock}, and its frames
 * leave under that lock, so they reach the owner in sequence order. The owner serves them in
 * arrival order and answers (RMA_DONE, or the last RMA_DATA) in that order, so operations
 * complete in sequence order and "completed" is one counter. A fence mark is a sequence
 * number.
 *
 * <p><b>Threads.</b> {@code submitted}, {@code submittedBytes}, the slots being filled and
 * {@code submitWalk} belong to the holder of {@code submitLock} (a user thread); a slot is
 * published to the reader by the volatile {@code submittedView}. {@code completed} and
 * {@code completedBytes} are written only by the reader of the link the answers come on
 * (see {@link #onData}, {@link #onDone}), read by all. {@code deferred} is a lock-free queue
 * that the reader offers to and the lock's holder drains.
 *
 * <p><b>Read requests held back.</b> A read's RMA_READ frame joins {@code held} (one buffer,
 * guarded by submitLock) rather than going out alone: while an earlier read whose request left
 * is still unanswered, the owner is busy with it, so the requests of a stream of asynchronous
 * reads go out together, one write for many (as a Netty client flushes once per batch) rather
 * than a syscall and a wake-up of the owner's event loop each. Held frames leave, in order, at
 * the latest: before any other frame sent under submitLock (writes, signals, window acks, so the
 * sequence order and the acks' order hold), when {@link #MAX_HELD} are held, before any thread
 * of this connection waits ({@link TcpRma#spinOrBlock}), before a call that waits for its own
 * completion returns its lock, and when the answer to that earlier read completes it.
 * Invariant (no request stranded): requests are held only while a read whose request left is
 * unanswered. The holder raises {@code heldCount} (volatile) and then, as it releases the lock,
 * reads {@code completed}; the reader writes {@code completed} and then reads {@code heldCount}:
 * one of them sees the other. A holder that sees the read answered flushes itself; a reader
 * that sees requests held raises {@code flushWanted} and tries the lock, and whoever releases
 * the lock looks at {@code flushWanted} after releasing it (as for the deferred acks).
 */
final class RmaInitiator {
    /** Operations in flight at most (a power of two: the ring of pending operations). */
    private static final int MAX_OPS = 4096;
    /** RMA bytes in flight at most per endpoint: bounds what either side buffers for it. */
    static final long MAX_BYTES = 16L << 20;
    /**
     * A submitter that must wait for room waits for this much more than its operation needs, so
     * that the calls after it find room and submit (and send their requests) together rather
     * than one wait, one wake-up and one write per operation; the {@code MAX_BYTES - REFILL}
     * still in flight keep the owner busy meanwhile.
     */
    private static final long REFILL_BYTES = MAX_BYTES / 4;
    /** As {@link #REFILL_BYTES}, in operations. */
    private static final int REFILL_OPS = MAX_OPS / 4;
    /** Read requests held back at most; see the class comment. */
    static final int MAX_HELD = 64;

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

    private final TcpRma rma;
    private final RmaWindows windows;
    private final WindowCopy copy;
    private final ReentrantLock submitLock = new ReentrantLock();
    /** Guarded by submitLock; mirrored in {@link #submittedView} for readers without it. */
    private int submitted;
    private volatile int submittedView;
    /** Guarded by submitLock. */
    private long submittedBytes;
    private final Op[] ops = new Op[MAX_OPS];
    /** Guarded by submitLock. */
    private final WindowWalk<LocalWindow> localWalk = new WindowWalk<>();
    /** Guarded by submitLock. */
    private final WindowWalk<PeerWindow> peerWalk = new WindowWalk<>();
    /** The reader's walk, for RMA_DATA into the local RAS. */
    private final WindowWalk<LocalWindow> readerWalk = new WindowWalk<>();
    /** Written by the link's reader only. */
    private volatile int completed;
    private volatile long completedBytes;
    /** WINDOW_ACKs waiting for the end of the operation whose sender holds submitLock. */
    private final Queue<ByteBuf> deferred = new ConcurrentLinkedQueue<>();
    /**
     * RMA_READ frames held back, sent from this buffer of their own (no buffer from the
     * allocator per read). Guarded by submitLock; see the class comment.
     */
    private final FrameScratch held = new FrameScratch(MAX_HELD * (Wire.FRAME_HEADER + RmaWire.READ_SIZE));
    /** A SIGNAL frame, built and sent without a buffer from the allocator. Guarded by submitLock. */
    private final FrameScratch signalFrame = new FrameScratch(Wire.FRAME_HEADER + RmaWire.SIGNAL_SIZE);
    /**
     * The RMA_WRITE frames of a v-variant's operation, its bytes copied from the caller's buffer
     * (which is the caller's again when the call returns) and sent in one write, without a buffer
     * from the allocator; made on the first vwriteTo and grown to the largest operation since
     * (at most {@link RmaWire#MAX_RMA} framed). Guarded by submitLock.
     */
    private FrameScratch vwriteFrames;
    /** How many frames {@code held} has; written under submitLock, read by the reader. */
    private volatile int heldCount;
    /** The last read held. Guarded by submitLock. */
    private int lastHeld;
    /** The last read whose request left. Guarded by submitLock. */
    private int lastSentRead;
    /**
     * The last read submitted: written under submitLock before the read is published, and read
     * by {@link #awaitReadsLanded} after {@code submittedView}, whose volatile write and read
     * carry it (no fence of its own on the read path).
     */
    private int lastRead;
    /** The reader saw requests held as a read completed: the lock's next holder flushes them. */
    private volatile boolean flushWanted;

    RmaInitiator(TcpRma rma) {
        this.rma = rma;
        this.windows = rma.windows;
        this.copy = new WindowCopy(rma, windows.local);
    }

    /** @return the last operation completed */
    int completed() {
        return completed;
    }

    /** @return the last operation submitted, lock-free */
    int submittedView() {
        return submittedView;
    }

    /**
     * @return the last operation submitted, after any submission in progress has left; held
     *         requests leave too, as the caller is about to wait for them
     */
    int lastSubmitted() {
        submitLock.lock();
        int mark = submitted;
        flushWanted = true;
        unlockSubmit();
        return mark;
    }

    void rma(boolean write, long localOffset, ByteBuffer buffer, long length, long remoteOffset, int flags,
             Call call) throws ScifException {
        lockSubmit(call);
        int last;
        try {
            rma.checkLive(call);
            // Every check before any byte moves: a failing call transfers nothing (as in SCIF).
            if (buffer == null) {
                windows.checkLocal(localWalk, localOffset, length, write ? Scif.PROT_READ : Scif.PROT_WRITE, call);
            }
            windows.checkPeer(peerWalk, remoteOffset, length, write ? Scif.PROT_WRITE : Scif.PROT_READ, call);
            for (long done = 0; done < length; ) {
                int n = (int) Math.min(RmaWire.MAX_RMA, length - done);
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
                if (!write) {
                    lastRead = seq; // published with the operation
                }
                publish(seq);
                if (write) {
                    flushHeld(); // the reads before it go first
                }
                if (write && !sendWrite(buffer, bufferPos, localOffset + done, n, seq, remoteOffset + done,
                    lastPart && (flags & Scif.RMA_ORDERED) != 0)) {
                    // Only close takes windows away under a call that checked them (unregister
                    // waits for the calls before it): the connection is ending.
                    throw ScifException.of(call.text(), Errno.EINTR, "the endpoint was closed while the RMA was"
                        + " being queued");
                } else if (!write) {
                    hold(seq, remoteOffset + done, n);
                }
                done += n;
            }
            last = submitted;
        } finally {
            if (rma.hostLoopback || (flags & (Scif.RMA_SYNC | Scif.RMA_USECPU)) != 0) {
                flushWanted = true; // this call waits for its answer: nothing to batch it with
            }
            unlockSubmit();
        }
        // A CPU copy is complete when the call returns (scif_writeto(3)): over tcp that is a round trip.
        if (rma.hostLoopback || (flags & (Scif.RMA_SYNC | Scif.RMA_USECPU)) != 0) {
            awaitCompleted(last, call);
        }
    }

    /**
     * Ships an RMA_WRITE operation of {@code length} bytes, from {@code buffer} at
     * {@code bufferPos} or (buffer null) the local RAS at {@code localOffset}, in frames of at
     * most {@link Wire#MAX_DATA}. From the local RAS the frames go straight from the window's
     * memory (no copy, see {@link WindowCopy#send}); a v-variant's buffer is the caller's
     * again when the call returns, so its bytes are copied into {@code vwriteFrames} and all its
     * frames written from there at once (a buffer from the allocator would be a new object per
     * call on a user thread; a write per frame would wake the receiver per frame, see
     * {@link WindowCopy#send}). Holds submitLock.
     *
     * @return false when a local window went away meanwhile (the endpoint closed): nothing sent
     */
    private boolean sendWrite(ByteBuffer buffer, int bufferPos, long localOffset, int length, int seq,
                              long remoteOffset, boolean ordered) {
        if (buffer == null) {
            return copy.send(localWalk, true, seq, localOffset, length, remoteOffset, ordered);
        }
        int size = Wire.framedSize(length, RmaWire.WRITE_HEADER);
        if (vwriteFrames == null || vwriteFrames.capacity() < size) {
            vwriteFrames = new FrameScratch(size);
        }
        ByteBuf frames = vwriteFrames.start();
        for (int off = 0; off < length; ) {
            int n = Math.min(Wire.MAX_DATA, length - off);
            RmaWire.writeHeader(frames, rma.peerWireId, seq, remoteOffset + off,
                WindowCopy.writeFlags(off + n == length, ordered), n);
            RmaCopy.fromBuffer(buffer, bufferPos + off, frames, n);
            off += n;
        }
        rma.send(vwriteFrames);
        return true;
    }

    /**
     * Submits a fence signal (INIT_SELF): the peer stores the remote word after every earlier
     * operation of ours, and we the local word when it answers. The targets were checked.
     *
     * @return its sequence number
     */
    int signal(boolean signalLocal, long localOffset, long localValue, long remoteOffset, long remoteValue,
               int flags, Call call) throws ScifException {
        lockSubmit(call);
        try {
            rma.checkLive(call);
            windows.checkSignalTargets(signalLocal, localOffset, (flags & Scif.SIGNAL_REMOTE) != 0, remoteOffset,
                call);
            Op op = reserve(0, call);
            op.kind = Op.SIGNAL;
            op.length = 0;
            op.buffer = null;
            op.signalLocal = signalLocal;
            op.localOffset = localOffset;
            op.signalValue = localValue;
            int seq = submitted;
            publish(seq);
            flushHeld(); // the reads before it go first
            RmaWire.appendSignal(signalFrame.start(), rma.peerWireId, seq, flags, remoteOffset, remoteValue);
            rma.send(signalFrame);
            return seq;
        } finally {
            unlockSubmit();
        }
    }

    /**
     * Makes operation {@code seq} visible to the reader: a volatile write after its slot is
     * filled, which the reader reads (in {@link #head}) before it reads the slot. Its answer can
     * only come after its frames leave, which is after this.
     */
    private void publish(int seq) {
        submittedView = seq;
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
        if (!(FenceSequence.reached(completed, mustComplete) && completedBytes >= mustCompleteBytes)) {
            // Wait for room for the calls after this one too (REFILL_BYTES), at most until
            // everything submitted completed.
            mustCompleteBytes = Math.min(mustCompleteBytes + REFILL_BYTES, submittedBytes);
            int more = (mustComplete + REFILL_OPS) & FenceSequence.MASK;
            mustComplete = FenceSequence.reached(submitted, more) ? more : submitted;
            long deadline = System.nanoTime() + rma.timeoutNanos;
            for (int seen = rma.changeCount();
                 !(FenceSequence.reached(completed, mustComplete) && completedBytes >= mustCompleteBytes);
                 seen = rma.changeCount()) {
                int r = rma.spinOrBlock(seen, deadline); // which sends the held requests first
                if (r != 0) {
                    throw rma.failure(r, call, "waiting for room among the RMAs in flight");
                }
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

    /**
     * Waits until every read submitted before this call has landed here. The owner stores an
     * INIT_SELF signal's remote word once it has served the operations before the signal, which
     * for a read means that its answer left, not that it arrived; a peer watching the word (to
     * reuse what we read, say) must not see it before then, so the signal waits for them here.
     * A read more than {@link #MAX_OPS} operations back has completed: its slot was reused.
     */
    void awaitReadsLanded(Call call) throws ScifException {
        int published = submittedView; // before lastRead: see its comment
        int read = lastRead;
        if (((published - read) & FenceSequence.MASK) < MAX_OPS && !FenceSequence.reached(completed, read)) {
            awaitCompleted(read, call);
        }
    }

    /**
     * Close's wait for the operations submitted so far (scif_close(3): the RMAs in flight
     * complete before close returns), bounded by the watchdog. It gives up quietly when the
     * connection ends, time runs out or the thread is interrupted (the status kept), since close
     * cannot fail; what has not completed then ends as {@link #end} says.
     */
    void drainForClose() {
        awaitReached(lastSubmitted());
    }

    void awaitCompleted(int seq, Call call) throws ScifException {
        int r = awaitReached(seq);
        if (r != 0) {
            throw rma.failure(r, call, "waiting for the marked RMAs");
        }
    }

    /**
     * Waits, bounded by the watchdog, until operation {@code seq} completed.
     *
     * @return 0 once it has, else why the wait gave up (see {@link TcpRma#spinOrBlock})
     */
    private int awaitReached(int seq) {
        long deadline = System.nanoTime() + rma.timeoutNanos;
        for (int seen = rma.changeCount(); !FenceSequence.reached(completed, seq); seen = rma.changeCount()) {
            int r = rma.spinOrBlock(seen, deadline);
            if (r != 0 && !FenceSequence.reached(completed, seq)) {
                return r;
            }
        }
        return 0;
    }

    // ---------------------------------------------------------------- the submit lock and deferred acks

    private void lockSubmit(Call call) throws ScifException {
        TcpRma.lockForCall(submitLock, call, "another RMA of this endpoint was being queued");
    }

    /**
     * Sends the held requests that must go (see the class comment) and the acknowledgements left
     * to the holder (after the requests: they were resolved against the old mirror), then
     * unlocks; see {@link #deferred}. Every release of submitLock goes through here. Invariant:
     * an ack is never stranded: whoever offers one then tries the lock, and whoever releases the
     * lock looks at the queue after releasing it, so of an offer and a release that race, one of
     * them sends the ack; {@code flushWanted} the same way.
     */
    private void unlockSubmit() {
        do {
            // heldCount was written before this read of completed (the Dekker pair of the class comment).
            if (heldCount > 0 && (flushWanted || !deferred.isEmpty() || rma.ended()
                || FenceSequence.reached(completed, lastSentRead))) {
                flushHeld();
            }
            for (ByteBuf f; (f = deferred.poll()) != null; ) {
                rma.send(f);
            }
            submitLock.unlock();
        } while ((!deferred.isEmpty() || flushWanted && heldCount > 0) && submitLock.tryLock());
    }

    /** Holds read {@code seq}'s RMA_READ frame back; see the class comment. Holds submitLock. */
    private void hold(int seq, long remoteOffset, int n) {
        RmaWire.appendRead(held.buffer(), rma.peerWireId, seq, remoteOffset, n);
        lastHeld = seq;
        heldCount = heldCount + 1;
        if (heldCount >= MAX_HELD) {
            flushHeld();
        }
    }

    /** Sends the held requests, if any, in one write. Holds submitLock. */
    private void flushHeld() {
        if (heldCount == 0) {
            return;
        }
        flushWanted = false;
        lastSentRead = lastHeld;
        heldCount = 0;
        if (rma.ended()) {
            held.start(); // the connection is gone: nobody answers them
        } else {
            rma.send(held);
        }
    }

    /**
     * A thread of this connection is about to wait: the held requests leave first, by this
     * thread if it holds submitLock or can take it (else its holder sends them when it waits
     * or releases it).
     */
    void flushBeforeWait() {
        if (heldCount == 0) {
            return;
        }
        if (submitLock.isHeldByCurrentThread()) {
            flushHeld();
        } else {
            flushWanted = true;
            if (submitLock.tryLock()) {
                unlockSubmit();
            }
        }
    }

    /**
     * Acknowledges the peer's window change {@code id}. The peer takes acks in id order, and a
     * removal's ack must follow the frames of operations resolved before it (against the old
     * mirror), so every ack goes the same way: now if submitLock is free, else by its holder
     * when its operation has left. Runs on the link's reader, which never waits for the lock.
     */
    void ackWindowChange(int id) {
        deferred.add(RmaWire.endpointInt(rma.node.alloc(), Wire.WINDOW_ACK, rma.peerWireId, id));
        // A user thread reading the link while it waits may hold submitLock itself (reserve):
        // its operation has not left yet, so the ack waits for its release like anyone's.
        if (!submitLock.isHeldByCurrentThread() && submitLock.tryLock()) {
            unlockSubmit();
        }
    }

    /**
     * The connection ended: acks nobody will send are freed, and the held requests (by the lock's
     * holder, at its release, if another thread holds it: it sees the end).
     */
    void end() {
        for (ByteBuf f; (f = deferred.poll()) != null; ) {
            f.release();
        }
        if (!submitLock.isHeldByCurrentThread() && submitLock.tryLock()) {
            unlockSubmit();
        }
    }

    // ---------------------------------------------------------------- completion (the link's reader)

    /** The head operation, which the peer's next answer must complete. */
    private Op head(int seq, int kind) {
        if (seq != (FenceSequence.next(completed)) || !FenceSequence.reached(submittedView, seq)) {
            return null; // not the next operation, or one never submitted
        }
        Op op = ops[seq & (MAX_OPS - 1)];
        return op != null && op.kind == kind ? op : null;
    }

    /** RMA_DATA: {@code n} bytes of {@code f} answer our read {@code seq}. */
    String onData(int seq, int flags, ByteBuf f) {
        int n = f.readableBytes();
        Op op = head(seq, Op.READ);
        if (op == null || op.received + n > op.length) {
            return "RMA_DATA for operation " + seq + " that is not the read in progress";
        }
        if (op.buffer != null) {
            RmaCopy.toBuffer(f, op.buffer, op.bufferPos + op.received, n);
        } else {
            copy.toWindows(readerWalk, f, op.localOffset + op.received, n);
        }
        op.received += n;
        if ((flags & RmaWire.RMA_LAST) != 0) {
            if (op.received != op.length) {
                return "RMA_DATA ends operation " + seq + " after " + op.received + " of " + op.length + " bytes";
            }
            op.buffer = null;
            completedBytes = op.endBytes;
            completed = seq;
            completedMoved();
        }
        return null;
    }

    /**
     * RMA_DONE answers every operation up to {@code seq}, each a write or a signal (reads before
     * it completed with their RMA_DATA, which came first). All of them are checked before any
     * completes, so that a lying frame changes nothing.
     */
    String onDone(int seq) {
        if (!FenceSequence.reached(submittedView, seq) || FenceSequence.reached(completed, seq)) {
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
                copy.store(op.localOffset, op.signalValue); // after every earlier operation completed
            }
            completedBytes = op.endBytes;
            completed = s;
            if (s == seq) {
                break;
            }
        }
        completedMoved();
        return null;
    }

    /** @return the write or signal {@code seq} in flight, or null */
    private Op writeOrSignal(int seq) {
        Op op = ops[seq & (MAX_OPS - 1)];
        return op != null && (op.kind == Op.WRITE || op.kind == Op.SIGNAL) ? op : null;
    }

    /**
     * Operations completed: the held requests are sent (see the class comment), the peer's
     * fences waiting for them are answered, and our waiters woken.
     */
    private void completedMoved() {
        if (heldCount > 0) { // read after completed was written (the Dekker pair of the class comment)
            flushWanted = true;
            if (!submitLock.isHeldByCurrentThread() && submitLock.tryLock()) {
                unlockSubmit();
            }
        }
        rma.server.servePeerFences();
        rma.wake();
    }
}
