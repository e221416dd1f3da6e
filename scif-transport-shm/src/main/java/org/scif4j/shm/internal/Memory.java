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

    /** Copies {@code bytes}; a null base means a native address, else a byte[] and an index in it. */
    static void copy(Object srcBase, long srcOffset, Object dstBase, long dstOffset, long bytes) {
        if (srcBase == null && dstBase == null) {
            MEMORY.copyMemory(srcOffset, dstOffset, bytes);
        } else if (srcBase == null) {
            MEMORY.copyMemory(srcOffset, dstBase, BYTE_ARRAY_BASE + dstOffset, (int) bytes);
        } else if (dstBase == null) {
            MEMORY.copyMemory((byte[]) srcBase, (int) srcOffset, dstOffset, (int) bytes);
        } else {
            System.arraycopy(srcBase, (int) srcOffset, dstBase, (int) dstOffset, (int) bytes);
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
