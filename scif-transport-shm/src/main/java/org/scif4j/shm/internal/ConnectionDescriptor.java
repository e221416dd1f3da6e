package org.scif4j.shm.internal;

/**
 * Binary layout of a connection file {@code conn-ID}: a header and two byte rings, one per
 * direction. Ring 0 carries connector-to-acceptor bytes, ring 1 the other way. Each ring's
 * data area holds frames, each an 8-byte header word and its contiguous payload (see
 * {@link ByteRing} and {@code docs/shm-format.md}, "The byte rings").
 */
public final class ConnectionDescriptor {
    /** "SCIF4JCN" read as a little-endian long. */
    public static final long MAGIC = 0x4E43344A46494353L;
    /** Layout version of the connection file; it moves with {@link FabricDescriptor#VERSION}. */
    public static final int VERSION = FabricDescriptor.VERSION;

    public static final int C_MAGIC = 0;
    public static final int C_VERSION = 8;
    public static final int C_RING_SIZE = 12;
    public static final int C_CONNECTION_ID = 16;
    public static final int C_CREATOR_PID = 24;

    /** Side areas in the header page: side 0 is the connector, side 1 the acceptor. */
    public static final int SIDE_AREA = 1024;
    /** Sequence number of the side's last DMA operation submitted (31 bits, wrapping). */
    public static final int S_DMA_SUBMITTED = 0;
    /** Sequence number of the side's last DMA operation completed; on its own cache line. */
    public static final int S_DMA_COMPLETED = 64;
    /** Bumped on every register and unregister, so the peer knows to re-read the window table. */
    public static final int S_RAS_VERSION = 128;

    /** Window tables: one per side, after the rings; {@link #MAX_WINDOWS} entries each. */
    public static final int MAX_WINDOWS = 1024;
    public static final int WINDOW_ENTRY = 64;
    public static final int W_STATE = 0;
    public static final int W_PROT = 4;
    public static final int W_OFFSET = 8;
    public static final int W_LENGTH = 16;
    /** The memory file is {@code mem-PID-SEQ} in the fabric directory. */
    public static final int W_FILE_PID = 24;
    public static final int W_FILE_SEQ = 28;
    public static final int W_FILE_OFFSET = 32;
    /** RMAs in flight on the window (by either side); unregister waits for them. */
    public static final int W_RMA_REFS = 40;
    /** Peer mappings of the window; while non-zero its range stays reserved. */
    public static final int W_MAP_REFS = 44;
    /** Incremented each time the entry is reused. */
    public static final int W_GEN = 48;
    public static final int WINDOW_FREE = 0;
    public static final int WINDOW_ACTIVE = 1;
    public static final int WINDOW_UNREGISTERED = 2;

    /**
     * Copier records (layout 6): one side's, after the window tables; record i is its
     * process's copying thread number i (docs/shm-format.md, "Copier records").
     */
    public static final int COPIERS = 64;
    public static final int COPIER_RECORD = 64;
    /** Bytes of one side's copier records. */
    public static final int COPIER_AREA = COPIERS * COPIER_RECORD;

    /** Ring header, writer's line: stream bytes ever written. */
    public static final int R_TAIL = 0;
    /** Ring header, writer's line: area position of the next frame the writer writes. */
    public static final int R_TAIL_FRAME = 8;
    /** Ring header, reader's line: stream bytes ever read. */
    public static final int R_HEAD = 128;
    /** Ring header, reader's line: area position of the frame holding the next unread byte. */
    public static final int R_HEAD_FRAME = 136;
    /** Ring header, reader's line: payload bytes of the head frame already read. */
    public static final int R_HEAD_TAKEN = 144;
    public static final int RING_HEADER = FabricDescriptor.PAGE;

    /** A frame's header word: 0 not written, n > 0 a frame of n payload bytes, {@link #WRAP}. */
    public static final int FRAME_HEADER = 8;
    /** Header word of a wrap: the rest of the data area is padding, go on at its offset 0. */
    public static final long WRAP = -1;
    /** Payload bytes of a frame at most: a larger send is several frames. */
    public static final int MAX_FRAME = 16384;

    private ConnectionDescriptor() {
    }

    /** @param ringSize the ring option R, a power of two of at least 4096 @return bytes of a ring's data area, 2R */
    public static int ringDataBytes(int ringSize) {
        return Math.multiplyExact(2, ringSize);
    }

    /**
     * Where the frame after one of {@code n} payload bytes starts, relative to it: header and
     * payload rounded up to 8 bytes. (Not padded to a line's end: a stream of 64-byte messages
     * then costs 72 bytes, 1.125 cache lines, a message instead of two lines.)
     *
     * @param n payload bytes, 1 to {@link #MAX_FRAME}
     * @return the frame's span in bytes, a multiple of 8
     */
    public static int frameSpan(int n) {
        return (FRAME_HEADER + n + 7) & -FRAME_HEADER;
    }

    /** @param ring 0 or 1 @param ringSize bytes per ring @return offset of the ring's header */
    public static long ringHeader(int ring, int ringSize) {
        return FabricDescriptor.PAGE + (long) ring * (RING_HEADER + ringDataBytes(ringSize));
    }

    /** @param ring 0 or 1 @param ringSize bytes per ring @return offset of the ring's data */
    public static long ringData(int ring, int ringSize) {
        return ringHeader(ring, ringSize) + RING_HEADER;
    }

    /** @param ringSize bytes per ring @return the file's size */
    public static long fileSize(int ringSize) {
        return copiers(2, ringSize);
    }

    /** @param side 0 or 1 @param ringSize bytes per ring @return offset of that side's copier records */
    public static long copiers(int side, int ringSize) {
        return windowTable(2, ringSize) + (long) side * COPIER_AREA;
    }

    /** @param side 0 connector, 1 acceptor @return offset of the side's area in the header */
    public static long side(int side) {
        return SIDE_AREA + (long) side * SIDE_AREA;
    }

    /** @param side 0 or 1 @param ringSize bytes per ring @return offset of that side's window table */
    public static long windowTable(int side, int ringSize) {
        return FabricDescriptor.PAGE + 2L * (RING_HEADER + ringDataBytes(ringSize))
            + (long) side * MAX_WINDOWS * WINDOW_ENTRY;
    }

    /** @param id connection id @return the file name */
    public static String fileName(long id) {
        return "conn-" + id;
    }
}
