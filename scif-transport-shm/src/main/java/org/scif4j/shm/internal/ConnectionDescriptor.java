package org.scif4j.shm.internal;

/**
 * Binary layout of a connection file {@code conn-ID}: a header and two byte rings, one per
 * direction. Ring 0 carries connector-to-acceptor bytes, ring 1 the other way.
 */
public final class ConnectionDescriptor {
    /** "SCIF4JCN" read as a little-endian long. */
    public static final long MAGIC = 0x4E43344A46494353L;
    public static final int VERSION = 1;

    public static final int C_MAGIC = 0;
    public static final int C_VERSION = 8;
    public static final int C_RING_SIZE = 12;
    public static final int C_CONNECTION_ID = 16;
    public static final int C_CREATOR_PID = 24;

    /** Ring header: the writer's counter and the reader's counter on separate cache lines. */
    public static final int R_TAIL = 0;
    public static final int R_HEAD = 128;
    public static final int RING_HEADER = FabricDescriptor.PAGE;

    private ConnectionDescriptor() {
    }

    /** @param ring 0 or 1 @param ringSize bytes per ring @return offset of the ring's header */
    public static long ringHeader(int ring, int ringSize) {
        return FabricDescriptor.PAGE + (long) ring * (RING_HEADER + ringSize);
    }

    /** @param ring 0 or 1 @param ringSize bytes per ring @return offset of the ring's data */
    public static long ringData(int ring, int ringSize) {
        return ringHeader(ring, ringSize) + RING_HEADER;
    }

    /** @param ringSize bytes per ring @return the file's size */
    public static long fileSize(int ringSize) {
        return FabricDescriptor.PAGE + 2L * (RING_HEADER + ringSize);
    }

    /** @param id connection id @return the file name */
    public static String fileName(long id) {
        return "conn-" + id;
    }
}
