package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.ConnectionDescriptor.*;
import static org.scif4j.shm.internal.FabricDescriptor.CONNECTED;
import static org.scif4j.shm.internal.FabricDescriptor.E_FENCE_SEQ;
import static org.scif4j.spi.FenceSequence.reached;
import static org.scif4j.shm.internal.FabricDescriptor.E_FENCE_SLEEPERS;
import static org.scif4j.shm.internal.FabricDescriptor.endpoint;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.StampedLock;
import org.agrona.concurrent.ManyToManyConcurrentArrayQueue;
import org.scif4j.Errno;
import org.scif4j.Mapping;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.spi.Arguments;
import org.scif4j.spi.Call;
import org.scif4j.spi.FenceSequence;

/**
 * The RMA half of a connected endpoint: its registered address space, its view of the peer's,
 * its DMA channel, and the fence sequence numbers both sides can read in the connection file.
 *
 * <p>Every DMA operation of the endpoint gets the next 31-bit sequence number when it is queued
 * and runs on the endpoint's one channel, so operations complete in sequence order and
 * "completed" is a single counter. A small one issued while nothing is outstanding is copied
 * by the caller instead, as if it were the channel's next operation ({@link #copyInline}). A mark is a sequence number (with bit 31 for the peer's).
 * A transfer holds an RMA reference on every window it touches from resolution to completion,
 * and unregister waits for those references to drop, so no copy outlives its windows.
 *
 * <p><b>Invariant (close):</b> once {@link #close()} has returned, no operation of this endpoint
 * touches memory: not its windows, not a v-variant's buffer, not the peer's windows. Close
 * waits, up to the watchdog period, for the queued operations to complete (scif_close(3)); after
 * that it abandons them: an operation not yet started is skipped (its references are still
 * given back, and its sequence number completed, on the channel), and close waits for the one
 * that is copying to finish. A copy is finite, so close ends; the user may then free or reuse
 * its memory at once. The connection file stays mapped until the last abandoned operation has
 * given back its references. The same rule holds for the peer: an operation whose peer window
 * was freed (its owner stopped waiting for us at its close) is skipped.
 */
final class EndpointRma {
    /**
     * DMA RMAs up to this size are copied by the calling thread when the endpoint has nothing
     * outstanding ({@link #copyInline}). An in-cache copy of 64 KiB takes 1-2 microseconds, no
     * more than handing an operation to a channel thread and waiting for its completion costs
     * on this kind of machine (about 3 microseconds measured with 4 KiB), so the caller gets
     * its RMA done no later; larger ones go to the channel, which can split them.
     */
    static final long INLINE_BYTES = 64 << 10;
    /** Whether completions are stored with a full fence: only where the sleeper's fence is missing. */
    private static final boolean FENCE_COMPLETIONS = !Futex.fencesEveryProcess();
    private static final ThreadLocal<Transfer> CPU_TRANSFER =
        ThreadLocal.withInitial(() -> new Transfer(Thread.currentThread()));
    private static final ThreadLocal<long[]> SCRATCH = ThreadLocal.withInitial(() -> new long[1]);

    private final ShmEndpoint endpoint;
    private final Connection conn;
    private final SharedFile f;
    private final EndpointTable table;
    private final int slot;
    private final int peerSlot;
    private final Waiter waiter;
    private final long timeoutNanos;
    final RegisteredAddressSpace local;
    final PeerAddressSpace peer;
    private final DmaEngine engine;
    private final DmaEngine.Channel channel;
    /**
     * Read-held by every call but a CPU RMA (which the {@link #guard} covers); write-held by
     * close, which then waits for the guard's copiers, drains and unmaps. While a call holds it
     * (or is a copier) the endpoint is not closed, so the fabric and connection files stay mapped.
     */
    private final StampedLock lifecycle = new StampedLock();
    /** The copies callers make during their call (RMA_USECPU), which close and unregister wait for. */
    private final CopyGuard guard = new CopyGuard();
    private volatile boolean closed;
    /**
     * Host loopback: nothing ever goes to the DMA engine, so nothing is ever pending and a
     * mark has nothing to cover; see the constructor.
     */
    private final boolean hostLoopback;
    /** Set by close once it stops waiting: operations not yet started are skipped. */
    private volatile boolean abandoned;
    /** Set once close has done its work: nothing of this half touches the slot any more. */
    private volatile boolean ended;
    /** Operations between their last look at {@link #abandoned} and the end of their copy or stores. */
    private final AtomicInteger copying = new AtomicInteger();
    /** The last sequence number close abandoned; -1 before. Its completion unmaps the connection. */
    private volatile int abandonedLast = -1;
    private final AtomicBoolean connReleased = new AtomicBoolean();
    private final Object submitLock = new Object();
    /**
     * The sequence number of our last INIT_PEER signal not yet known complete, or -1. Such a
     * signal runs on our channel, but SCIF queues it behind the peer's RMAs, so an INIT_PEER
     * mark taken after it must cover it: {@link #fenceWait} on a peer mark also waits for this
     * one (and so maybe for a few signals issued after the mark: finite, never early). Set under
     * {@link #submitLock}, in sequence order; cleared by the signal's completion only if still its.
     */
    private final AtomicInteger lastPeerSignal = new AtomicInteger(-1);
    /** The last sequence number given out; written under {@link #submitLock}, read by marks without it. */
    private volatile int submitted;
    /** Offsets of this side's S_DMA_SUBMITTED and S_DMA_COMPLETED in the connection file. */
    private final long submittedField;
    private final long completedField;
    /** Address in this process of the endpoint's state in the fabric file, mapped while the endpoint is open. */
    private final long stateAddress;
    /** The last thread's own transfer; see {@link #threadTransfer()}. */
    private Transfer cpuTransfer;
    /** Idle operations: lock-free, since the channel thread gives them back while submitters take them. */
    private final ManyToManyConcurrentArrayQueue<CopyOp> pool = new ManyToManyConcurrentArrayQueue<>(256);
    private final ManyToManyConcurrentArrayQueue<SignalOp> signalPool = new ManyToManyConcurrentArrayQueue<>(64);

    /**
     * @param hostLoopback both ends on the host (docs/decisions.md, "host loopback"): every RMA is a
     *                     CPU copy, marks are {@link Arguments#HOST_LOOPBACK_MARK}, signals are
     *                     stored at once
     */
    EndpointRma(ShmEndpoint endpoint, Connection conn, EndpointTable table, int slot, int peerSlot, ShmNode node,
                boolean hostLoopback) {
        this.hostLoopback = hostLoopback;
        this.endpoint = endpoint;
        this.conn = conn;
        this.f = conn.file;
        this.table = table;
        this.slot = slot;
        this.peerSlot = peerSlot;
        this.waiter = node.waiter();
        this.timeoutNanos = node.options().timeoutMillis() * 1_000_000L;
        this.local = new RegisteredAddressSpace(conn, node.fabric().memory(), table, slot, guard);
        this.peer = new PeerAddressSpace(conn, node.fabric().dir());
        this.engine = node.dma();
        this.channel = engine.assign();
        this.submittedField = conn.sideField(conn.side, S_DMA_SUBMITTED);
        this.completedField = conn.sideField(conn.side, S_DMA_COMPLETED);
        this.submitted = f.getInt(submittedField);
        this.stateAddress = node.fabric().file().address(endpoint(slot) + FabricDescriptor.E_STATE);
    }

    // ---------------------------------------------------------------- windows

    long register(ByteBuffer region, long address, long length, long offset, int prot, int flags, Call call)
        throws ScifException {
        enter(call);
        try {
            return local.register(region, address, length, offset, prot, flags, call);
        } finally {
            exit();
        }
    }

    void unregister(long offset, long length, Call call) throws ScifException {
        enter(call);
        try {
            local.unregister(offset, length, call);
        } finally {
            exit();
        }
    }

    // ---------------------------------------------------------------- RMA

    /**
     * One RMA. {@code buffer} is null for readFrom/writeTo (local side in the local RAS at
     * {@code localOffset}), else the v-variant's buffer.
     *
     * <p>A CPU RMA, and a DMA one of at most {@link #INLINE_BYTES} while none of this endpoint's
     * operations is outstanding, is copied by the calling thread with its own reusable
     * {@link Transfer}; anything else is queued on the DMA channel.
     */
    void rma(boolean toRemote, long localOffset, ByteBuffer buffer, long length, long remoteOffset, int flags,
             Call call) throws ScifException {
        if (hostLoopback || (flags & Scif.RMA_USECPU) != 0) {
            cpuRma(toRemote, localOffset, buffer, length, remoteOffset, flags, call);
            return;
        }
        if (buffer != null && length <= INLINE_BYTES && copyBufferInline(toRemote, buffer, length, remoteOffset, flags,
            call)) {
            return;
        }
        enter(call);
        try {
            if (length <= INLINE_BYTES) {
                Transfer t = threadTransfer();
                resolve(t, toRemote, localOffset, buffer, length, remoteOffset, flags, true, call);
                if (copyInline(t)) {
                    release(t);
                    return;
                }
                CopyOp op = takeOp();
                t.moveTo(op.transfer); // our operations are queued: this one goes after them
                queue(op, buffer, flags, call);
                return;
            }
            CopyOp op = takeOp();
            try {
                resolve(op.transfer, toRemote, localOffset, buffer, length, remoteOffset, flags, true, call);
            } catch (ScifException e) {
                pool.offer(op);
                throw e;
            }
            queue(op, buffer, flags, call);
        } finally {
            exit();
        }
    }

    /**
     * An RMA_USECPU RMA (or any on host loopback): copied now by the calling thread, which
     * counts as a copier of the {@link #guard} instead of holding the lifecycle lock and a
     * reference on each local window: close and unregister wait for it through the guard.
     * Peer windows still get their reference, which the peer's unregister waits for.
     */
    private void cpuRma(boolean toRemote, long localOffset, ByteBuffer buffer, long length, long remoteOffset,
                        int flags, Call call) throws ScifException {
        CopyGuard.Record copier = guard.enter();
        try {
            checkUsable(call);
            if (buffer != null && length > 0 && copyWithPeer(toRemote, bufferBase(buffer), bufferIndex(buffer), length,
                remoteOffset, flags)) {
                return; // a v-variant within the peer window of the last resolve: no Transfer
            }
            Transfer t = threadTransfer();
            resolve(t, toRemote, localOffset, buffer, length, remoteOffset, flags, false, call);
            t.copyAll();
            release(t);
        } finally {
            guard.exit(copier);
        }
    }

    /**
     * readFrom/writeTo's fast path, tried before anything else (no {@link Call} is made): a CPU
     * RMA, or a DMA one of at most {@link #INLINE_BYTES} while nothing is outstanding
     * ({@link #copyInlineWithin}), whose local range lies inside the local window and whose
     * remote range lies inside the peer window of the last resolve, on a usable endpoint. Copied by the calling thread as a
     * copier of the {@link #guard}, holding the one peer reference the peer's unregister waits
     * for, in one piece. It decides nothing on failure: when it returns false it touched
     * nothing, and the caller takes the general path, which validates everything and says what
     * is wrong. Allocates nothing.
     *
     * @return whether the RMA is done
     */
    boolean copyWithin(boolean toRemote, long localOffset, long length, long remoteOffset, int flags) {
        // With RMA_USECPU the flags are valid whatever else they hold; without it, a DMA RMA
        // small enough to copy inline (SYNC and ORDERED are kept by an inline copy too).
        boolean cpu = (flags & Scif.RMA_USECPU) != 0 || hostLoopback && flags == 0;
        if (length <= 0 || !cpu && (hostLoopback || (flags & ~(Scif.RMA_SYNC | Scif.RMA_ORDERED)) != 0
            || length > INLINE_BYTES)) {
            return false;
        }
        CopyGuard.Record copier = guard.enter();
        try {
            // After entering, as the guard asks: the endpoint open and connected, the local
            // window not unregistered (local.within reads its flag).
            if (closed || endpoint.isClosed() || Memory.getIntVolatile(stateAddress) != CONNECTED) {
                return false;
            }
            long here = local.within(localOffset, length, toRemote ? Scif.PROT_READ : Scif.PROT_WRITE);
            if (here == 0) {
                return false;
            }
            return cpu ? copyWithPeer(toRemote, null, here, length, remoteOffset, flags)
                : copyInlineWithin(toRemote, null, here, length, remoteOffset, flags);
        } finally {
            guard.exit(copier);
        }
    }

    /**
     * A DMA v-variant's fast path: its buffer copied inline ({@link #copyInlineWithin}) when
     * the remote range lies inside the last peer window and nothing is outstanding.
     *
     * @return whether the RMA is done; false having touched nothing
     */
    private boolean copyBufferInline(boolean toRemote, ByteBuffer buffer, long length, long remoteOffset, int flags,
                                     Call call) throws ScifException {
        CopyGuard.Record copier = guard.enter();
        try {
            checkUsable(call); // after entering, as the guard asks
            return copyInlineWithin(toRemote, bufferBase(buffer), bufferIndex(buffer), length, remoteOffset, flags);
        } finally {
            guard.exit(copier);
        }
    }

    /**
     * The DMA fast path: {@link #copyInline} without a {@link Transfer}, for a copier of the
     * guard (which stands in for the lifecycle lock and the local reference, as for a CPU RMA:
     * the copy ends before the call returns). Taken only while nothing is outstanding, so the
     * sequence numbers still complete in order.
     *
     * @return whether the RMA is done; false having touched nothing
     */
    private boolean copyInlineWithin(boolean toRemote, Object base, long here, long length, long remoteOffset,
                                     int flags) {
        synchronized (submitLock) {
            if (!reached(f.getInt(completedField), submitted)
                || !copyWithPeer(toRemote, base, here, length, remoteOffset, flags)) {
                return false;
            }
            completeInline();
        }
        table.wakeFenceWaiters(slot);
        table.wakeFenceWaiters(peerSlot);
        return true;
    }

    /**
     * The copy of a fast path, once the caller is a copier of the {@link #guard} and has found
     * the endpoint usable and its local side ({@code base}, {@code here}: an array and an index
     * in it, or null and an address): done if the remote range lies inside the peer window of
     * the last resolve, holding the one peer reference the peer's unregister waits for.
     *
     * @return whether the RMA is done; false having touched nothing
     */
    private boolean copyWithPeer(boolean toRemote, Object base, long here, long length, long remoteOffset, int flags) {
        PeerAddressSpace.RemoteWindow w = peer.within(remoteOffset, length,
            toRemote ? Scif.PROT_WRITE : Scif.PROT_READ);
        if (w == null) {
            return false;
        }
        long e = w.entryAddress;
        Memory.addInt(e + W_RMA_REFS, 1);
        try {
            // Under the reference, as PeerAddressSpace.acquire: an unregister that raced us
            // shows here, one that did not waits for the reference (docs/shm-format.md).
            long mapped = w.address;
            if (Memory.getIntVolatile(e + W_STATE) != WINDOW_ACTIVE || Memory.getIntVolatile(e + W_GEN) != w.gen
                || mapped == 0) {
                return false;
            }
            long there = mapped + (remoteOffset - w.offset);
            if (toRemote) {
                copy(base, here, null, there, length, flags);
            } else {
                copy(null, there, base, here, length, flags);
            }
            return true;
        } finally {
            Memory.addInt(e + W_RMA_REFS, -1);
        }
    }

    /**
     * One contiguous copy; with RMA_ORDERED the destination's last cache line is written last
     * (see Transfer#copyAll, which also counts a heap destination's lines from its index 0).
     */
    private static void copy(Object fromBase, long from, Object toBase, long to, long length, int flags) {
        if ((flags & Scif.RMA_ORDERED) != 0 && length > 64) {
            long lastByte = (toBase == null ? to : 0) + length - 1;
            long head = Math.max(0, length - 1 - (lastByte & 63));
            Memory.copy(fromBase, from, toBase, to, head);
            Memory.storeFence();
            Memory.copy(fromBase, from + head, toBase, to + head, length - head);
        } else {
            Memory.copy(fromBase, from, toBase, to, length);
        }
    }

    /**
     * Resolves both sides of an RMA into {@code t}; on failure gives back what it took.
     *
     * @param holdLocal take a reference on each local window (not needed by a copier of the guard)
     */
    private void resolve(Transfer t, boolean toRemote, long localOffset, ByteBuffer buffer, long length,
                         long remoteOffset, int flags, boolean holdLocal, Call call) throws ScifException {
        t.reset(length, toRemote, flags);
        try {
            if (buffer == null) {
                local.resolve(localOffset, length, toRemote ? Scif.PROT_READ : Scif.PROT_WRITE, holdLocal, t, call);
            } else {
                t.addLocal(bufferBase(buffer), bufferIndex(buffer), length);
            }
            peer.resolve(remoteOffset, length, toRemote ? Scif.PROT_WRITE : Scif.PROT_READ, t, call);
        } catch (ScifException e) {
            release(t);
            throw e;
        }
    }

    /** @return the array behind a v-variant's buffer, or null for direct memory (see {@link Memory#copy}) */
    private static Object bufferBase(ByteBuffer buffer) {
        return buffer.isDirect() ? null : buffer.array();
    }

    /** @return where a v-variant's buffer's first remaining byte is: an address, or an index in its array */
    private static long bufferIndex(ByteBuffer buffer) {
        return buffer.isDirect() ? Memory.address(buffer) : (long) buffer.arrayOffset() + buffer.position();
    }

    /** Queues a resolved copy on the DMA channel; with RMA_SYNC, waits for it. */
    private void queue(CopyOp op, ByteBuffer buffer, int flags, Call call) throws ScifException {
        op.keep = buffer;
        int seq = submit(op, call);
        if ((flags & Scif.RMA_SYNC) != 0) {
            awaitCompletion(conn.side, seq, call);
        }
    }

    /**
     * The calling thread's transfer, for a copy made during the call: a one-entry cache in
     * front of the thread-local, as a thread-local lookup costs more than a small copy's
     * bookkeeping. The cache is shared racily, which is safe: a transfer is only ever used by
     * its owner thread, and {@link Transfer#owner} is final, so any thread reads it right.
     */
    private Transfer threadTransfer() {
        Transfer t = cpuTransfer;
        if (t == null || t.owner != Thread.currentThread()) {
            t = CPU_TRANSFER.get();
            cpuTransfer = t;
        }
        return t;
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
    private boolean copyInline(Transfer t) {
        synchronized (submitLock) {
            // Nothing outstanding (see completeInline), or the copy must queue after them.
            if (!reached(f.getInt(completedField), submitted)) {
                return false;
            }
            t.copyAll();
            completeInline();
        }
        table.wakeFenceWaiters(slot);
        table.wakeFenceWaiters(peerSlot);
        return true;
    }

    /**
     * Gives the copy just made inline the next sequence number, submitted and completed at
     * once. Under {@link #submitLock}, with nothing outstanding: the channel thread has stored
     * its last completion and will not store another of ours until we queue one, so this
     * thread owns both counters. The caller then wakes the fence waiters.
     */
    private void completeInline() {
        int seq = FenceSequence.next(submitted);
        submitted = seq;
        f.putIntOrdered(submittedField, seq);
        publishCompleted(seq);
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

    private CopyOp takeOp() {
        CopyOp op = pool.poll();
        return op != null ? op : new CopyOp();
    }

    /** Gives back every window reference and mapping use a transfer holds. */
    private void release(Transfer t) {
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

    /** Queues an operation with the next sequence number; returns that number. */
    private int submit(DmaEngine.Op op, Call call) throws ScifException {
        synchronized (submitLock) {
            int seq = FenceSequence.next(submitted);
            if (op instanceof CopyOp) {
                ((CopyOp) op).seq = seq;
            } else {
                ((SignalOp) op).seq = seq;
                if (((SignalOp) op).peerSeq >= 0) {
                    lastPeerSignal.set(seq);
                }
            }
            try {
                channel.submit(op);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw ScifException.of(call.text(), Errno.EINTR, "interrupted while the DMA channel was full");
            }
            submitted = seq;
            f.putInt(submittedField, seq);
            return seq;
        }
    }

    /** Called on the channel thread, in sequence order. */
    private void completed(int seq) {
        publishCompleted(seq);
        if (!abandoned) {
            // Once close has abandoned the rest, it has woken every waiter and the slot is about
            // to be freed (and maybe taken by another endpoint): a late completion wakes nobody.
            table.wakeFenceWaiters(slot);
            table.wakeFenceWaiters(peerSlot); // its INIT_PEER fences wait on our completions
        }
        if (seq == abandonedLast && connReleased.compareAndSet(false, true)) {
            conn.close(); // the last abandoned operation is done with the connection file: close's reference
        }
    }

    /**
     * Whether an operation may touch memory now: not once close abandoned the endpoint's
     * operations, nor when the owner of a peer window it uses has freed that window. If so, it
     * counts as copying until {@link #endCopy()}, and close waits for it (see the class comment).
     */
    private boolean beginCopy(Transfer t) {
        copying.incrementAndGet();
        if (abandoned || peerWindowFreed(t)) {
            copying.decrementAndGet();
            return false;
        }
        return true;
    }

    private void endCopy() {
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

    /** A copy on the DMA channel. */
    private final class CopyOp implements DmaEngine.Op {
        final Transfer transfer = new Transfer(null);
        int seq;
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
            completed(seq);
            pool.offer(this);
        }
    }

    // ---------------------------------------------------------------- fences

    /**
     * A mark reads counters and waits for nothing, so it runs as a copier of the {@link #guard}
     * (which keeps the connection mapped as the lifecycle lock does, without its two CASes).
     */
    int fenceMark(int flags, Call call) throws ScifException {
        CopyGuard.Record caller = guard.enter();
        try {
            checkUsable(call); // after entering, as the guard asks
            if (hostLoopback) {
                return Arguments.HOST_LOOPBACK_MARK;
            }
            if (flags == Scif.FENCE_INIT_SELF) {
                return submitted; // covers every operation queued or copied before this call
            }
            return FenceSequence.peerMark(f.getInt(conn.sideField(1 - conn.side, S_DMA_SUBMITTED)));
        } finally {
            guard.exit(caller);
        }
    }

    void fenceWait(int mark, Call call) throws ScifException {
        if (fenceReached(mark, call)) {
            return;
        }
        enter(call); // a wait that may sleep holds the lifecycle lock, which close wakes and waits for
        try {
            boolean peerMark = FenceSequence.isPeerMark(mark);
            awaitCompletion(peerMark ? 1 - conn.side : conn.side, FenceSequence.sequenceOf(mark), call);
            int peerSignal = lastPeerSignal.get();
            if (peerMark && peerSignal >= 0) {
                awaitCompletion(conn.side, peerSignal, call);
            }
        } finally {
            exit();
        }
    }

    /**
     * fenceWait's common case, as a copier of the {@link #guard} (see {@link #fenceMark}): the
     * marked operations, and for a peer mark our INIT_PEER signal before it, have completed.
     *
     * @return whether the wait is over; false when it has to wait
     */
    private boolean fenceReached(int mark, Call call) throws ScifException {
        CopyGuard.Record caller = guard.enter();
        try {
            checkUsable(call);
            if (hostLoopback) {
                Arguments.hostLoopbackFenceWait(mark, call);
                return true;
            }
            boolean peerMark = FenceSequence.isPeerMark(mark);
            long counter = peerMark ? conn.sideField(1 - conn.side, S_DMA_COMPLETED) : completedField;
            if (!reached(f.getInt(counter), FenceSequence.sequenceOf(mark))) {
                return false;
            }
            int peerSignal = lastPeerSignal.get();
            return !peerMark || peerSignal < 0 || reached(f.getInt(completedField), peerSignal);
        } finally {
            guard.exit(caller);
        }
    }

    /** Reusable per thread: waiting for a fence allocates nothing. */
    private static final class FenceCondition implements Waiter.Condition {
        EndpointRma rma;
        long counter;
        int seq;

        @Override
        public boolean ready() {
            return reached(rma.f.getInt(counter), seq) || rma.isClosed() || rma.table.state(rma.slot) != CONNECTED;
        }
    }

    private static final ThreadLocal<FenceCondition> FENCE = ThreadLocal.withInitial(FenceCondition::new);

    private void awaitCompletion(int side, int seq, Call call) throws ScifException {
        long counter = side == conn.side ? completedField : conn.sideField(side, S_DMA_COMPLETED);
        if (reached(f.getInt(counter), seq)) {
            return; // done already: no waiter needed (a fence after inline copies always is)
        }
        FenceCondition c = FENCE.get();
        c.rma = this;
        c.counter = counter;
        c.seq = seq;
        int r = waiter.await(c, endpoint(slot) + E_FENCE_SEQ, endpoint(slot) + E_FENCE_SLEEPERS,
            System.nanoTime() + timeoutNanos);
        c.rma = null;
        if (reached(f.getInt(conn.sideField(side, S_DMA_COMPLETED)), seq)) {
            return;
        }
        if (r == Waiter.INTERRUPTED) {
            throw ScifException.of(call.text(), Errno.EINTR, "interrupted while waiting for the marked RMAs");
        }
        if (isClosed()) {
            throw ScifException.of(call.text(), Errno.EINTR, "the endpoint was closed while waiting");
        }
        if (table.state(slot) != CONNECTED) {
            throw ScifException.of(call.text(), Errno.ECONNRESET, "the peer closed the connection or was lost");
        }
        throw ScifException.of(call.text(), Errno.ETIMEDOUT, "the marked RMAs did not complete within the watchdog"
            + " period (" + timeoutNanos / 1_000_000 + " ms, option timeout=)");
    }

    void fenceSignal(long localOffset, long localValue, long remoteOffset, long remoteValue, int flags, Call call)
        throws ScifException {
        enter(call);
        try {
            SignalOp op = signalPool.poll();
            op = op != null ? op : new SignalOp();
            op.localAddress = 0;
            op.remoteAddress = 0;
            op.transfer.reset(8, true, 0);
            long[] ref = SCRATCH.get();
            try {
                if ((flags & Scif.SIGNAL_LOCAL) != 0) {
                    op.localAddress = local.signalTarget(localOffset, ref, call);
                    op.transfer.refEntry[op.transfer.refs++] = ref[0];
                    op.localValue = localValue;
                }
                if ((flags & Scif.SIGNAL_REMOTE) != 0) {
                    op.remoteAddress = peer.signalTarget(remoteOffset, op.transfer, call);
                    op.remoteValue = remoteValue;
                }
            } catch (ScifException e) {
                release(op.transfer);
                signalPool.offer(op);
                throw e;
            }
            if (hostLoopback) { // nothing is pending on either side: a CPU store now (scif_fence_signal(3))
                store(op.localAddress, op.localValue);
                store(op.remoteAddress, op.remoteValue);
                release(op.transfer);
                signalPool.offer(op);
                return;
            }
            op.peerSeq = (flags & Scif.FENCE_INIT_PEER) != 0
                ? f.getInt(conn.sideField(1 - conn.side, S_DMA_SUBMITTED)) : -1;
            submit(op, call);
        } finally {
            exit();
        }
    }

    /**
     * A fence signal on the DMA channel: after the covered RMAs, stores the values.
     *
     * <p>An INIT_PEER signal waits, on our channel, for the peer's operations submitted before
     * it read the peer's counter. This cannot deadlock: every wait (for the peer's operations,
     * or for what is ahead in a FIFO channel) is for operations submitted strictly earlier than
     * the waiter, so the waits-for graph follows time backwards and has no cycle.
     */
    private final class SignalOp implements DmaEngine.Op {
        final Transfer transfer = new Transfer(null);
        int seq;
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
                c.rma = EndpointRma.this;
                c.counter = conn.sideField(1 - conn.side, S_DMA_COMPLETED);
                c.seq = peerSeq;
                waiter.await(c, endpoint(slot) + E_FENCE_SEQ, endpoint(slot) + E_FENCE_SLEEPERS, Long.MAX_VALUE);
                c.rma = null;
                write = reached(f.getInt(c.counter), peerSeq); // a lost peer's RMAs never complete
            }
            if (write && beginCopy(transfer)) {
                try {
                    store(localAddress, localValue);
                    store(remoteAddress, remoteValue);
                } finally {
                    endCopy();
                }
            }
            release(transfer);
            completed(seq);
            lastPeerSignal.compareAndSet(seq, -1);
            signalPool.offer(this);
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

    // ---------------------------------------------------------------- mmap

    Mapping mmap(long remoteOffset, long length, int prot, Call call) throws ScifException {
        enter(call);
        try {
            PeerAddressSpace.RemoteWindow[] run = peer.forMapping(remoteOffset, length, prot, call);
            return ShmMapping.map(conn, peer, run, remoteOffset, length, prot, call);
        } finally {
            exit();
        }
    }

    // ---------------------------------------------------------------- lifecycle

    /** @return whether the endpoint is closed or closing (its close marks it before freeing its slot) */
    private boolean isClosed() {
        return closed || endpoint.isClosed();
    }

    /** Starts a call: the endpoint must be open and CONNECTED (verify_epd). Pair with {@link #exit()}. */
    private void enter(Call call) throws ScifException {
        lifecycle.readLock();
        try {
            checkUsable(call);
        } catch (ScifException e) {
            lifecycle.tryUnlockRead();
            throw e;
        }
    }

    /** EBADF once closed, ECONNRESET or ENOTCONN unless CONNECTED; under the lifecycle lock or the guard. */
    private void checkUsable(Call call) throws ScifException {
        // The endpoint's own flag too: once its close has begun, the state read from the slot
        // is no longer this endpoint's to report (close frees the slot after this half ends).
        if (closed || endpoint.isClosed()) {
            throw ScifException.of(call.text(), Errno.EBADF, "the endpoint is closed");
        }
        int state = table.state(slot);
        if (state != CONNECTED) {
            throw state == FabricDescriptor.DISCONNECTED
                ? ScifException.of(call.text(), Errno.ECONNRESET, "the peer closed the connection or was lost")
                : ScifException.of(call.text(), Errno.ENOTCONN, "the endpoint is "
                    + FabricDescriptor.stateName(state) + "; expected CONNECTED");
        }
    }

    private void exit() {
        lifecycle.tryUnlockRead();
    }

    /**
     * Ends RMA on this endpoint: waits for calls in progress and for the DMA channel to finish
     * the endpoint's operations, unregisters every window and drops the peer mappings.
     */
    void close() {
        closed = true;
        table.signal(slot); // wakes fence and SYNC waiters, who see `closed`
        long stamp = lifecycle.writeLock();
        try {
            guard.await(); // CPU copies in progress end; later ones see `closed` and touch nothing
            int last;
            synchronized (submitLock) {
                last = submitted;
            }
            long deadline = System.nanoTime() + timeoutNanos;
            while (!reached(f.getInt(completedField), last) && System.nanoTime() - deadline < 0) {
                Thread.yield(); // the channel runs our queued operations to the end
            }
            if (!reached(f.getInt(completedField), last)) {
                // Past the watchdog: skip what has not started, wait for what is copying (a copy
                // is finite), and keep the connection mapped for the skipped operations'
                // bookkeeping until the last of them is done (see the class comment).
                conn.retain();
                abandonedLast = last;
                abandoned = true;
                if (reached(f.getInt(completedField), last) && connReleased.compareAndSet(false, true)) {
                    conn.close(); // it completed meanwhile, before it could see abandonedLast
                }
                while (copying.get() > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(100_000);
                }
            }
            local.clear(peerSlot, deadline); // also waits, within the same watchdog, for the peer's RMAs
            peer.clear();
            ended = true; // before the endpoint frees its slot (ShmEndpoint.close)
        } finally {
            lifecycle.unlockWrite(stamp);
        }
    }

    /** @return whether {@link #close()} has ended this half (the endpoint frees its slot only after) */
    boolean isEnded() {
        return ended;
    }

    @Override
    public String toString() {
        return "EndpointRma[" + endpoint + ", submitted " + submitted + "]";
    }
}
