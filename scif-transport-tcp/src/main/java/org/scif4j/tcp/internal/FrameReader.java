package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.handler.codec.ByteToMessageDecoder;

/**
 * Cuts a link's byte stream into frames at their 4-byte length prefixes (stripped). Whoever
 * reads the link's socket feeds it, the event loop or a user thread that reads while it waits
 * (see {@link Link}), so it is not confined to a thread: callers serialise it (the link's read
 * lock). A length above {@link Wire#MAX_FRAME} is refused as soon as its prefix is read, so a
 * peer can never make the node buffer more than one legal frame.
 */
final class FrameReader {
    /** Receives each complete frame (its body after the prefix), which it must release. */
    interface Sink {
        /** @return false to stop: the link was closed for a violation */
        boolean frame(ByteBuf frame);
    }

    /** The bytes of a frame not complete yet, or null. */
    private ByteBuf cumulation;

    /**
     * Takes {@code in} (released here) and hands every frame it completes to {@code sink}.
     *
     * @return what is wrong with the stream, or null
     */
    String feed(ByteBufAllocator alloc, ByteBuf in, Sink sink) {
        // A 64 KiB payload frame nearly always spans two socket reads; merging would copy every
        // byte once more into one buffer, composing does not (a frame is a slice of the reads).
        ByteBuf b = cumulation == null ? in : ByteToMessageDecoder.COMPOSITE_CUMULATOR.cumulate(alloc, cumulation, in);
        cumulation = null;
        try {
            while (b.readableBytes() >= 4) {
                long length = b.getUnsignedInt(b.readerIndex());
                if (length > Wire.MAX_FRAME) {
                    return "a frame length of " + length + " exceeds the largest frame, " + Wire.MAX_FRAME + " bytes";
                }
                if (b.readableBytes() < 4 + length) {
                    break;
                }
                ByteBuf frame = b.retainedSlice(b.readerIndex() + 4, (int) length);
                b.skipBytes(4 + (int) length);
                if (!sink.frame(frame)) {
                    return null;
                }
            }
            if (b.isReadable()) {
                if (b instanceof CompositeByteBuf c && c.refCnt() == 1) {
                    // Only with no frame slices out: discarding shifts the indexes they use.
                    c.discardReadComponents();
                }
                cumulation = b;
                b = null;
            }
            return null;
        } finally {
            if (b != null) {
                b.release();
            }
        }
    }

    /** @return bytes of an incomplete frame held */
    int pending() {
        return cumulation == null ? 0 : cumulation.readableBytes();
    }

    /** Drops what is held: the link is gone. */
    void release() {
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
    }
}
