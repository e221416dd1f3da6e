package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import org.scif4j.spi.AbstractWindow;

/**
 * One window this side registered: its place in the registered address space and its memory.
 * Immutable but for {@link #unregistered}, which the user thread that unregisters it sets and
 * every thread reads.
 */
final class LocalWindow extends AbstractWindow {
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
        super(offset, length, prot);
        this.memory = memory;
        this.wrapped = Unpooled.wrappedBuffer(memory);
    }

    @Override
    public boolean unregistered() {
        return unregistered;
    }
}
