package org.scif4j.shm.internal;

import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.MappedBytes;
import net.openhft.chronicle.core.UnsafeMemory;

/**
 * A file under the fabric directory mapped whole into memory with Chronicle Bytes: the
 * flyweight base for every shared structure. Offsets are relative to the file's start; every
 * multi-byte field is native order (little-endian on x86_64) and naturally aligned so that
 * the atomic operations below are atomic across processes.
 *
 * <p>Not safe to {@link #close()} while another thread may still access it: owners unmap only
 * after every user is gone (see the callers' comments).
 */
public final class SharedFile implements AutoCloseable {
    private static final UnsafeMemory MEMORY = UnsafeMemory.MEMORY;

    private final Path path;
    private final MappedBytes bytes;
    private final long address;
    private final long size;
    private boolean closed;

    private SharedFile(Path path, MappedBytes bytes, long size) {
        this.path = path;
        this.bytes = bytes;
        BytesStore<?, ?> store = bytes.bytesStore();
        this.address = store.addressForRead(0);
        this.size = size;
    }

    /**
     * Maps {@code path}, growing the file to {@code size} bytes if it is shorter (new bytes
     * read as zero).
     *
     * @param path the file
     * @param size bytes to map
     * @return the mapping
     * @throws IOException if the file cannot be opened or mapped
     */
    public static SharedFile map(Path path, long size) throws IOException {
        try {
            MappedBytes mb = MappedBytes.singleMappedBytes(path.toFile(), size);
            return new SharedFile(path, mb, size);
        } catch (IOException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new IOException("cannot map " + path + ": " + e, e);
        }
    }

    /** @return the file mapped */
    public Path path() {
        return path;
    }

    /** @return bytes mapped */
    public long size() {
        return size;
    }

    /**
     * @param offset offset in the file
     * @return the address of that byte in this process
     */
    public long address(long offset) {
        return address + offset;
    }

    /**
     * A direct buffer over part of the mapping, for bulk copies; it does not own the memory.
     *
     * @param offset start
     * @param length bytes, at most 2 GiB
     * @return the buffer, native order
     */
    public ByteBuffer buffer(long offset, int length) {
        return new Pointer(address + offset).getByteBuffer(0, length).order(ByteOrder.nativeOrder());
    }

    /** @param offset field offset @return the int, with acquire semantics and more */
    public int getInt(long offset) {
        return MEMORY.readVolatileInt(address + offset);
    }

    /** @param offset field offset @param value stored with full (volatile) semantics */
    public void putInt(long offset, int value) {
        MEMORY.writeVolatileInt(address + offset, value);
    }

    /** @param offset field offset @param value stored with release semantics */
    public void putIntOrdered(long offset, int value) {
        MEMORY.writeOrderedInt(address + offset, value);
    }

    /** @param offset field offset @return the long, volatile read */
    public long getLong(long offset) {
        return MEMORY.readVolatileLong(address + offset);
    }

    /** @param offset field offset @param value stored with full (volatile) semantics */
    public void putLong(long offset, long value) {
        MEMORY.writeVolatileLong(address + offset, value);
    }

    /** @param offset field offset @param value stored with release semantics */
    public void putLongOrdered(long offset, long value) {
        MEMORY.writeOrderedLong(address + offset, value);
    }

    /** @param offset field offset @param expect expected @param update new @return whether swapped */
    public boolean casInt(long offset, int expect, int update) {
        return MEMORY.compareAndSwapInt(address + offset, expect, update);
    }

    /** @param offset field offset @param delta added atomically @return the new value */
    public int addInt(long offset, int delta) {
        return MEMORY.addInt(address + offset, delta);
    }

    /** @param offset field offset @param delta added atomically @return the new value */
    public long addLong(long offset, long delta) {
        return MEMORY.addLong(address + offset, delta);
    }

    /** Unmaps; idempotent. The caller guarantees nobody accesses the memory any more. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            bytes.releaseLast();
        }
    }

    @Override
    public String toString() {
        return "SharedFile[" + path + ", " + size + " bytes]";
    }
}
