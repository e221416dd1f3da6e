package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.ConnectionDescriptor.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * One side's view of a connection file: the ring it sends on and the ring it receives from.
 * The connector creates the file before it queues its request; the acceptor opens it.
 */
final class Connection implements AutoCloseable {
    final long id;
    final SharedFile file;
    final ByteRing out;
    final ByteRing in;
    /** This endpoint's side: 0 connector, 1 acceptor. */
    final int side;
    final int ringSize;
    /** References: the endpoint, and each mmap mapping made through it (they outlive close). */
    private int refs = 1;

    private Connection(long id, SharedFile file, int ringSize, boolean connector) {
        this.id = id;
        this.file = file;
        this.side = connector ? 0 : 1;
        this.ringSize = ringSize;
        ByteRing r0 = new ByteRing(file, ringHeader(0, ringSize), ringData(0, ringSize), ringSize);
        ByteRing r1 = new ByteRing(file, ringHeader(1, ringSize), ringData(1, ringSize), ringSize);
        this.out = connector ? r0 : r1;
        this.in = connector ? r1 : r0;
    }

    /**
     * Connector side: creates and initialises {@code conn-ID}.
     *
     * @param dir fabric directory
     * @param id connection id
     * @param ringSize bytes per direction, a power of two
     * @return the connection
     * @throws IOException if the file cannot be made
     */
    static Connection create(Path dir, long id, int ringSize) throws IOException {
        SharedFile f = SharedFile.create(dir.resolve(fileName(id)), fileSize(ringSize)); // exclusive, no link
        f.putInt(C_VERSION, VERSION);
        f.putInt(C_RING_SIZE, ringSize);
        f.putLong(C_CONNECTION_ID, id);
        f.putInt(C_CREATOR_PID, ProcessIdentity.selfPid());
        f.putLong(C_MAGIC, MAGIC);
        return new Connection(id, f, ringSize, true);
    }

    /**
     * Acceptor side: validates {@code conn-ID} with plain reads, then maps it.
     *
     * @param dir fabric directory
     * @param id connection id
     * @return the connection
     * @throws IOException if the file is missing or is not a valid connection file
     */
    static Connection open(Path dir, long id) throws IOException {
        return FabricFiles.uninterruptibly(() -> openChecked(dir, id)); // reads and maps only: safe to repeat
    }

    private static Connection openChecked(Path dir, long id) throws IOException {
        Path path = dir.resolve(fileName(id));
        ByteBuffer h = ByteBuffer.allocate(32).order(ByteOrder.nativeOrder());
        long size;
        // A regular file of this user, opened without following a link, and mapped through
        // the very channel whose header was checked.
        try (FileChannel ch = FabricFiles.openExisting(path, true)) {
            size = ch.size();
            while (h.hasRemaining() && ch.read(h) >= 0) {
                // read the header
            }
            int ring = h.getInt(C_RING_SIZE);
            if (h.getLong(C_MAGIC) == MAGIC && h.getInt(C_VERSION) != VERSION) {
                throw new IOException(path + " has connection layout version " + h.getInt(C_VERSION)
                    + "; this scif4j speaks version " + VERSION);
            }
            if (h.getLong(C_MAGIC) != MAGIC || h.getLong(C_CONNECTION_ID) != id
                || Integer.bitCount(ring) != 1 || ring < 4096 || size != fileSize(ring)) {
                throw new IOException(path + " is not a valid scif4j connection file (magic 0x"
                    + Long.toHexString(h.getLong(C_MAGIC)) + ", version " + h.getInt(C_VERSION) + ", id "
                    + h.getLong(C_CONNECTION_ID) + ", ring " + ring + ", size " + size + ")");
            }
            return new Connection(id, SharedFile.mapExisting(ch, path, size), ring, false);
        }
    }

    /** @param side 0 or 1 @param field a side-area field @return its offset in the file */
    long sideField(int side, int field) {
        return ConnectionDescriptor.side(side) + field;
    }

    /** @param side 0 or 1 @param index window entry @return offset of the entry */
    long window(int side, int index) {
        return ConnectionDescriptor.windowTable(side, ringSize) + (long) index * ConnectionDescriptor.WINDOW_ENTRY;
    }

    /** Keeps the file mapped for one more user. */
    synchronized void retain() {
        refs++;
    }

    /** Drops one reference; the last unmaps. */
    @Override
    public void close() {
        synchronized (this) {
            if (--refs > 0) {
                return;
            }
        }
        file.close();
    }
}
