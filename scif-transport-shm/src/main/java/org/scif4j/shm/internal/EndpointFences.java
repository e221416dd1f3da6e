package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.ConnectionDescriptor.S_DMA_COMPLETED;
import static org.scif4j.shm.internal.ConnectionDescriptor.S_DMA_SUBMITTED;
import static org.scif4j.shm.internal.FabricDescriptor.CONNECTED;
import static org.scif4j.shm.internal.FabricDescriptor.E_FENCE_SEQ;
import static org.scif4j.shm.internal.FabricDescriptor.E_FENCE_SLEEPERS;
import static org.scif4j.shm.internal.FabricDescriptor.endpoint;

import org.agrona.concurrent.ManyToManyConcurrentArrayQueue;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.spi.Arguments;
import org.scif4j.spi.Call;
import org.scif4j.spi.FenceSequence;

/**
 * An endpoint's fences: marks (a sequence number of {@link DmaSequence}, with bit 31 for the
 * peer's), waits for the marked operations, and signals (stores after the covered RMAs).
 *
 * <p>A mark, and a wait whose operations have completed, run as copiers of the endpoint's
 * {@link CopyGuard} (which keeps the connection mapped as the lifecycle lock does, without its
 * two CASes); a wait that may sleep, and a signal, run under the lifecycle lock, which
 * {@link EndpointRma} takes around {@link #await} and {@link #signal}.
 */
final class EndpointFences {
    private static final ThreadLocal<long[]> SCRATCH = ThreadLocal.withInitial(() -> new long[1]);
    private static final ThreadLocal<FenceCondition> FENCE = ThreadLocal.withInitial(FenceCondition::new);

    private final EndpointRma rma;
    private final Connection conn;
    private final SharedFile f;
    private final EndpointTable table;
    private final int slot;
    private final Waiter waiter;
    private final long timeoutNanos;
    private final DmaSequence sequence;
    private final CopyGuard guard;
    private final boolean hostLoopback;
    private final ManyToManyConcurrentArrayQueue<SignalOp> signalPool = new ManyToManyConcurrentArrayQueue<>(64);
    /** Offsets of the peer's S_DMA_SUBMITTED and S_DMA_COMPLETED in the connection file. */
    private final long peerSubmittedField;
    private final long peerCompletedField;

    EndpointFences(EndpointRma rma, DmaSequence sequence) {
        this.rma = rma;
        this.conn = rma.conn;
        this.f = conn.file;
        this.table = rma.table;
        this.slot = rma.slot;
        this.waiter = rma.waiter;
        this.timeoutNanos = rma.timeoutNanos;
        this.sequence = sequence;
        this.guard = rma.guard;
        this.hostLoopback = rma.hostLoopback;
        this.peerSubmittedField = conn.sideField(1 - conn.side, S_DMA_SUBMITTED);
        this.peerCompletedField = conn.sideField(1 - conn.side, S_DMA_COMPLETED);
    }

    /** A mark reads counters and waits for nothing, so it runs as a copier of the {@link #guard}. */
    int mark(int flags, Call call) throws ScifException {
        CopyGuard.Record caller = guard.enter();
        try {
            rma.checkUsable(call); // after entering, as the guard asks
            if (hostLoopback) {
                return Arguments.HOST_LOOPBACK_MARK;
            }
            if (flags == Scif.FENCE_INIT_SELF) {
                return sequence.submitted(); // covers every operation queued or copied before this call
            }
            return FenceSequence.peerMark(f.getInt(conn.sideField(1 - conn.side, S_DMA_SUBMITTED)));
        } finally {
            guard.exit(caller);
        }
    }

    /**
     * fenceWait's common case, as a copier of the {@link #guard}: the marked operations, and
     * for a peer mark our INIT_PEER signal before it, have completed.
     *
     * @return whether the wait is over; false when it has to wait ({@link #await})
     */
    boolean reached(int mark, Call call) throws ScifException {
        CopyGuard.Record caller = guard.enter();
        try {
            rma.checkUsable(call);
            if (hostLoopback) {
                Arguments.hostLoopbackFenceWait(mark, call);
                return true;
            }
            boolean peerMark = FenceSequence.isPeerMark(mark);
            long counter = peerMark ? conn.sideField(1 - conn.side, S_DMA_COMPLETED) : sequence.completedField;
            if (!FenceSequence.reached(f.getInt(counter), FenceSequence.sequenceOf(mark))) {
                return false;
            }
            int peerSignal = sequence.lastPeerSignal();
            return !peerMark || peerSignal < 0 || sequence.completed(peerSignal);
        } finally {
            guard.exit(caller);
        }
    }

    /** fenceWait's waiting part; the caller holds the lifecycle lock, which close wakes and waits for. */
    void await(int mark, Call call) throws ScifException {
        boolean peerMark = FenceSequence.isPeerMark(mark);
        awaitCompletion(peerMark ? 1 - conn.side : conn.side, FenceSequence.sequenceOf(mark), call);
        int peerSignal = sequence.lastPeerSignal();
        if (peerMark && peerSignal >= 0) {
            awaitCompletion(conn.side, peerSignal, call);
        }
    }

    /** Reusable per thread: waiting for a fence allocates nothing. */
    private static final class FenceCondition implements Waiter.Condition {
        EndpointFences fences;
        long counter;
        int seq;

        @Override
        public boolean ready() {
            EndpointFences x = fences;
            return FenceSequence.reached(x.f.getInt(counter), seq) || x.rma.isClosed()
                || x.table.state(x.slot) != CONNECTED;
        }
    }

    /**
     * Waits until side {@code side}'s operation {@code seq} has completed: an RMA_SYNC RMA's or a
     * fence wait's; the caller holds the lifecycle lock.
     */
    void awaitCompletion(int side, int seq, Call call) throws ScifException {
        long counter = side == conn.side ? sequence.completedField : conn.sideField(side, S_DMA_COMPLETED);
        if (FenceSequence.reached(f.getInt(counter), seq)) {
            return; // done already: no waiter needed (a fence after inline copies always is)
        }
        FenceCondition c = FENCE.get();
        c.fences = this;
        c.counter = counter;
        c.seq = seq;
        int r = waiter.await(c, endpoint(slot) + E_FENCE_SEQ, endpoint(slot) + E_FENCE_SLEEPERS,
            System.nanoTime() + timeoutNanos);
        c.fences = null;
        if (FenceSequence.reached(f.getInt(conn.sideField(side, S_DMA_COMPLETED)), seq)) {
            return;
        }
        if (r == Waiter.INTERRUPTED) {
            throw ScifException.of(call.text(), Errno.EINTR, "interrupted while waiting for the marked RMAs");
        }
        if (rma.isClosed()) {
            throw ScifException.of(call.text(), Errno.EINTR, "the endpoint was closed while waiting");
        }
        if (table.state(slot) != CONNECTED) {
            throw ScifException.of(call.text(), Errno.ECONNRESET, "the peer closed the connection or was lost");
        }
        throw ScifException.of(call.text(), Errno.ETIMEDOUT, "the marked RMAs did not complete within the watchdog"
            + " period (" + timeoutNanos / 1_000_000 + " ms, option timeout=)");
    }

    /**
     * fenceSignal; the caller holds the lifecycle lock.
     *
     * <p>When nothing the fence covers is outstanding (none of our operations, and for
     * INIT_PEER none of the peer's submitted before this call) the calling thread stores the
     * values itself, as the channel's next operation: handing the signal to the channel's
     * thread costs a wake-up, and on a loaded machine a wait for a core, of microseconds to
     * milliseconds, for two stores (docs/decisions.md, "fenceSignal with nothing outstanding").
     *
     * <p><b>Invariant (inline signal):</b> the values are stored only after every RMA the fence
     * covers has completed, and fences see the signal as one more operation in sequence order.
     * Every operation of this endpoint that takes a sequence number (a queued DMA RMA, an inline
     * copy, a signal) takes it under {@link DmaSequence#submitLock}, and we hold that lock from
     * the idle check through the stores and the completion of our own number. So every
     * operation numbered before us has completed: its copy or stores come before the channel's
     * (or inline copier's) store of the completed counter, which our volatile read of the
     * counter sees, so they are visible before our stores (release/acquire, then our volatile or
     * fenced store). An RMA submitted concurrently by another thread of the endpoint either got
     * its number before we took the lock (then it is complete, or we queue behind it) or gets
     * it after our number is completed (then the signal did not cover it, as SCIF allows for
     * an RMA not issued before the signal). A CPU RMA is complete when its call returns and
     * takes no number. INIT_PEER reads the peer's submitted counter and stores inline only if
     * the peer's completed counter has reached it, the exact condition the queued signal waits
     * for on the channel ({@link SignalOp#run}). Fence waiters are woken after the completion
     * is published, as for an inline copy ({@link DmaSequence#copyInline}): no lost wake-up.
     */
    void signal(long localOffset, long localValue, long remoteOffset, long remoteValue, int flags, Call call)
        throws ScifException {
        SignalOp op = signalPool.poll();
        op = op != null ? op : new SignalOp();
        op.localAddress = 0;
        op.remoteAddress = 0;
        op.transfer.reset(8, true, 0);
        long[] ref = SCRATCH.get();
        try {
            if ((flags & Scif.SIGNAL_LOCAL) != 0) {
                op.localAddress = rma.local.signalTarget(localOffset, ref, call);
                op.transfer.refEntry[op.transfer.refs++] = ref[0];
                op.localValue = localValue;
            }
            if ((flags & Scif.SIGNAL_REMOTE) != 0) {
                op.remoteAddress = rma.peer.signalTarget(remoteOffset, op.transfer, call);
                op.remoteValue = remoteValue;
            }
        } catch (ScifException e) {
            sequence.release(op.transfer);
            signalPool.offer(op);
            throw e;
        }
        if (hostLoopback) { // nothing is pending on either side: a CPU store now (scif_fence_signal(3))
            store(op.localAddress, op.localValue);
            store(op.remoteAddress, op.remoteValue);
            sequence.release(op.transfer);
            signalPool.offer(op);
            return;
        }
        boolean initPeer = (flags & Scif.FENCE_INIT_PEER) != 0;
        synchronized (sequence.submitLock) { // see the invariant above
            int peerSeq = initPeer ? f.getInt(peerSubmittedField) : -1;
            if (!sequence.idleLocked()
                || peerSeq >= 0 && !FenceSequence.reached(f.getInt(peerCompletedField), peerSeq)) {
                op.peerSeq = peerSeq;
                sequence.submit(op, peerSeq >= 0, call); // behind what is outstanding; the op is the channel's now
                return;
            }
            op.storeValues();
            sequence.completeInlineLocked();
        }
        sequence.release(op.transfer);
        signalPool.offer(op);
        sequence.wakeFenceWaiters();
    }

    /**
     * A fence signal on the DMA channel: after the covered RMAs, stores the values.
     *
     * <p>An INIT_PEER signal waits, on our channel, for the peer's operations submitted before
     * it read the peer's counter. This cannot deadlock: every wait (for the peer's operations,
     * or for what is ahead in a FIFO channel) is for operations submitted strictly earlier than
     * the waiter, so the waits-for graph follows time backwards and has no cycle.
     */
    private final class SignalOp extends DmaSequence.Op {
        final Transfer transfer = new Transfer(null);
        int peerSeq;
        long localAddress;
        long localValue;
        long remoteAddress;
        long remoteValue;

        @Override
        public void run() {
            boolean write = true;
            if (peerSeq >= 0) {
                FenceCondition c = FENCE.get();
                c.fences = EndpointFences.this;
                c.counter = conn.sideField(1 - conn.side, S_DMA_COMPLETED);
                c.seq = peerSeq;
                waiter.await(c, endpoint(slot) + E_FENCE_SEQ, endpoint(slot) + E_FENCE_SLEEPERS, Long.MAX_VALUE);
                c.fences = null;
                write = FenceSequence.reached(f.getInt(c.counter), peerSeq); // a lost peer's RMAs never complete
            }
            if (write) {
                storeValues();
            }
            sequence.release(transfer);
            sequence.completedOnChannel(seq);
            sequence.peerSignalDone(seq);
            signalPool.offer(this);
        }

        @Override
        void notQueued() {
            sequence.release(transfer);
            signalPool.offer(this);
        }

        /** The stores, unless close abandoned the endpoint's operations or the peer freed the target's window. */
        void storeValues() {
            if (sequence.beginCopy(transfer)) {
                try {
                    store(localAddress, localValue);
                    store(remoteAddress, remoteValue);
                } finally {
                    sequence.endCopy();
                }
            }
        }
    }

    /** A 64-bit store in native order that a poller sees whole, after everything written before it. */
    private static void store(long address, long value) {
        if (address == 0) {
            return;
        }
        if ((address & 7) == 0) {
            Memory.putLongVolatile(address, value);
        } else {
            Memory.storeFence();
            Memory.putLong(address, value); // only 4-byte aligned, as SCIF allows
            Memory.storeFence();
        }
    }
}
