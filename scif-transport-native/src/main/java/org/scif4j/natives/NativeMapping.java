package org.scif4j.natives;

import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import org.scif4j.Mapping;

/**
 * A peer window mapped by scif_mmap. At close the range is first replaced by anonymous
 * memory (mmap MAP_FIXED: atomic, so the buffer never meets an unmapped page), then the
 * library forgets its mapping (scif_munmap, which unmaps that range), and the anonymous
 * memory is put back where nothing else has been mapped meanwhile (MAP_FIXED_NOREPLACE):
 * after close the buffer reads zeros and takes writes that go nowhere, and never faults.
 */
final class NativeMapping implements Mapping {
    private final NativeEndpoint endpoint;
    private final long address;
    private final long remoteOffset;
    private final long mappedLength;
    private final ByteBuffer buffer;
    private boolean closed;

    NativeMapping(NativeEndpoint endpoint, long address, long remoteOffset, long mappedLength, long length, int prot) {
        this.endpoint = endpoint;
        this.address = address;
        this.remoteOffset = remoteOffset;
        this.mappedLength = mappedLength;
        ByteBuffer b = new Pointer(address).getByteBuffer(0, length);
        this.buffer = (prot & LibC.PROT_WRITE) == 0 ? b.asReadOnlyBuffer() : b;
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
        return buffer.capacity();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        int rw = LibC.PROT_READ | LibC.PROT_WRITE;
        int anon = LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS;
        LibC.mmap(address, mappedLength, rw, anon | LibC.MAP_FIXED, -1, 0);
        LibScif.scif_munmap(address, mappedLength);
        LibC.mmap(address, mappedLength, rw, anon | LibC.MAP_FIXED_NOREPLACE, -1, 0);
        endpoint.forget(this);
    }
}
