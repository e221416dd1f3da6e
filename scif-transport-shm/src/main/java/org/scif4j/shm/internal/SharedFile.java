package org.scif4j.shm.internal;

import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import net.openhft.chronicle.core.OS;
import net.openhft.chronicle.core.UnsafeMemory;

/**
 * A file under the fabric directory mapped whole into memory with Chronicle (OS.map): the
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
    private final long address;
    private final long size;
    private boolean closed;

    private SharedFile(Path path, long address, long size) {
        this.path = path;
        this.address = address;
        this.size = size;
    }

    /**
     * Maps {@code path}, creating it if it does not exist and growing it to {@code size} bytes
     * if it is shorter (new bytes read as zero). Only for a file this process owns or is
     * creating: a file that other processes may delete at any time must be mapped with
     * {@link #mapExisting}, or a deletion racing with this call leaves a new zero-filled file
     * under its name.
     *
     * @param path the file
     * @param size bytes to map
     * @return the mapping
     * @throws IOException if the file cannot be opened or mapped
     */
    public static SharedFile map(Path path, long size) throws IOException {
        return FabricFiles.uninterruptibly(() -> mapOrGrow(path, size)); // grows at most: safe to repeat
    }

    private static SharedFile mapOrGrow(Path path, long size) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
            StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            if (channel.size() < size) {
                channel.write(ByteBuffer.allocate(1), size - 1); // grows the file; the rest reads as zero
            }
            return mapExisting(channel, path, size); // the mapping outlives the channel
        }
    }

    /**
     * Creates {@code path} exclusively (never through a link, failing if anything has the
     * name), {@code 0600}, of {@code size} zero bytes, and maps it.
     *
     * @param path the new file
     * @param size its size, all mapped
     * @return the mapping
     * @throws java.nio.file.FileAlreadyExistsException if the name is taken
     * @throws IOException if the file cannot be made or mapped (it is then removed)
     */
    public static SharedFile create(Path path, long size) throws IOException {
        return FabricFiles.uninterruptibly(() -> createUnchecked(path, size)); // removes the file when it fails
    }

    private static SharedFile createUnchecked(Path path, long size) throws IOException {
        try (FileChannel channel = FabricFiles.createNew(path)) {
            try {
                channel.write(ByteBuffer.allocate(1), size - 1); // grows the file; the rest reads as zero
                return mapExisting(channel, path, size);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(path);
                throw e;
            }
        }
    }

    /**
     * Maps the file open on {@code channel} as it is: never creates, grows or truncates it.
     * Mapping through the channel (rather than by name) maps exactly the file the caller has
     * opened and checked, even if its name is removed or reused meanwhile. The mapping
     * outlives the channel, which the caller closes.
     *
     * @param channel the file, open for reading and writing
     * @param path    its name, for messages
     * @param size    bytes to map
     * @return the mapping
     * @throws NoSuchFileException if the file is shorter than {@code size} (it is being removed
     *                             or was never a complete file: the caller may retry)
     * @throws IOException         if the file cannot be mapped
     */
    public static SharedFile mapExisting(FileChannel channel, Path path, long size) throws IOException {
        long actual = channel.size();
        if (actual < size) {
            throw new NoSuchFileException(path.toString(), null, "the file is " + actual
                + " bytes long, shorter than the " + size + " bytes expected");
        }
        try {
            return new SharedFile(path, OS.map(channel, FileChannel.MapMode.READ_WRITE, 0, size), size);
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
        return address + check(offset, 4);
    }

    /**
     * Every offset is checked before use, so that no value read from shared memory, however
     * corrupt, makes this process read or write outside the mapping: one compare, predicted.
     *
     * @return {@code offset}
     * @throws IndexOutOfBoundsException naming the file, if {@code [offset, offset+bytes)} is not in it
     */
    private long check(long offset, int bytes) {
        if (offset < 0 || offset > size - bytes) {
            throw new IndexOutOfBoundsException("offset " + offset + " (+" + bytes + " bytes) is outside "
                + path + " (" + size + " bytes): a corrupt value in shared memory?");
        }
        return offset;
    }

    /**
     * A direct buffer over part of the mapping, for bulk copies; it does not own the memory.
     *
     * @param offset start
     * @param length bytes, at most 2 GiB
     * @return the buffer, native order
     */
    public ByteBuffer buffer(long offset, int length) {
        check(offset, length);
        return new Pointer(address + offset).getByteBuffer(0, length).order(ByteOrder.nativeOrder());
    }

    /** @param offset field offset @return the int, with acquire semantics and more */
    public int getInt(long offset) {
        return MEMORY.readVolatileInt(address + check(offset, 4));
    }

    /** @param offset field offset @param value stored with full (volatile) semantics */
    public void putInt(long offset, int value) {
        MEMORY.writeVolatileInt(address + check(offset, 4), value);
    }

    /** @param offset field offset @param value stored with release semantics */
    public void putIntOrdered(long offset, int value) {
        MEMORY.writeOrderedInt(address + check(offset, 4), value);
    }

    /** @param offset field offset @return the long, volatile read */
    public long getLong(long offset) {
        return MEMORY.readVolatileLong(address + check(offset, 8));
    }

    /** @param offset field offset @param value stored with full (volatile) semantics */
    public void putLong(long offset, long value) {
        MEMORY.writeVolatileLong(address + check(offset, 8), value);
    }

    /** @param offset field offset @param value stored with release semantics */
    public void putLongOrdered(long offset, long value) {
        MEMORY.writeOrderedLong(address + check(offset, 8), value);
    }

    /** @param offset field offset @param expect expected @param update new @return whether swapped */
    public boolean casInt(long offset, int expect, int update) {
        return MEMORY.compareAndSwapInt(address + check(offset, 4), expect, update);
    }

    /** @param offset field offset @param expect expected @param update new @return whether swapped */
    public boolean casLong(long offset, long expect, long update) {
        return MEMORY.compareAndSwapLong(address + check(offset, 8), expect, update);
    }

    /** @param offset field offset @param delta added atomically @return the new value */
    public int addInt(long offset, int delta) {
        return MEMORY.addInt(address + check(offset, 4), delta);
    }

    /** @param offset field offset @param delta added atomically @return the new value */
    public long addLong(long offset, long delta) {
        return MEMORY.addLong(address + check(offset, 8), delta);
    }

    /** Unmaps; idempotent. The caller guarantees nobody accesses the memory any more. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            // Really unmapped: Chronicle's MappedBytes, used before, kept every mapping of a
            // deleted connection file until the JVM exited (a stress test counted two per
            // connection). Callers unmap only when no thread can touch the memory any more.
            try {
                OS.unmap(address, size);
            } catch (IOException e) {
                System.getLogger("org.scif4j.shm").log(System.Logger.Level.WARNING,
                    "scif4j: cannot unmap " + path + ": " + e);
            }
        }
    }

    @Override
    public String toString() {
        return "SharedFile[" + path + ", " + size + " bytes]";
    }
}
