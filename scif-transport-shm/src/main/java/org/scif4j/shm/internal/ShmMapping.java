package org.scif4j.shm.internal;

import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.scif4j.Errno;
import org.scif4j.Mapping;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.spi.Call;

/**
 * {@code scif_mmap}: the peer's window files mapped, shared, at consecutive addresses of this
 * process, so that the buffer is the very memory of the peer's windows. It holds a mapping
 * reference on each window (the peer cannot reuse the range) and on the connection file. Close
 * puts private zero pages in its place rather than unmapping, so a buffer kept after close reads
 * zeros and never faults.
 */
final class ShmMapping implements Mapping {
    private final Connection conn;
    private final PeerAddressSpace peer;
    private final PeerAddressSpace.RemoteWindow[] windows;
    private final long base;
    private final long length;
    private final long remoteOffset;
    private final ByteBuffer buffer;
    private boolean closed;

    private ShmMapping(Connection conn, PeerAddressSpace peer, PeerAddressSpace.RemoteWindow[] windows, long base,
                       long length, long remoteOffset, ByteBuffer buffer) {
        this.conn = conn;
        this.peer = peer;
        this.windows = windows;
        this.base = base;
        this.length = length;
        this.remoteOffset = remoteOffset;
        this.buffer = buffer;
    }

    static ShmMapping map(Connection conn, PeerAddressSpace peer, PeerAddressSpace.RemoteWindow[] run,
                          long remoteOffset, long length, int prot, Call call) throws ScifException {
        long base = Posix.reserve(length);
        if (base == 0) {
            dropRefs(conn, peer, run);
            throw ScifException.of(call.text(), Errno.ENOMEM, "no address space for " + length + " bytes");
        }
        int posixProt = Posix.PROT_READ | ((prot & Scif.PROT_WRITE) != 0 ? Posix.PROT_WRITE : 0);
        long pos = remoteOffset;
        long remaining = length;
        for (PeerAddressSpace.RemoteWindow w : run) {
            long n = Math.min(remaining, w.last() - pos + 1);
            int err = Posix.mapFileAt(base + (pos - remoteOffset), n, posixProt, w.file.toString(),
                w.fileOffset + (pos - w.offset));
            if (err != 0) {
                Posix.munmap(base, length);
                dropRefs(conn, peer, run);
                throw ScifException.of(call.text(), Errno.ENXIO, "the peer's window at " + w.offset + " can no longer"
                    + " be mapped (errno " + err + ")");
            }
            pos += n;
            remaining -= n;
        }
        ByteBuffer b = new Pointer(base).getByteBuffer(0, length).order(ByteOrder.nativeOrder());
        conn.retain();
        return new ShmMapping(conn, peer, run, base, length, remoteOffset,
            (prot & Scif.PROT_WRITE) != 0 ? b : b.asReadOnlyBuffer().order(ByteOrder.nativeOrder()));
    }

    private static void dropRefs(Connection conn, PeerAddressSpace peer, PeerAddressSpace.RemoteWindow[] run) {
        for (PeerAddressSpace.RemoteWindow w : run) {
            conn.file.addInt(peer.entryOffset(w.entry) + ConnectionDescriptor.W_MAP_REFS, -1);
        }
    }

    @Override
    public ByteBuffer buffer() {
        return buffer;
    }

    @Override
    public long remoteOffset() {
        return remoteOffset;
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        Posix.zeroPagesAt(base, length, Posix.PROT_READ | Posix.PROT_WRITE);
        dropRefs(conn, peer, windows);
        conn.close();
    }

    @Override
    public String toString() {
        return "ShmMapping[peer offset " + remoteOffset + ", " + length + " bytes" + (closed ? ", closed" : "") + "]";
    }
}
