package org.scif4j.shm.internal;

import net.openhft.chronicle.core.UnsafeMemory;

/**
 * Raw copies and stores between native addresses and heap arrays: the DMA engine's and the
 * CPU's copy loop. A piece of memory is (base, offset): a {@code byte[]} and the index in it,
 * or null and a native address.
 */
final class Memory {
    private static final UnsafeMemory MEMORY = UnsafeMemory.MEMORY;
    static final long BYTE_ARRAY_BASE = MEMORY.arrayBaseOffset(byte[].class);

    private Memory() {
    }

    /**
     * The longest piece {@link #copy} hands to one intrinsic copy: the thread reaches no
     * safepoint inside one, so a long copy is cut into pieces (as Chronicle cuts its own).
     */
    private static final long COPY_PIECE = 1 << 20;

    /** Copies {@code bytes}; a null base means a native address, else a byte[] and an index in it. */
    static void copy(Object srcBase, long srcOffset, Object dstBase, long dstOffset, long bytes) {
        copyRaw(srcBase, srcBase == null ? srcOffset : BYTE_ARRAY_BASE + srcOffset,
            dstBase, dstBase == null ? dstOffset : BYTE_ARRAY_BASE + dstOffset, bytes);
    }

    /**
     * Copies {@code bytes} between two places as {@code Unsafe} names them: a null base and an
     * address, or an array and a raw offset in it. Every bulk copy of the transport goes
     * through here, to {@code Unsafe.copyMemory}, the JIT's intrinsic copy (what
     * {@code ByteBuffer.put} and the memcpy baseline use): Chronicle's overloads with a heap
     * array on one side copy 16 bytes a loop turn in Java instead, and from a native address to
     * a higher one they copy backwards (docs/decisions.md, "Ring and RMA copies go through the
     * intrinsic").
     */
    static void copyRaw(Object srcBase, long from, Object dstBase, long to, long bytes) {
        for (long done = 0; done < bytes; done += COPY_PIECE) {
            UnsafeMemory.UNSAFE.copyMemory(srcBase, from + done, dstBase, to + done, Math.min(COPY_PIECE, bytes - done));
        }
    }

    /** @return the address of a direct buffer's first remaining byte (no allocation, no native call) */
    static long address(java.nio.ByteBuffer direct) {
        return MEMORY.address(direct) + direct.position();
    }

    static void storeFence() {
        MEMORY.storeFence();
    }

    static void putLongVolatile(long address, long value) {
        MEMORY.writeVolatileLong(address, value);
    }

    /** A release store: after every access before it. */
    static void putLongOrdered(long address, long value) {
        MEMORY.writeOrderedLong(address, value);
    }

    static long getLongVolatile(long address) {
        return MEMORY.readVolatileLong(address);
    }

    static void fullFence() {
        java.lang.invoke.VarHandle.fullFence();
    }

    static void putLong(long address, long value) {
        MEMORY.writeLong(address, value);
    }

    /** An atomic add, sequentially consistent; returns the new value. */
    static int addInt(long address, int delta) {
        return MEMORY.addInt(address, delta);
    }

    static int getIntVolatile(long address) {
        return MEMORY.readVolatileInt(address);
    }
}
