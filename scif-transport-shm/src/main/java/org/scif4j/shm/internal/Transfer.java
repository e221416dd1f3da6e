package org.scif4j.shm.internal;

/**
 * One RMA, resolved: the local and the remote side each as a list of contiguous pieces (one
 * per window the range crosses), and the window entries whose RMA reference it holds. A piece
 * is addressed as Unsafe addresses it: a base object (a heap array, or null for native memory)
 * and an offset. Reused from a pool, so that an RMA allocates nothing.
 */
final class Transfer {
    static final int MAX_PIECES = 64;

    /** The thread whose own transfer this is, for copies made during a call; null for a pooled one. */
    final Thread owner;

    long length;
    /** True for writeTo/vwriteTo (local to remote). */
    boolean toRemote;
    int flags;

    int localPieces;
    final Object[] localBase = new Object[MAX_PIECES];
    final long[] localOffset = new long[MAX_PIECES];
    final long[] localLength = new long[MAX_PIECES];

    int remotePieces;
    final long[] remoteAddress = new long[MAX_PIECES];
    final long[] remoteLength = new long[MAX_PIECES];

    /** Window entries (file offsets in the connection file) whose W_RMA_REFS this holds. */
    int refs;
    final long[] refEntry = new long[2 * MAX_PIECES];
    /** Peer windows whose local mapping this uses. */
    int mapped;
    final PeerAddressSpace.RemoteWindow[] mappedWindows = new PeerAddressSpace.RemoteWindow[MAX_PIECES];

    Transfer(Thread owner) {
        this.owner = owner;
    }

    void reset(long length, boolean toRemote, int flags) {
        this.length = length;
        this.toRemote = toRemote;
        this.flags = flags;
        this.localPieces = 0;
        this.remotePieces = 0;
        this.refs = 0;
        this.mapped = 0;
    }

    /**
     * Hands everything this transfer holds (pieces, window references, mapping uses) to
     * {@code to}, which must be idle; this one is left empty, holding nothing.
     */
    void moveTo(Transfer to) {
        to.reset(length, toRemote, flags);
        for (int i = 0; i < localPieces; i++) {
            to.addLocal(localBase[i], localOffset[i], localLength[i]);
            localBase[i] = null;
        }
        for (int i = 0; i < remotePieces; i++) {
            to.addRemote(remoteAddress[i], remoteLength[i]);
        }
        System.arraycopy(refEntry, 0, to.refEntry, 0, refs);
        to.refs = refs;
        System.arraycopy(mappedWindows, 0, to.mappedWindows, 0, mapped);
        java.util.Arrays.fill(mappedWindows, 0, mapped, null);
        to.mapped = mapped;
        reset(0, false, 0);
    }

    void addLocal(Object base, long offset, long len) {
        localBase[localPieces] = base;
        localOffset[localPieces] = offset;
        localLength[localPieces++] = len;
    }

    void addRemote(long address, long len) {
        remoteAddress[remotePieces] = address;
        remoteLength[remotePieces++] = len;
    }

    /** Copies the transfer's bytes {@code [from, to)}; may run on several threads, on disjoint parts. */
    void copy(long from, long to) {
        int li = 0;
        long lStart = 0;
        while (lStart + localLength[li] <= from) {
            lStart += localLength[li++];
        }
        int ri = 0;
        long rStart = 0;
        while (rStart + remoteLength[ri] <= from) {
            rStart += remoteLength[ri++];
        }
        long pos = from;
        while (pos < to) {
            long n = Math.min(to - pos, Math.min(lStart + localLength[li] - pos, rStart + remoteLength[ri] - pos));
            Object lb = localBase[li];
            long lo = localOffset[li] + (pos - lStart);
            long ra = remoteAddress[ri] + (pos - rStart);
            if (toRemote) {
                Memory.copy(lb, lo, null, ra, n);
            } else {
                Memory.copy(null, ra, lb, lo, n);
            }
            pos += n;
            if (pos == lStart + localLength[li] && pos < to) {
                lStart += localLength[li++];
            }
            if (pos == rStart + remoteLength[ri] && pos < to) {
                rStart += remoteLength[ri++];
            }
        }
    }

    /**
     * Copies everything; with RMA_ORDERED the last cache line (or the part of it the transfer
     * covers) is written after every other byte is visible.
     */
    void copyAll() {
        if ((flags & org.scif4j.Scif.RMA_ORDERED) != 0 && length > 64) {
            long tail = tailStart();
            copy(0, tail);
            Memory.storeFence();
            copy(tail, length);
        } else {
            copy(0, length);
        }
    }

    /** @return where the destination's last cache line starts, within the transfer */
    long tailStart() {
        long lastDest;
        if (toRemote) {
            lastDest = remoteAddress[remotePieces - 1] + remoteLength[remotePieces - 1] - 1;
        } else {
            lastDest = localBase[localPieces - 1] == null
                ? localOffset[localPieces - 1] + localLength[localPieces - 1] - 1 : length - 1;
        }
        long inLine = lastDest & 63;
        return Math.max(0, length - 1 - inLine);
    }
}
