package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;

/**
 * One small frame (or a few) built in a buffer of its own and written straight to a link's
 * socket by the sending thread ({@link Link#writeFramesDirect}), so that a frame sent per
 * operation (an RMA_DONE, a batch of RMA_READs) takes no buffer from the allocator: on a user
 * thread Netty's pool gives no buffer object back (its recycler serves its own threads only), so
 * each would be a new object. Only when the link's writer cannot take the bytes directly (others
 * are queued before them, the link is not open) are they copied into a buffer from the allocator
 * and sent as any frame. Not thread-safe: its owner confines it (a lock, or the link's reader).
 */
final class FrameScratch {
    private final ByteBuffer bytes;
    /** The same memory as a Netty buffer, for the Wire builders. */
    private final ByteBuf buf;
    private final ByteBuffer[] parts = new ByteBuffer[1];
    /** What was appended, written as one unit of one part (see {@link Link#writeFramesDirect}). */
    private static final int[] ONE_FRAME = {1};

    FrameScratch(int capacity) {
        bytes = ByteBuffer.allocateDirect(capacity);
        buf = Unpooled.wrappedBuffer(bytes).clear();
        parts[0] = bytes;
    }

    /** @return the buffer to append the frames to, empty */
    ByteBuf start() {
        return buf.clear();
    }

    /** @return the buffer the frames are appended to (with what was appended since {@link #start}) */
    ByteBuf buffer() {
        return buf;
    }

    /** @return how many bytes of frames it holds at most */
    int capacity() {
        return bytes.capacity();
    }

    /** @return whether nothing was appended since {@link #start} */
    boolean isEmpty() {
        return !buf.isReadable();
    }

    /** Sends what was appended since {@link #start} over {@code link}, and empties the buffer. */
    void send(Link link) {
        bytes.clear().limit(buf.writerIndex());
        if (link.writeFramesDirect(parts, ONE_FRAME, 1) == 0) {
            ByteBuf f = link.channel.alloc().directBuffer(buf.readableBytes());
            f.writeBytes(buf, buf.readerIndex(), buf.readableBytes());
            link.write(f);
        }
        buf.clear();
    }
}
