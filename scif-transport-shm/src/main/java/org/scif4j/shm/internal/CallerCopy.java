package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.ConnectionDescriptor.WINDOW_ACTIVE;
import static org.scif4j.shm.internal.ConnectionDescriptor.W_GEN;
import static org.scif4j.shm.internal.ConnectionDescriptor.W_RMA_REFS;
import static org.scif4j.shm.internal.ConnectionDescriptor.W_STATE;
import static org.scif4j.shm.internal.FabricDescriptor.CONNECTED;

import java.nio.ByteBuffer;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.spi.Call;

/**
 * The RMAs the calling thread copies itself, as a copier of the endpoint's {@link CopyGuard}
 * (which stands in for the lifecycle lock and a reference on each local window: close and
 * unregister wait for the guard's copiers): an RMA_USECPU one (or any on host loopback), and
 * the fast paths of a copy inside one window on each side, which build no call state. A DMA
 * RMA small enough is copied here too while nothing of the endpoint is outstanding, as the
 * channel's next operation ({@link DmaSequence#copyInline}).
 *
 * <p>On the fast paths ({@link #copyWithPeer}) the peer window is announced by the thread's
 * copier record in the connection file, two release stores, which the peer's unregister waits
 * for after a {@code membarrier} (docs/shm-format.md, "Copier records"); the general path
 * takes an RMA reference on each peer window (two atomic adds), as a thread without a copier
 * number does.
 */
final class CallerCopy {
    /** Whether another process's membarrier covers our threads, so a record needs no fence of ours. */
    private static final boolean ASYMMETRIC = Futex.fencedByEveryProcess();
    private static final long COUNT = 1L << 32;

    private static final ThreadLocal<Transfer> CPU_TRANSFER =
        ThreadLocal.withInitial(() -> new Transfer(Thread.currentThread()));

    private final EndpointRma rma;
    private final ShmEndpoint endpoint;
    private final CopyGuard guard;
    private final RegisteredAddressSpace local;
    private final PeerAddressSpace peer;
    private final DmaSequence sequence;
    private final boolean hostLoopback;
    /** Address in this process of the endpoint's state in the fabric file, mapped while the endpoint is open. */
    private final long stateAddress;
    /** The last thread's own transfer; see {@link #threadTransfer()}. */
    private Transfer cpuTransfer;

    CallerCopy(EndpointRma rma, DmaSequence sequence) {
        this.rma = rma;
        this.endpoint = rma.endpoint;
        this.guard = rma.guard;
        this.local = rma.local;
        this.peer = rma.peer;
        this.sequence = sequence;
        this.hostLoopback = rma.hostLoopback;
        this.stateAddress = rma.stateAddress;
    }

    /**
     * An RMA_USECPU RMA (or any on host loopback): copied now by the calling thread, which
     * counts as a copier of the {@link #guard} instead of holding the lifecycle lock and a
     * reference on each local window: close and unregister wait for it through the guard.
     * Peer windows still get their reference, which the peer's unregister waits for.
     */
    void cpuRma(boolean toRemote, long localOffset, ByteBuffer buffer, long length, long remoteOffset, int flags,
                Call call) throws ScifException {
        CopyGuard.Record copier = guard.enter();
        try {
            rma.checkUsable(call);
            if (buffer != null && length > 0 && copyWithPeer(copier, toRemote, EndpointRma.bufferBase(buffer),
                EndpointRma.bufferIndex(buffer), length, remoteOffset, flags)) {
                return; // a v-variant within the peer window of the last resolve: no Transfer
            }
            Transfer t = threadTransfer();
            rma.resolve(t, toRemote, localOffset, buffer, length, remoteOffset, flags, false, call);
            t.copyAll();
            sequence.release(t);
        } finally {
            guard.exit(copier);
        }
    }

    /**
     * readFrom/writeTo's fast path, tried before anything else (no {@link Call} is made): a CPU
     * RMA, or a DMA one of at most {@link EndpointRma#INLINE_BYTES} while nothing is outstanding
     * ({@link #copyInlineWithin}), whose local range lies inside the local window and whose
     * remote range lies inside the peer window of the last resolve, on a usable endpoint.
     * Copied by the calling thread as a copier of the {@link #guard}, holding the one peer
     * reference the peer's unregister waits for, in one piece. It decides nothing on failure:
     * when it returns false it touched nothing, and the caller takes the general path, which
     * validates everything and says what is wrong. Allocates nothing.
     *
     * @return whether the RMA is done
     */
    boolean copyWithin(boolean toRemote, long localOffset, long length, long remoteOffset, int flags) {
        // With RMA_USECPU the flags are valid whatever else they hold; without it, a DMA RMA
        // small enough to copy inline (SYNC and ORDERED are kept by an inline copy too).
        boolean cpu = (flags & Scif.RMA_USECPU) != 0 || hostLoopback && flags == 0;
        if (length <= 0 || !cpu && (hostLoopback || (flags & ~(Scif.RMA_SYNC | Scif.RMA_ORDERED)) != 0
            || length > EndpointRma.INLINE_BYTES)) {
            return false;
        }
        CopyGuard.Record copier = guard.enter();
        try {
            // After entering, as the guard asks: the endpoint open and connected, the local
            // window not unregistered (local.within reads its flag).
            if (rma.isClosed() || Memory.getIntVolatile(stateAddress) != CONNECTED) {
                return false;
            }
            long here = local.within(localOffset, length, toRemote ? Scif.PROT_READ : Scif.PROT_WRITE);
            if (here == 0) {
                return false;
            }
            return cpu ? copyWithPeer(copier, toRemote, null, here, length, remoteOffset, flags)
                : copyInlineWithin(copier, toRemote, null, here, length, remoteOffset, flags);
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
    boolean copyBufferInline(boolean toRemote, ByteBuffer buffer, long length, long remoteOffset, int flags,
                             Call call) throws ScifException {
        CopyGuard.Record copier = guard.enter();
        try {
            rma.checkUsable(call); // after entering, as the guard asks
            return copyInlineWithin(copier, toRemote, EndpointRma.bufferBase(buffer), EndpointRma.bufferIndex(buffer),
                length, remoteOffset, flags);
        } finally {
            guard.exit(copier);
        }
    }

    /**
     * The DMA fast path: {@link DmaSequence#copyInline} without a {@link Transfer}, for a
     * copier of the guard (which stands in for the lifecycle lock and the local reference, as
     * for a CPU RMA: the copy ends before the call returns). Taken only while nothing is
     * outstanding, so the sequence numbers still complete in order.
     *
     * @return whether the RMA is done; false having touched nothing
     */
    private boolean copyInlineWithin(CopyGuard.Record copier, boolean toRemote, Object base, long here, long length,
                                     long remoteOffset, int flags) {
        synchronized (sequence.submitLock) {
            if (!sequence.idleLocked() || !copyWithPeer(copier, toRemote, base, here, length, remoteOffset, flags)) {
                return false;
            }
            sequence.completeInlineLocked();
        }
        sequence.wakeFenceWaiters();
        return true;
    }

    /**
     * The copy of a fast path, once the caller is a copier of the {@link #guard} and has found
     * the endpoint usable and its local side ({@code base}, {@code here}: an array and an index
     * in it, or null and an address): done if the remote range lies inside the peer window of
     * the last resolve, announced by the thread's copier record (or, for a thread without a
     * copier number, an RMA reference), which the peer's unregister waits for.
     *
     * <p><b>Invariant</b> (docs/shm-format.md, "Copier records"): the record is stored before
     * the entry's state and generation are read, and cleared after the copy. The peer's
     * unregister stores the state first, then runs a {@code membarrier}, then waits for every
     * record naming the entry. If our store came before the barrier's point on this thread, the
     * peer sees the record and waits for the copy; if after, so did our reads (the off-heap
     * accesses are ordered for the compiler: the JIT surrounds each with a CPU-order barrier),
     * which see the unregistered state or another generation, and nothing is copied. A process
     * that is not covered by the expedited barrier fences after the store instead.
     *
     * @return whether the RMA is done; false having touched nothing
     */
    private boolean copyWithPeer(CopyGuard.Record copier, boolean toRemote, Object base, long here, long length,
                                 long remoteOffset, int flags) {
        PeerAddressSpace.RemoteWindow w = peer.within(remoteOffset, length,
            toRemote ? Scif.PROT_WRITE : Scif.PROT_READ);
        if (w == null) {
            return false;
        }
        if (copier.copier < 0) {
            return copyReferenced(w, toRemote, base, here, length, remoteOffset, flags);
        }
        long record = peer.copierRecord(copier.copier);
        long ended = Memory.getLongVolatile(record) & -COUNT; // our own line: only this thread writes it
        Memory.putLongOrdered(record, ended | (w.entry + 1));
        if (!ASYMMETRIC) {
            Memory.fullFence();
        }
        try {
            return copyChecked(w, toRemote, base, here, length, remoteOffset, flags);
        } finally {
            Memory.putLongOrdered(record, ended + COUNT); // after the copy's accesses
        }
    }

    /** {@link #copyWithPeer} for a thread without a copier number: under an RMA reference on the entry. */
    private boolean copyReferenced(PeerAddressSpace.RemoteWindow w, boolean toRemote, Object base, long here,
                                   long length, long remoteOffset, int flags) {
        long e = w.entryAddress;
        Memory.addInt(e + W_RMA_REFS, 1);
        try {
            return copyChecked(w, toRemote, base, here, length, remoteOffset, flags);
        } finally {
            Memory.addInt(e + W_RMA_REFS, -1);
        }
    }

    /**
     * The copy, once announced: only if the entry is still the active window it was (an
     * unregister that raced us shows here, one that did not waits for our announcement).
     */
    private static boolean copyChecked(PeerAddressSpace.RemoteWindow w, boolean toRemote, Object base, long here,
                                       long length, long remoteOffset, int flags) {
        long e = w.entryAddress;
        long mapped = w.address;
        if (Memory.getIntVolatile(e + W_STATE) != WINDOW_ACTIVE || Memory.getIntVolatile(e + W_GEN) != w.gen
            || mapped == 0) {
            return false;
        }
        CrashPoint.at("rma.copy-checked");
        long there = mapped + (remoteOffset - w.offset);
        if (toRemote) {
            copy(base, here, null, there, length, flags);
        } else {
            copy(null, there, base, here, length, flags);
        }
        return true;
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
     * The calling thread's transfer, for a copy made during the call: a one-entry cache in
     * front of the thread-local, as a thread-local lookup costs more than a small copy's
     * bookkeeping. The cache is shared racily, which is safe: a transfer is only ever used by
     * its owner thread, and {@link Transfer#owner} is final, so any thread reads it right.
     */
    Transfer threadTransfer() {
        Transfer t = cpuTransfer;
        if (t == null || t.owner != Thread.currentThread()) {
            t = CPU_TRANSFER.get();
            cpuTransfer = t;
        }
        return t;
    }
}
