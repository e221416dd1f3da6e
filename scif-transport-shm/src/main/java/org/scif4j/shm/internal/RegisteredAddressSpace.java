package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.ConnectionDescriptor.*;

import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.concurrent.locks.LockSupport;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.spi.AbstractWindow;
import org.scif4j.spi.Call;
import org.scif4j.spi.WindowSet;

/**
 * An endpoint's own registered address space (RAS): its windows, by offset, each published in
 * this side's window table of the connection file so that the peer can find and reach it.
 * A window whose unregistration is pending (the peer still maps it) keeps its range reserved.
 *
 * <p>The RAS is [0, 2^63). A window may end exactly at 2^63, where {@code offset + length}
 * overflows, so range arithmetic here uses last bytes ({@code offset + length - 1}).
 */
final class RegisteredAddressSpace {
    private static final long UNREGISTER_WAIT_NANOS = 10_000_000_000L;
    /** How long a wait for RMA references yields before it sleeps between readings. */
    private static final long YIELD_NANOS = 50_000L;
    /** The sleep between readings after that: the most it adds to an unregister or close. */
    private static final long SLEEP_STEP_NANOS = 100_000L;

    /** One window. */
    static final class Window extends AbstractWindow {
        /** Address of the window's first byte in this process. */
        final long address;
        final MemoryRegistry.Range range;
        final int entry;
        final int gen;
        /** Keeps the registered buffer from being freed by the GC while registered. */
        final ByteBuffer keep;
        volatile boolean unregistered;
        /**
         * Unregister saw its RMA references drop to zero after marking it: every RMA that
         * resolved it in time has completed, and any reference taken since is transient (a call
         * that fails at once with ENXIO, see PeerAddressSpace.acquire). Guarded by the space.
         */
        boolean drained;

        Window(long offset, long length, int prot, long address, MemoryRegistry.Range range, int entry, int gen,
               ByteBuffer keep) {
            super(offset, length, prot);
            this.address = address;
            this.range = range;
            this.entry = entry;
            this.gen = gen;
            this.keep = keep;
        }

        @Override
        public boolean unregistered() {
            return unregistered;
        }
    }

    private final Connection conn;
    private final SharedFile f;
    private final MemoryRegistry registry;
    private final EndpointTable table;
    private final int slot;
    /** The windows; RMA lookups search its snapshot, replaced whenever the set changes. */
    private final WindowSet<Window> windows = new WindowSet<>();
    private final BitSet usedEntries = new BitSet(MAX_WINDOWS);
    /** The endpoint's CPU copies, which hold no reference on our windows: unregister waits for them. */
    private final CopyGuard guard;
    /**
     * The window the last resolve found, for {@link #within}. Needs no version: a window
     * leaves the set only after it is marked unregistered, so one not marked is still in it.
     */
    private volatile Window last;

    RegisteredAddressSpace(Connection conn, MemoryRegistry registry, EndpointTable table, int slot, CopyGuard guard) {
        this.guard = guard;
        this.conn = conn;
        this.f = conn.file;
        this.registry = registry;
        this.table = table;
        this.slot = slot;
    }

    /** scif_register, after the caller validated the arguments and the state. */
    synchronized long register(ByteBuffer region, long address, long length, long offset, int prot, int flags,
                               Call call) throws ScifException {
        reclaim();
        long at;
        if ((flags & Scif.MAP_FIXED) != 0) {
            Window w = windows.overlapping(offset, length);
            if (w != null) {
                throw ScifException.of(call.text(), Errno.EADDRINUSE, "[" + offset + ", " + Long.toUnsignedString(offset + length)
                    + ") overlaps the window at " + w.offset + " (" + w.length + " bytes"
                    + (w.unregistered ? ", unregistered but still mapped by the peer or in use by its RMAs" : "") + ")");
            }
            at = offset;
        } else {
            at = windows.highestFree(length);
            if (at < 0) {
                throw ScifException.of(call.text(), Errno.ENOMEM, "no free range of " + length + " bytes in the"
                    + " registered address space");
            }
        }
        int entry = usedEntries.nextClearBit(0);
        if (entry >= MAX_WINDOWS) {
            throw ScifException.of(call.text(), Errno.ENOMEM, "an endpoint has at most " + MAX_WINDOWS + " windows");
        }
        MemoryRegistry.Range range = registry.pin(address, length, (prot & Scif.PROT_WRITE) != 0, call);
        usedEntries.set(entry);
        long e = conn.window(conn.side, entry);
        int gen = f.addInt(e + W_GEN, 1);
        f.putInt(e + W_PROT, prot);
        f.putLong(e + W_OFFSET, at);
        f.putLong(e + W_LENGTH, length);
        f.putInt(e + W_FILE_PID, range.pid);
        f.putInt(e + W_FILE_SEQ, range.seq);
        f.putLong(e + W_FILE_OFFSET, range.fileOffset + (address - range.address));
        // W_RMA_REFS is never reset: a transient reference taken on the entry's last window may
        // still be released, and must not leave this window's count below its true value.
        f.putInt(e + W_MAP_REFS, 0);
        f.putInt(e + W_STATE, WINDOW_ACTIVE); // last: the peer reads the fields after seeing it
        windows.add(new Window(at, length, prot, address, range, entry, gen, region));
        bumpVersion();
        return at;
    }

    private void bumpVersion() {
        f.addInt(conn.sideField(conn.side, S_RAS_VERSION), 1);
    }

    /** scif_unregister, after the caller validated the arguments and the state. */
    synchronized void unregister(long offset, long length, Call call) throws ScifException {
        for (Window w : windows.wholeRun(offset, length, call)) {
            retire(w);
        }
        bumpVersion();
    }

    /**
     * Marks a window unregistered; RMAs in flight on it first run to completion against its
     * memory (as long as the peer is connected: a lost peer's references never drop), then it
     * is freed unless still referenced.
     *
     * <p><b>Invariant:</b> a window entry is freed (and may be reused by another window) only
     * when no RMA and no mapping references it (scif_unregister(3): the window lives on, pinned, with
     * its range reserved, while an in-flight RMA or a peer mapping references it). Freeing it
     * earlier would let a late RMA's reference release land on the entry's next window, whose
     * count would then under-read and let its unregister free it under a running copy.
     * {@link #reclaim()} frees it once the references are gone; close frees everything.
     */
    private void retire(Window w) {
        long e = conn.window(conn.side, w.entry);
        w.unregistered = true;
        f.putInt(e + W_STATE, WINDOW_UNREGISTERED);
        guard.await(); // our CPU copies that saw the window registered are done; later ones fail
        long deadline = System.nanoTime() + UNREGISTER_WAIT_NANOS;
        Futex.fenceEveryProcess(); // the peer's copier records: see awaitNoCopiers
        w.drained = awaitNoCopiers(w.entry, -1, deadline) && awaitNoRmaReferences(e, -1, deadline);
        if (unreferenced(w)) {
            free(w);
        }
    }

    /**
     * Waits until no copier record of the peer's side names our entry {@code entry}: each
     * record seen naming it is waited for until its word changes (the copy ended; a new copy
     * counts as a change, so copies on and on cannot starve this), as long as the peer can
     * still clear it and until {@code deadline}. The caller has marked the entry unregistered
     * and then run {@link Futex#fenceEveryProcess()}.
     *
     * <p><b>Invariant</b> (docs/shm-format.md, "Copier records"): a copier stores its record,
     * then reads the entry's state, and copies only if it is still active. Our barrier makes
     * each of the peer's threads pass a full barrier at some point: a record stored before that
     * point is visible to the scan below, which waits for it; one stored after it is followed
     * by a read of the state that sees our mark (stored before the barrier), so that copier
     * copies nothing. A copier that dies mid-copy leaves its record; its death disconnects our
     * endpoint (reaping), which ends the wait.
     *
     * @param peerSlot as for {@link #awaitNoRmaReferences}
     * @return whether every record naming the entry was seen to change
     */
    private boolean awaitNoCopiers(int entry, int peerSlot, long deadline) {
        long records = ConnectionDescriptor.copiers(1 - conn.side, conn.ringSize);
        for (int i = 0; i < COPIERS; i++) {
            long at = records + (long) i * COPIER_RECORD;
            long word = f.getLong(at);
            if ((int) word != entry + 1) {
                continue;
            }
            long start = System.nanoTime();
            while (f.getLong(at) == word) {
                if (!waitMore(peerSlot, deadline, start)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Whether one of the peer's copier records names our entry {@code entry}. */
    private boolean copying(int entry) {
        long records = ConnectionDescriptor.copiers(1 - conn.side, conn.ringSize);
        for (int i = 0; i < COPIERS; i++) {
            if ((int) f.getLong(records + (long) i * COPIER_RECORD) == entry + 1) {
                return true;
            }
        }
        return false;
    }

    /**
     * One step of a wait for the peer's copies: false when the peer can no longer end them
     * (our connection gone) or the deadline passed, else yields or sleeps a little and true.
     */
    private boolean waitMore(int peerSlot, long deadline, long start) {
        boolean peerCanRelease = peerSlot < 0 ? table.state(slot) == FabricDescriptor.CONNECTED
            : table.connectionId(peerSlot) == conn.id;
        long now = System.nanoTime();
        if (!peerCanRelease || now - deadline >= 0) {
            return false;
        }
        if (now - start < YIELD_NANOS) {
            Thread.yield();
        } else {
            LockSupport.parkNanos(this, SLEEP_STEP_NANOS);
        }
        return true;
    }

    /**
     * Waits until the entry's RMA references are seen at zero once, after its state was marked
     * unregistered: as long as the peer can still drop them and until {@code deadline}.
     *
     * <p><b>Invariant:</b> one zero reading suffices. Every reference holder (the peer's
     * transfers, its fast path, our own holds) takes its reference first and then re-reads the
     * state; a reference taken after the state changed is transient (its holder fails at once
     * and copies nothing). So the count must not be read a second time to decide: a transient
     * reference may lift it above zero again, and a window judged undrained for it would keep
     * its range reserved ({@code EADDRINUSE} on the next {@code MAP_FIXED} register of that
     * range) for as long as the transient holder is descheduled.
     *
     * <p>The holders live in other processes and signal nothing when they drop a reference, so
     * this polls: yielding first (a transfer in flight is usually microseconds from its end),
     * then sleeping in short steps, which bounds both the CPU burnt and the delay added.
     *
     * @param peerSlot the peer endpoint's slot, whose connection must stay ours; -1 to ask
     *                 instead that our own slot stays connected
     * @return whether the references were seen at zero
     */
    private boolean awaitNoRmaReferences(long e, int peerSlot, long deadline) {
        long start = System.nanoTime();
        while (f.getInt(e + W_RMA_REFS) > 0) {
            if (!waitMore(peerSlot, deadline, start)) {
                return false;
            }
        }
        return true;
    }

    /**
     * No mapping references the window, nor any RMA that may copy: a drained window's RMA
     * references and copier records are transient ones that touch no memory, and since an
     * entry's count is never reset (see register) their release cannot skew the entry's next
     * window. (An undrained window's records are read without another barrier: the one retire
     * ran after marking it already makes every copier that starts later see the mark.)
     */
    private boolean unreferenced(Window w) {
        long e = conn.window(conn.side, w.entry);
        return f.getInt(e + W_MAP_REFS) == 0
            && (w.drained || f.getInt(e + W_RMA_REFS) == 0 && !copying(w.entry));
    }

    private void free(Window w) {
        free(w, false);
    }

    /**
     * @param pinned whether the peer still maps the window (at close only: otherwise a mapped
     *               window is not freed): its memory then stays the very memory the peer's
     *               mapping shows ({@link MemoryRegistry#release(MemoryRegistry.Range, boolean)})
     */
    private void free(Window w, boolean pinned) {
        if (last == w) {
            last = null; // nor keep its buffer reachable (it is unregistered: the fast path declines it anyway)
        }
        windows.remove(w);
        f.putInt(conn.window(conn.side, w.entry) + W_STATE, WINDOW_FREE);
        usedEntries.clear(w.entry);
        registry.release(w.range, pinned);
    }

    /** Frees unregistered windows nothing references any more (see {@link #unreferenced}). */
    private void reclaim() {
        for (Window w : windows.all()) {
            if (w.unregistered && unreferenced(w)) {
                free(w);
            }
        }
    }

    /**
     * The fast path's lookup, for a copier of the guard (which checks {@code unregistered} after
     * it entered, as the guard's protocol asks): the window of the last resolve if it holds all
     * of {@code [offset, offset+length)} with the rights asked for, still registered; else null
     * (the caller then takes {@link #resolve}, which finds the window or says what is wrong).
     *
     * @return the address of {@code offset} in this process, or 0
     */
    long within(long offset, long length, int needProt) {
        Window w = last;
        if (w == null || w.unregistered || offset < w.offset || offset - w.offset > w.length - length
            || (w.prot & needProt) != needProt) {
            return 0;
        }
        return w.address + (offset - w.offset);
    }

    /**
     * Resolves {@code [offset, offset+length)} into the transfer's local pieces, checking
     * protection, and takes an RMA reference on each window unless the caller is a copier of
     * the guard (which unregister waits for instead; it sees {@code unregistered} set first).
     */
    void resolve(long offset, long length, int needProt, boolean hold, Transfer t, Call call) throws ScifException {
        long pos = offset;
        long remaining = length;
        WindowSet.Snapshot<Window> idx = windows.snapshot();
        int i = offset < 0 ? -1 : idx.floor(offset);
        Window w = idx.at(i);
        while (remaining > 0) {
            if (w == null || w.unregistered || w.offset > pos || w.last() < pos) {
                throw noWindow(call, "local", pos, offset, length);
            }
            if ((w.prot & needProt) != needProt) {
                throw ScifException.of(call.text(), Errno.EPERM, "the local window at " + w.offset + " lacks "
                    + protName(needProt) + " (it has " + protName(w.prot) + ")");
            }
            if (t.localPieces == Transfer.MAX_PIECES) {
                throw ScifException.of(call.text(), Errno.ENOMEM, "the range crosses more than " + Transfer.MAX_PIECES + " windows");
            }
            if (hold) {
                hold(w, t, call);
            }
            long n = Math.min(remaining, w.last() - pos + 1);
            t.addLocal(null, w.address + (pos - w.offset), n);
            remaining -= n;
            pos += n;
            last = w;
            w = idx.at(++i); // the next window must start exactly at pos: checked above
        }
    }

    /**
     * Takes an RMA reference on the window's entry for the transfer, then re-checks it. Lookups
     * run without the lock, on the index snapshot: an unregister that raced us, or a reuse of
     * the entry, shows here, and an unregister that did not waits for our reference to drop.
     */
    private void hold(Window w, Transfer t, Call call) throws ScifException {
        long e = conn.window(conn.side, w.entry);
        f.addInt(e + W_RMA_REFS, 1);
        t.refEntry[t.refs++] = e;
        if (f.getInt(e + W_STATE) != WINDOW_ACTIVE || f.getInt(e + W_GEN) != w.gen) {
            throw ScifException.of(call.text(), Errno.ENXIO, "the local window at " + w.offset + " was unregistered");
        }
    }

    /**
     * The 8 bytes at {@code offset} for a fence signal: inside one writable window.
     *
     * @return the address, with an RMA reference taken on the window's entry (entry offset in {@code refOut[0]})
     */
    synchronized long signalTarget(long offset, long[] refOut, Call call) throws ScifException {
        WindowSet.Snapshot<Window> idx = windows.snapshot();
        Window w = offset < 0 || offset > Long.MAX_VALUE - 7 ? null : idx.at(idx.floor(offset));
        if (w == null || w.unregistered || w.last() < offset + 7) {
            throw ScifException.of(call.text(), Errno.ENXIO, "the 8 bytes at local offset " + offset + " are not inside"
                + " one registered window");
        }
        if ((w.prot & Scif.PROT_WRITE) == 0) {
            throw ScifException.of(call.text(), Errno.EPERM, "the local window at " + w.offset + " is not writable");
        }
        refOut[0] = conn.window(conn.side, w.entry);
        f.addInt(refOut[0] + W_RMA_REFS, 1);
        return w.address + (offset - w.offset);
    }

    /**
     * Unregisters every window; for close, after this side's own transfers have drained.
     *
     * <p>scif_close(3): RMAs in flight through either endpoint complete before close returns. So
     * the peer's RMAs on our windows (queued on its DMA channel, holding RMA references) run to
     * completion first, until {@code deadline} (the watchdog) and as long as the peer endpoint
     * still exists to drop its references. Only then is the memory given back, so that once
     * close returns the user's memory no longer changes. Past the deadline the windows go all
     * the same: the peer reaches them only through its own mapping of their files, which stays
     * valid while it copies, and it skips operations whose window was freed (DmaSequence).
     *
     * @param peerSlot the peer endpoint's slot
     * @param deadline System.nanoTime() value ending the wait
     */
    synchronized void clear(int peerSlot, long deadline) {
        for (Window w : windows.all()) {
            if (!w.unregistered) {
                w.unregistered = true;
                f.putInt(conn.window(conn.side, w.entry) + W_STATE, WINDOW_UNREGISTERED);
            }
        }
        // Unregistered first, references and copier records read after (the records after a
        // barrier): an RMA resolving concurrently either sees the state and fails, or its
        // reference or record (stored before it looks) is seen here.
        Futex.fenceEveryProcess();
        for (Window w : windows.all()) {
            awaitNoCopiers(w.entry, peerSlot, deadline);
            awaitNoRmaReferences(conn.window(conn.side, w.entry), peerSlot, deadline);
        }
        // Closing does not unmap the peer's mappings (SCIF): a window the peer still maps keeps
        // its memory pinned, shared between the user's buffer and the mapping; the rest go.
        for (Window w : windows.all()) {
            free(w, f.getInt(conn.window(conn.side, w.entry) + W_MAP_REFS) > 0);
        }
        bumpVersion();
    }

    static ScifException noWindow(Call call, String side, long pos, long offset, long length) {
        return ScifException.of(call.text(), Errno.ENXIO, "no " + side + " window covers offset "
            // past 2^63 a range's offsets wrap negative: print them as the numbers they are
            + (offset >= 0 ? Long.toUnsignedString(pos) : Long.toString(pos)) + " of the "
            + length + " bytes at " + offset);
    }

    static String protName(int prot) {
        return prot == 0 ? "no access" : ((prot & Scif.PROT_READ) != 0 ? "PROT_READ" : "")
            + ((prot & 3) == 3 ? "|" : "") + ((prot & Scif.PROT_WRITE) != 0 ? "PROT_WRITE" : "");
    }
}
