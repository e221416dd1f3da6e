package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import io.netty.util.internal.PlatformDependent;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Copies between frames and registered or user memory without moving any buffer's position
 * (a window's memory is shared by every thread that touches it) and, where Netty can address
 * memory directly, without allocating: a straight memory copy between addresses or arrays.
 */
final class RmaCopy {
    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());
    private static final boolean UNSAFE = PlatformDependent.hasUnsafe();

    private RmaCopy() {
    }

    /**
     * @param buffer a buffer, or null
     * @return the address of its first remaining byte when it is direct (for the page-alignment
     *         check of register), else 0
     */
    static long address(ByteBuffer buffer) {
        return buffer != null && buffer.isDirect() && UNSAFE
            ? PlatformDependent.directBufferAddress(buffer) + buffer.position() : 0;
    }

    /** Appends {@code n} bytes of {@code src}, from its absolute {@code index}, to {@code dst}. */
    static void fromBuffer(ByteBuffer src, int index, ByteBuf dst, int n) {
        dst.ensureWritable(n);
        int w = dst.writerIndex();
        if (UNSAFE && dst.hasMemoryAddress() && (src.isDirect() || src.hasArray())) {
            long to = dst.memoryAddress() + w;
            if (src.isDirect()) {
                PlatformDependent.copyMemory(PlatformDependent.directBufferAddress(src) + index, to, n);
            } else {
                PlatformDependent.copyMemory(src.array(), src.arrayOffset() + index, to, n);
            }
        } else {
            ByteBuffer view = src.duplicate();
            view.limit(index + n).position(index);
            dst.setBytes(w, view);
        }
        dst.writerIndex(w + n);
    }

    /** Moves {@code n} bytes from {@code src}'s reader index into {@code dst} at its absolute {@code index}. */
    static void toBuffer(ByteBuf src, ByteBuffer dst, int index, int n) {
        int r = src.readerIndex();
        if (UNSAFE && src.hasMemoryAddress() && (dst.isDirect() || dst.hasArray())) {
            long from = src.memoryAddress() + r;
            if (dst.isDirect()) {
                PlatformDependent.copyMemory(from, PlatformDependent.directBufferAddress(dst) + index, n);
            } else {
                PlatformDependent.copyMemory(from, dst.array(), dst.arrayOffset() + index, n);
            }
        } else {
            ByteBuffer view = dst.duplicate();
            view.limit(index + n).position(index);
            src.getBytes(r, view);
        }
        src.readerIndex(r + n);
    }

    /**
     * A 64-bit store in native order that a poller sees whole (8-byte aligned) and after every
     * byte written before it. SCIF only asks for 4-byte alignment; such a store is fenced.
     */
    static void store(ByteBuffer memory, int index, long value) {
        if (memory.alignmentOffset(index, 8) == 0) {
            LONGS.setVolatile(memory, index, value);
        } else {
            VarHandle.releaseFence();
            memory.duplicate().order(ByteOrder.nativeOrder()).putLong(index, value);
            VarHandle.fullFence();
        }
    }

    /** Orders the stores before it ahead of those after it (RMA_ORDERED). */
    static void storeFence() {
        VarHandle.storeStoreFence();
    }
}
