package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.ConnectionDescriptor.S_DMA_COMPLETED;
import static org.scif4j.shm.internal.ConnectionDescriptor.S_DMA_SUBMITTED;
import static org.scif4j.shm.internal.ConnectionDescriptor.WINDOW_FREE;
import static org.scif4j.shm.internal.ConnectionDescriptor.W_GEN;
import static org.scif4j.shm.internal.ConnectionDescriptor.W_RMA_REFS;
import static org.scif4j.shm.internal.ConnectionDescriptor.W_STATE;
import static org.scif4j.spi.FenceSequence.reached;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.agrona.concurrent.ManyToManyConcurrentArrayQueue;
import org.scif4j.Errno;
import org.scif4j.ScifException;
import org.scif4j.spi.Call;
import org.scif4j.spi.FenceSequence;

/**
 * An endpoint's DMA operations in sequence order: the sequence numbers both sides read in the
 * connection file (S_DMA_SUBMITTED, S_DMA_COMPLETED), the endpoint's one DMA channel, the
 * pooled operations, and what close does with operations still queued.
 *
 * <p>Every DMA operation gets the next 31-bit sequence number when it is queued and runs on the
 * endpoint's one channel, so operations complete in sequence order and "completed" is a single
 * counter. A copy the caller makes itself while nothing is outstanding takes the next number
 * too, submitted and completed at once under {@link #submitLock} ({@link #copyInline}), and so
 * does a fence signal the caller stores itself ({@code EndpointFences.signal}).
 *
 * <p><b>Invariant (close):</b> see {@link EndpointRma}. Once {@link #drain} gives up waiting,
 * an operation not yet started is skipped (its references are still given back, and its
 * sequence number completed, on the channel), the one copying is waited for, and the
 * connection file stays mapped until the last abandoned operation is done with it.
 */
final class DmaSequence {
    /** Whether completions are stored with a full fence: only where the sleeper's fence is missing. */
    private static final boolean FENCE_COMPLETIONS = !Futex.fencesEveryProcess();

    private final Connection conn;
    private final SharedFile f;
    private final EndpointTable table;
    private final int slot;
    private final int peerSlot;
    private final PeerAddressSpace peer;
    private final DmaEngine engine;
    private final DmaEngine.Channel channel;
    /** Held to give out sequence numbers, and by a caller copying as the channel's next operation. */
    final Object submitLock = new Object();
    /** The last sequence number given out; written under {@link #submitLock}, read by marks without it. */
    private volatile int submitted;
    /** Offsets of this side's S_DMA_SUBMITTED and S_DMA_COMPLETED in the connection file. */
    private final long submittedField;
    final long completedField;
    /**
     * The sequence number of our last INIT_PEER signal not yet known complete, or -1. Such a
     * signal runs on our channel, but SCIF queues it behind the peer's RMAs, so an INIT_PEER
     * mark taken after it must cover it: a fence wait on a peer mark also waits for this one
     * (and so maybe for a few signals issued after the mark: finite, never early). Set under
     * {@link #submitLock}, in sequence order; cleared by the signal's completion only if still its.
     */
    private final AtomicInteger lastPeerSignal = new AtomicInteger(-1);
    /** Set by close once it stops waiting: operations not yet started are skipped. */
    private volatile boolean abandoned;
    /** Operations between their last look at {@link #abandoned} and the end of their copy or stores. */
    private final AtomicInteger copying = new AtomicInteger();
    /** The last sequence number close abandoned; -1 before. Its completion unmaps the connection. */
    private volatile int abandonedLast = -1;
    private final AtomicBoolean connReleased = new AtomicBoolean();
    /** Idle operations: lock-free, since the channel thread gives them back while submitters take them. */
    private final ManyToManyConcurrentArrayQueue<CopyOp> pool = new ManyToManyConcurrentArrayQueue<>(256);

    DmaSequence(Connection conn, EndpointTable table, int slot, int peerSlot, PeerAddressSpace peer,
                DmaEngine engine) {
        this.conn = conn;
        this.f = conn.file;
        this.table = table;
        this.slot = slot;
        this.peerSlot = peerSlot;
        this.peer = peer;
        this.engine = engine;
        this.channel = engine.assign();
        this.submittedField = conn.sideField(conn.side, S_DMA_SUBMITTED);
        this.completedField = conn.sideField(conn.side, S_DMA_COMPLETED);
        this.submitted = f.getInt(submittedField);
    }

    /** @return the last sequence number given out: a mark covering every operation queued or copied so far */
    int submitted() {
        return submitted;
    }

    /** @return the INIT_PEER signal a peer mark must also wait for, or -1 */
    int lastPeerSignal() {
        return lastPeerSignal.get();
    }

    /** @return whether this side's completed counter has reached {@code seq} */
    boolean completed(int seq) {
        return reached(f.getInt(completedField), seq);
    }

    /** @return the endpoint's one DMA channel (a test holds its thread busy to fill it) */
    DmaEngine.Channel channel() {
        return channel;
    }

    /** Under {@link #submitLock}: whether none of the endpoint's operations is outstanding. */
    boolean idleLocked() {
        return reached(f.getInt(completedField), submitted);
    }

    /**
     * Runs a resolved DMA copy on the calling thread, as the next operation of the channel,
     * when none of this endpoint's operations is outstanding: handing a small copy to the
     * channel thread and hearing back costs more than the copy. Holding the submit lock, the
     * copy takes the next sequence number and completes it before any later operation is
     * queued, so operations still complete in sequence order and fences see no difference.
     *
     * @return false, having done nothing, when operations are outstanding (the copy must queue after them)
     */
    boolean copyInline(Transfer t) {
        synchronized (submitLock) {
            // Nothing outstanding (see completeInlineLocked), or the copy must queue after them.
            if (!idleLocked()) {
                return false;
            }
            t.copyAll();
            completeInlineLocked();
        }
        wakeFenceWaiters();
        return true;
    }

    /**
     * Gives the copy (or signal) just made inline the next sequence number, submitted and
     * completed at once. Under {@link #submitLock}, with nothing outstanding: the channel thread
     * has stored its last completion and will not store another of ours until we queue one, so
     * this thread owns both counters. The caller then calls {@link #wakeFenceWaiters()}.
     */
    void completeInlineLocked() {
        int seq = FenceSequence.next(submitted);
        submitted = seq;
        f.putIntOrdered(submittedField, seq);
        publishCompleted(seq);
    }

    /** Wakes the fence waiters of both ends: a peer's INIT_PEER fences wait on our completions. */
    void wakeFenceWaiters() {
        table.wakeFenceWaiters(slot);
        table.wakeFenceWaiters(peerSlot);
    }

    /**
     * Stores this side's completed counter, ordered after the operation's copy and stores, and
     * before the caller's read of the fence sleepers. Release order suffices where the fence
     * waiters' sleeper's fence reaches this thread ({@link Futex#fenceEveryProcess()}, the
     * protocol of docs/shm-format.md, "Waking without losing a wake-up"), as for the rings: a
     * full fence here would wait for a just-made copy's stores to drain. Elsewhere a volatile store.
     */
    private void publishCompleted(int seq) {
        if (FENCE_COMPLETIONS) {
            f.putInt(completedField, seq);
        } else {
            f.putIntOrdered(completedField, seq);
        }
    }

    /** @return an idle copy operation, to resolve into and {@link #queue} or {@link #giveBack} */
    CopyOp takeOp() {
        CopyOp op = pool.poll();
        return op != null ? op : new CopyOp();
    }

    /** Returns an operation that was never queued (its transfer released) to the pool. */
    void giveBack(CopyOp op) {
        pool.offer(op);
    }

    /** Gives back every window reference and mapping use a transfer holds. */
    void release(Transfer t) {
        for (int i = 0; i < t.refs; i++) {
            f.addInt(t.refEntry[i] + W_RMA_REFS, -1);
        }
        for (int i = 0; i < t.mapped; i++) {
            t.mappedWindows[i] = null; // the entry references above guarded the mappings
        }
        t.refs = 0;
        t.mapped = 0;
        java.util.Arrays.fill(t.localBase, 0, t.localPieces, null);
    }

    /**
     * Queues a resolved copy, keeping the v-variant's buffer reachable until it is done.
     *
     * @return its sequence number
     */
    int queue(CopyOp op, ByteBuffer buffer, Call call) throws ScifException {
        op.keep = buffer;
        return submit(op, false, call);
    }

    /**
     * Queues an operation with the next sequence number.
     *
     * @param peerSignal an INIT_PEER signal, which later peer marks must cover ({@link #lastPeerSignal})
     * @return that number
     */
    int submit(Op op, boolean peerSignal, Call call) throws ScifException {
        synchronized (submitLock) {
            int seq = FenceSequence.next(submitted);
            op.seq = seq;
            int lastBefore = peerSignal ? lastPeerSignal.getAndSet(seq) : -1;
            try {
                channel.submit(op);
            } catch (InterruptedException e) {
                // Never queued: the number is not taken (submitted is unchanged), and what the
                // operation holds goes back now, or the windows it references could never be
                // unregistered (the channel, which gives them back, will never run it).
                if (peerSignal) {
                    lastPeerSignal.compareAndSet(seq, lastBefore);
                }
                op.notQueued();
                Thread.currentThread().interrupt();
                throw ScifException.of(call.text(), Errno.EINTR, "interrupted while the DMA channel was full");
            }
            submitted = seq;
            f.putInt(submittedField, seq);
            return seq;
        }
    }

    /** Called on the channel thread, in sequence order, when operation {@code seq} is done. */
    void completedOnChannel(int seq) {
        publishCompleted(seq);
        if (!abandoned) {
            // Once close has abandoned the rest, it has woken every waiter and the slot is about
            // to be freed (and maybe taken by another endpoint): a late completion wakes nobody.
            wakeFenceWaiters();
        }
        if (seq == abandonedLast && connReleased.compareAndSet(false, true)) {
            conn.close(); // the last abandoned operation is done with the connection file: close's reference
        }
    }

    /** On the channel thread: an INIT_PEER signal {@code seq} completed. */
    void peerSignalDone(int seq) {
        lastPeerSignal.compareAndSet(seq, -1);
    }

    /**
     * Whether an operation may touch memory now: not once close abandoned the endpoint's
     * operations, nor when the owner of a peer window it uses has freed that window. If so, it
     * counts as copying until {@link #endCopy()}, and close waits for it (see the class comment).
     */
    boolean beginCopy(Transfer t) {
        copying.incrementAndGet();
        if (abandoned || peerWindowFreed(t)) {
            copying.decrementAndGet();
            return false;
        }
        return true;
    }

    void endCopy() {
        copying.decrementAndGet();
    }

    /**
     * Whether a peer window the transfer uses was freed while it held its reference: that
     * happens only when the owner closed and stopped waiting for us at the end of its watchdog.
     * (Unregister never frees a window that RMAs still reference.) Our mapping of it stays
     * valid; skipping only keeps the owner's memory from changing after its close returned.
     */
    private boolean peerWindowFreed(Transfer t) {
        for (int i = 0; i < t.mapped; i++) {
            PeerAddressSpace.RemoteWindow w = t.mappedWindows[i];
            long e = peer.entryOffset(w.entry);
            if (f.getInt(e + W_STATE) == WINDOW_FREE || f.getInt(e + W_GEN) != w.gen) {
                return true;
            }
        }
        return false;
    }

    /**
     * Close's part: waits until {@code deadline} for the channel to run the endpoint's queued
     * operations to the end; past it, skips what has not started, waits for what is copying (a
     * copy is finite), and keeps the connection mapped for the skipped operations' bookkeeping
     * until the last of them is done (see the class comment). The caller holds the lifecycle
     * lock for writing, so no operation is submitted meanwhile.
     */
    void drain(long deadline) {
        int last;
        synchronized (submitLock) {
            last = submitted;
        }
        while (!completed(last) && System.nanoTime() - deadline < 0) {
            Thread.yield(); // the channel runs our queued operations to the end
        }
        if (!completed(last)) {
            conn.retain();
            abandonedLast = last;
            abandoned = true;
            if (completed(last) && connReleased.compareAndSet(false, true)) {
                conn.close(); // it completed meanwhile, before it could see abandonedLast
            }
            while (copying.get() > 0) {
                LockSupport.parkNanos(100_000);
            }
        }
    }

    /** An operation of the sequence: run by the channel, which completes its number. */
    abstract static class Op implements DmaEngine.Op {
        int seq;

        /** The channel refused it (the caller was interrupted): gives back what it holds, as {@link #run} would. */
        abstract void notQueued();
    }

    /** A copy on the DMA channel. */
    final class CopyOp extends Op {
        final Transfer transfer = new Transfer(null);
        ByteBuffer keep;

        @Override
        public void run() {
            if (beginCopy(transfer)) {
                try {
                    engine.copy(transfer, channel);
                } finally {
                    endCopy();
                }
            }
            release(transfer);
            keep = null;
            completedOnChannel(seq);
            pool.offer(this);
        }

        @Override
        void notQueued() {
            release(transfer);
            keep = null;
            pool.offer(this);
        }
    }

    @Override
    public String toString() {
        return "DmaSequence[submitted " + submitted + "]";
    }
}
