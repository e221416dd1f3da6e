package org.scif4j.natives;

import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.scif4j.Mapping;

/**
 * A peer window mapped by scif_mmap. Its buffer never faults once it is let go, as on shm:
 * after {@link #close()} it reads zeros, and after its endpoint's close it keeps its last
 * contents in private memory. Either way the window's mapping is first replaced by anonymous
 * memory in one step (mremap MREMAP_FIXED of a copy, or mmap MAP_FIXED of zeros: no unmapped
 * page in between); a second copy is kept while the library forgets its mapping (scif_munmap,
 * which unmaps the range), and is put back where nothing else was mapped meanwhile
 * (MAP_FIXED_NOREPLACE). Only an access racing with that scif_munmap itself can meet an
 * unmapped page; after close has returned the buffer never faults.
 */
final class NativeMapping implements Mapping {
    private final NativeWindows windows;
    private final long address;
    private final long remoteOffset;
    private final long mappedLength;
    private final ByteBuffer buffer;
    private boolean closed;
    /** Set once the library has forgotten the mapping (the endpoint closed): the range is private memory. */
    private boolean released;

    NativeMapping(NativeWindows windows, long address, long remoteOffset, long mappedLength, long length, int prot) {
        this.windows = windows;
        this.address = address;
        this.remoteOffset = remoteOffset;
        this.mappedLength = mappedLength;
        ByteBuffer b = new Pointer(address).getByteBuffer(0, mappedLength);
        // asReadOnlyBuffer resets the order to big-endian: keep the native one, as shm does
        this.buffer = (prot & LibC.PROT_WRITE) == 0 ? b.asReadOnlyBuffer().order(ByteOrder.nativeOrder())
            : b.order(ByteOrder.nativeOrder());
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

    /** scif_munmap: the buffer then reads zeros. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        int rw = LibC.PROT_READ | LibC.PROT_WRITE;
        int anon = LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS;
        if (released) { // already private memory: zeros over it in one step
            LibC.mmap(address, mappedLength, rw, anon | LibC.MAP_FIXED, -1, 0);
            return;
        }
        LibC.mmap(address, mappedLength, rw, anon | LibC.MAP_FIXED, -1, 0);
        forget(false);
        windows.forget(this);
    }

    /** At the endpoint's close: the library forgets the mapping, the buffer keeps its contents. */
    synchronized void release() {
        if (closed || released) {
            return;
        }
        long first = LibC.mmap(0, mappedLength, LibC.PROT_READ | LibC.PROT_WRITE,
            LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS, -1, 0);
        if (first != -1L) {
            LibC.memcpy(first, address, mappedLength);
            LibC.mremap(first, mappedLength, mappedLength, LibC.MREMAP_MAYMOVE | LibC.MREMAP_FIXED, address);
        }
        forget(true);
        released = true;
    }

    /** scif_munmap (which unmaps the range), then private memory back in the range. */
    private void forget(boolean keep) {
        int rw = LibC.PROT_READ | LibC.PROT_WRITE;
        int anon = LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS;
        long second = keep ? LibC.mmap(0, mappedLength, rw, anon, -1, 0) : -1L;
        if (second != -1L) {
            LibC.memcpy(second, address, mappedLength);
        }
        LibScif.scif_munmap(address, mappedLength);
        long back = LibC.mmap(address, mappedLength, rw, anon | LibC.MAP_FIXED_NOREPLACE, -1, 0);
        if (second != -1L) {
            if (back == address) {
                LibC.memcpy(address, second, mappedLength);
            }
            LibC.munmap(second, mappedLength);
        }
    }

    @Override
    public synchronized String toString() {
        return "NativeMapping[peer offset " + remoteOffset + ", " + mappedLength + " bytes" + (closed ? ", closed" : "") + "]";
    }
}
