package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.FabricDescriptor.CONNECTED;
import static org.scif4j.shm.internal.FabricDescriptor.endpoint;

import java.nio.ByteBuffer;
import java.util.concurrent.locks.StampedLock;
import org.scif4j.Errno;
import org.scif4j.Mapping;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.spi.Arguments;
import org.scif4j.spi.Call;

/**
 * The RMA half of a connected endpoint: its registered address space, its view of the peer's,
 * and the calls on them, each checked against the endpoint's lifecycle. The work is done by
 * three parts: {@link DmaSequence} (the DMA operations in sequence order, on the endpoint's
 * one channel), {@link CallerCopy} (the RMAs the calling thread copies itself) and
 * {@link EndpointFences} (marks, waits and signals).
 *
 * <p>A small DMA RMA issued while nothing is outstanding is copied by the caller instead, as
 * if it were the channel's next operation ({@link DmaSequence#copyInline}). A mark is a
 * sequence number (with bit 31 for the peer's). A transfer holds an RMA reference on every
 * window it touches from resolution to completion, and unregister waits for those references
 * to drop, so no copy outlives its windows.
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
     * outstanding ({@link DmaSequence#copyInline}). An in-cache copy of 64 KiB takes 1-2
     * microseconds, no more than handing an operation to a channel thread and waiting for its
     * completion costs on this kind of machine (about 3 microseconds measured with 4 KiB), so
     * the caller gets its RMA done no later; larger ones go to the channel, which can split them.
     */
    static final long INLINE_BYTES = 64 << 10;

    final ShmEndpoint endpoint;
    final Connection conn;
    final EndpointTable table;
    final int slot;
    private final int peerSlot;
    final Waiter waiter;
    final long timeoutNanos;
    final RegisteredAddressSpace local;
    final PeerAddressSpace peer;
    /**
     * Read-held by every call but those made as copiers of the {@link #guard}; write-held by
     * close, which then waits for the guard's copiers, drains and unmaps. While a call holds it
     * (or is a copier) the endpoint is not closed, so the fabric and connection files stay mapped.
     */
    private final StampedLock lifecycle = new StampedLock();
    /** The copies callers make during their call, which close and unregister wait for. */
    final CopyGuard guard = new CopyGuard();
    private volatile boolean closed;
    /**
     * Host loopback: nothing ever goes to the DMA engine, so nothing is ever pending and a
     * mark has nothing to cover; see the constructor.
     */
    final boolean hostLoopback;
    /** Set once close has done its work: nothing of this half touches the slot any more. */
    private volatile boolean ended;
    /** Address in this process of the endpoint's state in the fabric file, mapped while the endpoint is open. */
    final long stateAddress;
    private final DmaSequence sequence;
    private final CallerCopy caller;
    private final EndpointFences fences;

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
        this.table = table;
        this.slot = slot;
        this.peerSlot = peerSlot;
        this.waiter = node.waiter();
        this.timeoutNanos = node.options().timeoutMillis() * 1_000_000L;
        this.local = new RegisteredAddressSpace(conn, node.fabric().memory(), table, slot, guard);
        this.peer = new PeerAddressSpace(conn, node.fabric().dir());
        this.stateAddress = node.fabric().file().address(endpoint(slot) + FabricDescriptor.E_STATE);
        this.sequence = new DmaSequence(conn, table, slot, peerSlot, peer, node.dma());
        // last: the parts copy the fields above
        this.caller = new CallerCopy(this, sequence);
        this.fences = new EndpointFences(this, sequence);
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
     * {@link Transfer} ({@link CallerCopy}); anything else is queued on the DMA channel.
     */
    void rma(boolean toRemote, long localOffset, ByteBuffer buffer, long length, long remoteOffset, int flags,
             Call call) throws ScifException {
        if (hostLoopback || (flags & Scif.RMA_USECPU) != 0) {
            caller.cpuRma(toRemote, localOffset, buffer, length, remoteOffset, flags, call);
            return;
        }
        if (buffer != null && length <= INLINE_BYTES
            && caller.copyBufferInline(toRemote, buffer, length, remoteOffset, flags, call)) {
            return;
        }
        enter(call);
        try {
            if (length <= INLINE_BYTES) {
                Transfer t = caller.threadTransfer();
                resolve(t, toRemote, localOffset, buffer, length, remoteOffset, flags, true, call);
                if (sequence.copyInline(t)) {
                    sequence.release(t);
                    return;
                }
                DmaSequence.CopyOp op = sequence.takeOp();
                t.moveTo(op.transfer); // our operations are queued: this one goes after them
                queue(op, buffer, flags, call);
                return;
            }
            DmaSequence.CopyOp op = sequence.takeOp();
            try {
                resolve(op.transfer, toRemote, localOffset, buffer, length, remoteOffset, flags, true, call);
            } catch (ScifException e) {
                sequence.giveBack(op);
                throw e;
            }
            queue(op, buffer, flags, call);
        } finally {
            exit();
        }
    }

    /** readFrom/writeTo's fast path ({@link CallerCopy#copyWithin}): whether the RMA is done. */
    boolean copyWithin(boolean toRemote, long localOffset, long length, long remoteOffset, int flags) {
        return caller.copyWithin(toRemote, localOffset, length, remoteOffset, flags);
    }

    /** Queues a resolved copy on the DMA channel; with RMA_SYNC, waits for it. Under the lifecycle lock. */
    private void queue(DmaSequence.CopyOp op, ByteBuffer buffer, int flags, Call call) throws ScifException {
        int seq = sequence.queue(op, buffer, call);
        if ((flags & Scif.RMA_SYNC) != 0) {
            fences.awaitCompletion(conn.side, seq, call);
        }
    }

    /**
     * Resolves both sides of an RMA into {@code t}; on failure gives back what it took.
     *
     * @param holdLocal take a reference on each local window (not needed by a copier of the guard)
     */
    void resolve(Transfer t, boolean toRemote, long localOffset, ByteBuffer buffer, long length,
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
            sequence.release(t);
            throw e;
        }
    }

    /** @return the array behind a v-variant's buffer, or null for direct memory (see {@link Memory#copy}) */
    static Object bufferBase(ByteBuffer buffer) {
        return buffer.isDirect() ? null : buffer.array();
    }

    /** @return where a v-variant's buffer's first remaining byte is: an address, or an index in its array */
    static long bufferIndex(ByteBuffer buffer) {
        return buffer.isDirect() ? Memory.address(buffer) : (long) buffer.arrayOffset() + buffer.position();
    }

    // ---------------------------------------------------------------- fences

    int fenceMark(int flags, Call call) throws ScifException {
        return fences.mark(flags, call);
    }

    void fenceWait(int mark, Call call) throws ScifException {
        if (fences.reached(mark, call)) {
            return;
        }
        enter(call); // a wait that may sleep holds the lifecycle lock, which close wakes and waits for
        try {
            fences.await(mark, call);
        } finally {
            exit();
        }
    }

    void fenceSignal(long localOffset, long localValue, long remoteOffset, long remoteValue, int flags, Call call)
        throws ScifException {
        enter(call);
        try {
            fences.signal(localOffset, localValue, remoteOffset, remoteValue, flags, call);
        } finally {
            exit();
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

    /** @return the endpoint's DMA operations in sequence order */
    DmaSequence sequence() {
        return sequence;
    }

    /** @return whether the endpoint is closed or closing (its close marks it before freeing its slot) */
    boolean isClosed() {
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
    void checkUsable(Call call) throws ScifException {
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
            guard.await(); // copies in progress end; later ones see `closed` and touch nothing
            long deadline = System.nanoTime() + timeoutNanos;
            sequence.drain(deadline); // the queued operations, or abandons them past the watchdog
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
        return "EndpointRma[" + endpoint + ", " + sequence + "]";
    }
}
