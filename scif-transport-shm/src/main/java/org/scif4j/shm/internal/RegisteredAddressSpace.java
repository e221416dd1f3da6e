package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.ConnectionDescriptor.*;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;

/**
 * An endpoint's own registered address space (RAS): its windows, by offset, each published in
 * this side's window table of the connection file so that the peer can find and reach it.
 * A window whose unregistration is pending (the peer still maps it) keeps its range reserved.
 */
final class RegisteredAddressSpace {
    static final long PAGE = FabricDescriptor.PAGE;
    /** The RAS is [0, 2^63); automatic placement works top-down below its last page. */
    static final long LIMIT = Long.MAX_VALUE & ~(PAGE - 1);
    private static final long UNREGISTER_WAIT_NANOS = 10_000_000_000L;

    /** One window. */
    static final class Window {
        final long offset;
        final long length;
        final int prot;
        /** Address of the window's first byte in this process. */
        final long address;
        final MemoryRegistry.Range range;
        final int entry;
        final int gen;
        /** Keeps the registered buffer from being freed by the GC while registered. */
        final ByteBuffer keep;
        boolean unregistered;

        Window(long offset, long length, int prot, long address, MemoryRegistry.Range range, int entry, int gen,
               ByteBuffer keep) {
            this.offset = offset;
            this.length = length;
            this.prot = prot;
            this.address = address;
            this.range = range;
            this.entry = entry;
            this.gen = gen;
            this.keep = keep;
        }

        long end() {
            return offset + length;
        }
    }

    private final Connection conn;
    private final SharedFile f;
    private final MemoryRegistry registry;
    private final TreeMap<Long, Window> windows = new TreeMap<>();
    private final BitSet usedEntries = new BitSet(MAX_WINDOWS);

    RegisteredAddressSpace(Connection conn, MemoryRegistry registry) {
        this.conn = conn;
        this.f = conn.file;
        this.registry = registry;
    }

    /** scif_register, after the caller validated the arguments and the state. */
    synchronized long register(ByteBuffer region, long address, long length, long offset, int prot, int flags,
                               String call) throws ScifException {
        reclaim();
        long at;
        if ((flags & Scif.MAP_FIXED) != 0) {
            Window w = overlapping(offset, length);
            if (w != null) {
                throw ScifException.of(call, Errno.EADDRINUSE, "[" + offset + ", " + (offset + length)
                    + ") overlaps the window at " + w.offset + " (" + w.length + " bytes"
                    + (w.unregistered ? ", unregistered but still mapped by the peer" : "") + ")");
            }
            at = offset;
        } else {
            at = highestFree(length);
            if (at < 0) {
                throw ScifException.of(call, Errno.ENOMEM, "no free range of " + length + " bytes in the"
                    + " registered address space");
            }
        }
        int entry = usedEntries.nextClearBit(0);
        if (entry >= MAX_WINDOWS) {
            throw ScifException.of(call, Errno.ENOMEM, "an endpoint has at most " + MAX_WINDOWS + " windows");
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
        f.putInt(e + W_RMA_REFS, 0);
        f.putInt(e + W_MAP_REFS, 0);
        f.putInt(e + W_STATE, WINDOW_ACTIVE); // last: the peer reads the fields after seeing it
        windows.put(at, new Window(at, length, prot, address, range, entry, gen, region));
        bumpVersion();
        return at;
    }

    private void bumpVersion() {
        f.addInt(conn.sideField(conn.side, S_RAS_VERSION), 1);
    }

    private Window overlapping(long offset, long length) {
        Map.Entry<Long, Window> below = windows.lowerEntry(offset + length);
        return below != null && below.getValue().end() > offset ? below.getValue() : null;
    }

    private long highestFree(long length) {
        long gapEnd = LIMIT;
        for (Window w : windows.descendingMap().values()) {
            if (gapEnd - w.end() >= length) {
                return gapEnd - length;
            }
            gapEnd = w.offset;
        }
        return gapEnd >= length ? gapEnd - length : -1;
    }

    /** scif_unregister, after the caller validated the arguments and the state. */
    synchronized void unregister(long offset, long length, String call) throws ScifException {
        long end = offset + length;
        List<Window> run = new ArrayList<>();
        for (Window w : windows.subMap(windows.floorKey(offset) == null ? offset : windows.floorKey(offset),
            true, end, false).values()) {
            if (w.unregistered || w.end() <= offset) {
                continue;
            }
            if (w.offset < offset || w.end() > end) {
                throw ScifException.of(call, Errno.EINVAL, "the range cuts the window [" + w.offset + ", "
                    + w.end() + "); unregister whole windows");
            }
            run.add(w);
        }
        long next = offset;
        for (Window w : run) {
            if (w.offset != next) {
                break;
            }
            next = w.end();
        }
        if (run.isEmpty() || next != end) {
            throw ScifException.of(call, Errno.ENXIO, "[" + offset + ", " + end + ") is not exactly a run of"
                + " whole registered windows");
        }
        for (Window w : run) {
            retire(w);
        }
        bumpVersion();
    }

    /** Marks a window unregistered, waits for RMAs in flight on it, and frees it unless the peer maps it. */
    private void retire(Window w) {
        long e = conn.window(conn.side, w.entry);
        w.unregistered = true;
        f.putInt(e + W_STATE, WINDOW_UNREGISTERED);
        long deadline = System.nanoTime() + UNREGISTER_WAIT_NANOS;
        while (f.getInt(e + W_RMA_REFS) > 0 && System.nanoTime() - deadline < 0) {
            Thread.yield(); // RMAs in flight run to completion against the window's memory
        }
        if (f.getInt(e + W_MAP_REFS) == 0) {
            free(w);
        }
    }

    private void free(Window w) {
        windows.remove(w.offset);
        f.putInt(conn.window(conn.side, w.entry) + W_STATE, WINDOW_FREE);
        usedEntries.clear(w.entry);
        registry.release(w.range);
    }

    /** Frees unregistered windows the peer no longer maps. */
    private void reclaim() {
        for (Iterator<Window> it = windows.values().iterator(); it.hasNext(); ) {
            Window w = it.next();
            if (w.unregistered && f.getInt(conn.window(conn.side, w.entry) + W_MAP_REFS) == 0) {
                it.remove();
                f.putInt(conn.window(conn.side, w.entry) + W_STATE, WINDOW_FREE);
                usedEntries.clear(w.entry);
                registry.release(w.range);
            }
        }
    }

    /**
     * Resolves {@code [offset, offset+length)} into the transfer's local pieces, checking
     * protection, and takes an RMA reference on each window.
     */
    synchronized void resolve(long offset, long length, int needProt, Transfer t, String call) throws ScifException {
        long pos = offset;
        long end = offset + length;
        Map.Entry<Long, Window> first = windows.floorEntry(offset);
        Window w = first == null ? null : first.getValue();
        while (pos < end) {
            if (w == null || w.unregistered || w.offset > pos || w.end() <= pos) {
                throw noWindow(call, "local", pos, offset, end);
            }
            if ((w.prot & needProt) != needProt) {
                throw ScifException.of(call, Errno.EPERM, "the local window at " + w.offset + " lacks "
                    + protName(needProt) + " (it has " + protName(w.prot) + ")");
            }
            if (t.localPieces == Transfer.MAX_PIECES) {
                throw ScifException.of(call, Errno.ENOMEM, "the range crosses more than " + Transfer.MAX_PIECES + " windows");
            }
            long n = Math.min(end, w.end()) - pos;
            t.addLocal(null, w.address + (pos - w.offset), n);
            t.refEntry[t.refs++] = conn.window(conn.side, w.entry);
            f.addInt(conn.window(conn.side, w.entry) + W_RMA_REFS, 1);
            pos += n;
            Map.Entry<Long, Window> nx = pos < end ? windows.ceilingEntry(pos) : null;
            w = nx == null ? null : nx.getValue();
        }
    }

    /**
     * The 8 bytes at {@code offset} for a fence signal: inside one writable window.
     *
     * @return the address, with an RMA reference taken on the window's entry (entry offset in {@code refOut[0]})
     */
    synchronized long signalTarget(long offset, long[] refOut, String call) throws ScifException {
        Map.Entry<Long, Window> e = windows.floorEntry(offset);
        Window w = e == null ? null : e.getValue();
        if (w == null || w.unregistered || w.end() < offset + 8 || offset < 0) {
            throw ScifException.of(call, Errno.ENXIO, "the 8 bytes at local offset " + offset + " are not inside"
                + " one registered window");
        }
        if ((w.prot & Scif.PROT_WRITE) == 0) {
            throw ScifException.of(call, Errno.EPERM, "the local window at " + w.offset + " is not writable");
        }
        refOut[0] = conn.window(conn.side, w.entry);
        f.addInt(refOut[0] + W_RMA_REFS, 1);
        return w.address + (offset - w.offset);
    }

    /** Unregisters every window; for close. */
    synchronized void clear() {
        for (Window w : new ArrayList<>(windows.values())) {
            if (!w.unregistered) {
                retire(w);
            }
        }
        // Windows the peer still maps stay pinned by its mapping of their files; ours go.
        for (Window w : new ArrayList<>(windows.values())) {
            free(w);
        }
        bumpVersion();
    }

    static ScifException noWindow(String call, String side, long pos, long offset, long end) {
        return ScifException.of(call, Errno.ENXIO, "no " + side + " window covers offset " + pos + " of ["
            + offset + ", " + end + ")");
    }

    static String protName(int prot) {
        return prot == 0 ? "no access" : ((prot & Scif.PROT_READ) != 0 ? "PROT_READ" : "")
            + ((prot & 3) == 3 ? "|" : "") + ((prot & Scif.PROT_WRITE) != 0 ? "PROT_WRITE" : "");
    }
}
