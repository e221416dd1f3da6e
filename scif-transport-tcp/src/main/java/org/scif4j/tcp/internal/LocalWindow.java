package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import org.scif4j.spi.WindowSet;

/**
 * One window this side registered: its place in the registered address space and its memory.
 * Immutable but for {@link #unregistered}, which the user thread that unregisters it sets and
 * every thread reads.
 */
final class LocalWindow implements WindowSet.Window {
    final long offset;
    final long length;
    final int prot;
    /** The registered bytes; also keeps the memory alive while the window is referenced. */
    final ByteBuffer memory;
    /**
     * The same memory as a Netty buffer, whose slices go out as the payload of RMA_WRITE and
     * RMA_DATA frames without a copy. Never released: it does not own the memory (the garbage
     * collector frees that once nothing, queued slices included, refers to it).
     */
    final ByteBuf wrapped;
    volatile boolean unregistered;

    LocalWindow(long offset, long length, int prot, ByteBuffer memory) {
        this.offset = offset;
        this.length = length;
        this.prot = prot;
        this.memory = memory;
        this.wrapped = Unpooled.wrappedBuffer(memory);
    }

    @Override
    public long offset() {
        return offset;
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public boolean unregistered() {
        return unregistered;
    }
}
