package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.ConnectionDescriptor.*;

import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.spi.Call;
import org.scif4j.spi.WindowSet;

/**
 * The peer's registered address space as this endpoint sees it: a cached index of the peer's
 * window table, re-read whenever the peer's RAS version changes, and a mapping into this
 * process of each peer window used, made on first use.
 *
 * <p><b>Invariant (mappings):</b> a window's mapping is unmapped only once the window has
 * left the index, its entry's RMA reference count reads zero, and, after a barrier on every
 * thread ({@code membarrier}), none of this side's copier records names the entry. A transfer
 * uses a mapping only between announcing itself on the entry (an RMA reference, or the
 * thread's copier record: docs/shm-format.md, "Copier records") and seeing it still active,
 * same generation, and withdrawing that announcement, so no copy outlives the mapping it uses.
 * This costs an RMA no use count of its own: the announcement the peer's unregister needs
 * anyway guards the mapping too. The proof: a window leaves the index only after this side
 * read its entry not active (or of another generation). A reference taken before a transfer
 * saw the entry active came first (all these accesses are sequentially consistent), so the
 * later look at the count sees it. A record stored before the barrier's point on the
 * copier's thread is seen by the scan after it; one stored after it is followed by the
 * copier's look at the entry, which then sees what this side saw, and the copy is not made.
 */
final class PeerAddressSpace {
    /** A peer window and this process's mapping of it. */
    static final class RemoteWindow {
        final int entry;
        /** Address in this process of the entry in the connection file, for the fast path. */
        final long entryAddress;
        final int gen;
        final long offset;
        final long length;
        final int prot;
        final Path file;
        final long fileOffset;
        /** Where the window is mapped in this process, 0 before its first use and once unmapped. */
        volatile long address;

        RemoteWindow(int entry, long entryAddress, int gen, long offset, long length, int prot, Path file,
                     long fileOffset) {
            this.entry = entry;
            this.entryAddress = entryAddress;
            this.gen = gen;
            this.offset = offset;
            this.length = length;
            this.prot = prot;
            this.file = file;
            this.fileOffset = fileOffset;
        }

        long last() {
            return offset + length - 1;
        }

        synchronized void unmap() {
            if (address != 0) {
                Posix.munmap(address, length);
                address = 0;
            }
        }
    }

    private final Connection conn;
    private final SharedFile f;
    private final int peerSide;
    private final Path dir;
    private volatile int version = Integer.MIN_VALUE;
    /** What RMA lookups search; replaced, never changed, by {@link #refresh()}. */
    private volatile WindowSet.Snapshot<RemoteWindow> index = WindowSet.snapshotOf(List.of(), w -> w.offset);
    /** Windows gone from the index whose mapping may still be in use; guarded by this object. */
    private final List<RemoteWindow> retired = new ArrayList<>();
    /** Whether {@link #retired} holds any; read without the lock on every lookup. */
    private volatile boolean retiring;
    /** The window the last resolve found, for {@link #within}; maybe retired since (see there). */
    private volatile RemoteWindow last;
    /** Offset of the peer's RAS version in the connection file, and its address in this process. */
    private final long versionField;
    private final long versionAddress;
    /** Address in this process of this side's copier records (our threads' announcements). */
    private final long copierRecords;

    PeerAddressSpace(Connection conn, Path dir) {
        this.conn = conn;
        this.f = conn.file;
        this.peerSide = 1 - conn.side;
        this.dir = dir;
        this.versionField = conn.sideField(peerSide, S_RAS_VERSION);
        this.versionAddress = f.address(versionField);
        this.copierRecords = f.address(ConnectionDescriptor.copiers(conn.side, conn.ringSize));
    }

    /** @param copier a thread's copier number @return the address of its record on this side */
    long copierRecord(int copier) {
        return copierRecords + (long) copier * COPIER_RECORD;
    }

    /** Offset in the connection file of the peer's window entry. */
    long entryOffset(int entry) {
        return conn.window(peerSide, entry);
    }

    /**
     * Re-reads the peer's window table if its version changed, and unmaps retired windows
     * nothing uses any more; cheap when there is nothing to do.
     */
    private void refresh() {
        if (f.getInt(versionField) != version) {
            reread();
        }
        if (retiring) {
            sweep();
        }
    }

    /** Unmaps the retired windows whose entries no transfer references (see the class comment). */
    private synchronized void sweep() {
        Futex.fenceEveryProcess(); // without membarrier, copiers fence after storing their record
        retired.removeIf(w -> {
            if (f.getInt(entryOffset(w.entry) + W_RMA_REFS) != 0 || copying(w.entry)) {
                return false;
            }
            w.unmap();
            return true;
        });
        retiring = !retired.isEmpty();
    }

    /** Whether one of this side's copier records names the peer's entry {@code entry}. */
    private boolean copying(int entry) {
        for (int i = 0; i < COPIERS; i++) {
            if ((int) Memory.getLongVolatile(copierRecord(i)) == entry + 1) {
                return true;
            }
        }
        return false;
    }

    private synchronized void reread() {
        int v = f.getInt(versionField);
        if (v == version) {
            return;
        }
        Map<Integer, RemoteWindow> old = new HashMap<>();
        RemoteWindow r;
        for (int i = 0; (r = index.at(i)) != null; i++) {
            old.put(r.entry, r);
        }
        TreeMap<Long, RemoteWindow> next = new TreeMap<>();
        for (int i = 0; i < MAX_WINDOWS; i++) {
            RemoteWindow w = readEntry(i, old);
            if (w != null) {
                next.put(w.offset, w);
            }
        }
        index = WindowSet.snapshotOf(next.values(), w -> w.offset);
        version = v;
        // Even one not mapped yet: a transfer that saw it active may be mapping it right now.
        retired.addAll(old.values()); // unmapped by a sweep once their entries are unreferenced
        retiring = !retired.isEmpty();
    }

    /**
     * Entry {@code i} as the peer registered it, or null when it holds no active window. The
     * peer may free and re-register the entry while we read its fields (register bumps the
     * generation first and marks it active last), so the fields are read between two looks at
     * the generation and the state, seqlock-style, and read again until both looks agree:
     * a window is never made of one registration's offset and another's file.
     */
    private RemoteWindow readEntry(int i, Map<Integer, RemoteWindow> old) {
        long e = conn.window(peerSide, i);
        while (true) {
            if (f.getInt(e + W_STATE) != WINDOW_ACTIVE) {
                return null;
            }
            int gen = f.getInt(e + W_GEN);
            RemoteWindow w = old.get(i);
            if (w != null && w.gen == gen) {
                old.remove(i);
                return w;
            }
            w = new RemoteWindow(i, f.address(e), gen, f.getLong(e + W_OFFSET), f.getLong(e + W_LENGTH), f.getInt(e + W_PROT),
                dir.resolve("mem-" + f.getInt(e + W_FILE_PID) + "-" + f.getInt(e + W_FILE_SEQ)),
                f.getLong(e + W_FILE_OFFSET));
            VarHandle.acquireFence(); // the fields above are read before the second look
            if (f.getInt(e + W_GEN) == gen && f.getInt(e + W_STATE) == WINDOW_ACTIVE) {
                return w;
            }
        }
    }

    /** Maps the window into this process if not yet; ENXIO when its file is gone. */
    private long mapped(RemoteWindow w, Call call) throws ScifException {
        long a = w.address;
        if (a != 0) {
            return a;
        }
        synchronized (w) {
            return w.address != 0 ? w.address : map(w, call);
        }
    }

    private long map(RemoteWindow w, Call call) throws ScifException {
        int prot = ((w.prot & Scif.PROT_READ) != 0 ? Posix.PROT_READ : 0)
            | ((w.prot & Scif.PROT_WRITE) != 0 ? Posix.PROT_WRITE : 0);
        checkBacked(w, call);
        long r = Posix.reserve(w.length);
        int err = r == 0 ? Posix.errno() : Posix.mapFileAt(r, w.length, prot == 0 ? Posix.PROT_READ : prot,
            w.file.toString(), w.fileOffset);
        if (r == 0 || err != 0) {
            if (r != 0) {
                Posix.munmap(r, w.length);
            }
            throw ScifException.of(call.text(), Errno.ENXIO, "the peer window at " + w.offset + " can no longer be"
                + " reached (" + w.file.getFileName() + ", errno " + err + ")");
        }
        w.address = r;
        return r;
    }

    /**
     * The entry's numbers come from shared memory: the window must be whole pages, and lie
     * inside its memory file, a regular file (a mapping past a file's end faults when touched).
     */
    private static void checkBacked(RemoteWindow w, Call call) throws ScifException {
        long size;
        try {
            size = java.nio.file.Files.isRegularFile(w.file) ? java.nio.file.Files.size(w.file) : -1;
        } catch (java.io.IOException e) {
            size = -1;
        }
        long page = FabricDescriptor.PAGE;
        if (w.length <= 0 || w.offset < 0 || w.fileOffset < 0 || (w.length | w.offset | w.fileOffset) % page != 0
            || w.fileOffset > size - w.length) {
            throw ScifException.of(call.text(), Errno.ENXIO, "the peer's window table entry " + w.entry + " is not"
                + " usable: offset " + w.offset + ", length " + w.length + ", file offset " + w.fileOffset + " in "
                + w.file.getFileName() + " (" + (size < 0 ? "not a regular file" : size + " bytes") + "); expected"
                + " whole pages inside the file");
        }
    }

    /**
     * Resolves {@code [offset, offset+length)} of the peer's RAS into the transfer's remote
     * pieces, checking protection; takes an RMA reference on each window entry and a use of
     * each mapping.
     */
    void resolve(long offset, long length, int needProt, Transfer t, Call call) throws ScifException {
        refresh();
        long pos = offset;
        long remaining = length;
        WindowSet.Snapshot<RemoteWindow> idx = index;
        int i = offset < 0 ? -1 : idx.floor(offset);
        RemoteWindow w = idx.at(i);
        while (remaining > 0) {
            if (w == null || w.offset > pos || w.last() < pos) {
                throw RegisteredAddressSpace.noWindow(call, "peer", pos, offset, length);
            }
            if ((w.prot & needProt) != needProt) {
                throw ScifException.of(call.text(), Errno.EPERM, "the peer's window at " + w.offset + " lacks "
                    + RegisteredAddressSpace.protName(needProt) + " (it has " + RegisteredAddressSpace.protName(w.prot) + ")");
            }
            if (t.remotePieces == Transfer.MAX_PIECES) {
                throw ScifException.of(call.text(), Errno.ENOMEM, "the range crosses more than " + Transfer.MAX_PIECES + " windows");
            }
            long a = acquire(w, t, call);
            long n = Math.min(remaining, w.last() - pos + 1);
            t.addRemote(a + (pos - w.offset), n);
            last = w;
            remaining -= n;
            pos += n;
            w = idx.at(++i);
        }
    }

    /**
     * The fast path's lookup: the window of the last resolve if it holds all of
     * {@code [offset, offset+length)} with the rights asked for and is mapped, while nothing is
     * left for {@link #refresh()} to do (the peer's table unchanged, nothing retired to unmap);
     * else null, and the caller takes {@link #resolve}. The caller then takes its reference and
     * re-checks the entry as {@link #acquire} does: a window that passes that check is still in
     * the index (a window leaves it only once its entry was seen not active, or of another
     * generation, and neither comes back), so its mapping stays while the reference is held.
     */
    RemoteWindow within(long offset, long length, int needProt) {
        RemoteWindow w = last;
        if (w == null || Memory.getIntVolatile(versionAddress) != version || retiring || offset < w.offset
            || offset - w.offset > w.length - length || (w.prot & needProt) != needProt || w.address == 0) {
            return null;
        }
        return w;
    }

    /** The peer window holding the 8 bytes at {@code offset} for a fence signal; like {@link #resolve}. */
    long signalTarget(long offset, Transfer t, Call call) throws ScifException {
        refresh();
        WindowSet.Snapshot<RemoteWindow> idx = index;
        RemoteWindow w = offset < 0 || offset > Long.MAX_VALUE - 7 ? null : idx.at(idx.floor(offset));
        if (w == null || w.last() < offset + 7) {
            throw ScifException.of(call.text(), Errno.ENXIO, "the 8 bytes at remote offset " + offset + " are not inside"
                + " one of the peer's windows");
        }
        if ((w.prot & Scif.PROT_WRITE) == 0) {
            throw ScifException.of(call.text(), Errno.EPERM, "the peer's window at " + w.offset + " is not writable");
        }
        return acquire(w, t, call) + (offset - w.offset);
    }

    /**
     * Takes an RMA reference on the window's entry for the transfer, then re-checks the entry:
     * an unregister that raced us is never missed, and the reference keeps the window's
     * mapping too (see the class comment).
     *
     * @return the address of the window's first byte in this process
     */
    private long acquire(RemoteWindow w, Transfer t, Call call) throws ScifException {
        t.mappedWindows[t.mapped++] = w;
        long e = entryOffset(w.entry);
        f.addInt(e + W_RMA_REFS, 1);
        t.refEntry[t.refs++] = e;
        if (f.getInt(e + W_STATE) != WINDOW_ACTIVE || f.getInt(e + W_GEN) != w.gen) {
            throw ScifException.of(call.text(), Errno.ENXIO, "the peer unregistered the window at " + w.offset);
        }
        return mapped(w, call);
    }

    /**
     * The peer windows covering {@code [offset, offset+length)} for mmap: contiguous, with the
     * rights asked for. Takes a mapping reference on each entry.
     */
    synchronized RemoteWindow[] forMapping(long offset, long length, int prot, Call call) throws ScifException {
        refresh();
        List<RemoteWindow> run = new ArrayList<>();
        long pos = offset;
        long remaining = length;
        int i = index.floor(offset);
        RemoteWindow w = index.at(i);
        while (remaining > 0) {
            if (w == null || w.offset > pos || w.last() < pos) {
                throw RegisteredAddressSpace.noWindow(call, "peer", pos, offset, length);
            }
            if ((w.prot & prot) != prot) {
                throw ScifException.of(call.text(), Errno.EPERM, "the peer's window at " + w.offset + " lacks "
                    + RegisteredAddressSpace.protName(prot) + " (it has " + RegisteredAddressSpace.protName(w.prot) + ")");
            }
            run.add(w);
            long n = Math.min(remaining, w.last() - pos + 1);
            remaining -= n;
            pos += n;
            w = index.at(++i);
        }
        for (i = 0; i < run.size(); i++) {
            RemoteWindow r = run.get(i);
            long e = entryOffset(r.entry);
            f.addInt(e + W_MAP_REFS, 1);
            if (f.getInt(e + W_STATE) != WINDOW_ACTIVE || f.getInt(e + W_GEN) != r.gen) {
                for (int j = 0; j <= i; j++) {
                    f.addInt(entryOffset(run.get(j).entry) + W_MAP_REFS, -1);
                }
                throw ScifException.of(call.text(), Errno.ENXIO, "the peer unregistered the window at " + r.offset);
            }
        }
        return run.toArray(new RemoteWindow[0]);
    }

    /**
     * Drops every mapping; for close, once no transfer copies any more (operations close
     * abandoned are skipped: they touch no mapping).
     */
    synchronized void clear() {
        RemoteWindow r;
        for (int i = 0; (r = index.at(i)) != null; i++) {
            r.unmap();
        }
        for (RemoteWindow w : retired) {
            w.unmap();
        }
        retired.clear();
        retiring = false;
        last = null;
        index = WindowSet.snapshotOf(List.of(), w -> w.offset);
    }
}
