package org.scif4j.shm.internal;

/**
 * Binary layout of a connection file {@code conn-ID}: a header and two byte rings, one per
 * direction. Ring 0 carries connector-to-acceptor bytes, ring 1 the other way. Each ring's
 * data is a sequence of 64-byte lines, each a fill mark and 56 stream bytes (see
 * {@link ByteRing} and {@code docs/shm-format.md}).
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

    /** Ring header: the writer's counter and the reader's counter on separate cache lines. */
    public static final int R_TAIL = 0;
    public static final int R_HEAD = 128;
    public static final int RING_HEADER = FabricDescriptor.PAGE;

    /** Ring data: lines of one cache line each, a fill mark then the stream bytes. */
    public static final int LINE = 64;
    /** The fill mark, at the start of each line: the stream position just past its last byte. */
    public static final int LINE_MARK = 0;
    /** Where a line's stream bytes start. */
    public static final int LINE_BYTES_AT = 8;
    /** Stream bytes per line. */
    public static final int LINE_BYTES = LINE - LINE_BYTES_AT;

    private ConnectionDescriptor() {
    }

    /**
     * Lines in a ring's data area: enough that {@code ringSize - 1} outstanding bytes touch
     * fewer lines than there are, so the writer never writes into a line whose previous lap is
     * still unread; then rounded up to whole pages.
     *
     * @param ringSize the ring option R, a power of two of at least 4096
     * @return the number of 64-byte lines
     */
    public static int ringLines(int ringSize) {
        long lines = (ringSize + (long) LINE_BYTES - 3) / LINE_BYTES + 1;
        long bytes = (lines * LINE + FabricDescriptor.PAGE - 1) / FabricDescriptor.PAGE * FabricDescriptor.PAGE;
        return Math.toIntExact(bytes / LINE);
    }

    /** @param ringSize the ring option R @return bytes of a ring's data area, a multiple of the page */
    public static int ringDataBytes(int ringSize) {
        return ringLines(ringSize) * LINE;
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
        return windowTable(2, ringSize);
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
