package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import java.util.List;

/**
 * Cuts a link's byte stream into frames at their 4-byte length prefixes (stripped), and rejects
 * a length above {@link Wire#MAX_FRAME} as soon as the prefix is read, so that a peer can never
 * make the node buffer more than one legal frame. A stream that ends inside a frame (a
 * truncated frame) is reported as a {@link CorruptedFrameException}, so that the link's close is
 * logged with that reason rather than passing for an ordinary disconnect.
 *
 * <p>It also notes when the frame it holds in part began to arrive ({@link #partialSince}), so
 * that {@link LinkHandler} can close a link whose peer trickles a frame in (a byte now and then
 * keeps the link from ever being idle). That costs one clock read per frame that spans reads,
 * none per frame that arrives whole. Event-loop confined, like every decoder.
 */
final class FrameDecoder extends LengthFieldBasedFrameDecoder {
    /** {@link #partialSince} when no frame is in progress. */
    static final long NONE = Long.MIN_VALUE;

    /** When the first byte of the frame in progress arrived (System.nanoTime), or {@link #NONE}. */
    private long partialSince = NONE;
    /** The size of the frame in progress, its prefix included; 4 while the prefix itself is incomplete. */
    private long partialBytes;

    FrameDecoder() {
        // Netty's limit counts the prefix too; fail fast: at the prefix, not after buffering.
        super(4 + Wire.MAX_FRAME, 0, 4, 0, 4, true);
        // A 64 KiB payload frame nearly always spans two socket reads; merging would copy every
        // byte once more into one buffer, composing does not (a frame is a slice of the reads).
        setCumulator(COMPOSITE_CUMULATOR);
    }

    @Override
    protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
        Object frame = super.decode(ctx, in);
        if (frame != null || !in.isReadable()) {
            partialSince = NONE;
        } else if (partialSince == NONE) {
            // Bytes of a frame that is not complete: its clock starts with this read.
            partialSince = System.nanoTime();
            partialBytes = in.readableBytes() < 4 ? 4 : 4 + in.getUnsignedInt(in.readerIndex());
        } else if (partialBytes == 4 && in.readableBytes() >= 4) {
            partialBytes = 4 + in.getUnsignedInt(in.readerIndex()); // the prefix is complete now
        }
        return frame;
    }

    /** @return when the first byte of the frame held in part arrived (System.nanoTime), or {@link #NONE} */
    long partialSince() {
        return partialSince;
    }

    /** @return the size of the frame held in part, its length prefix included (4 until the prefix is whole) */
    long partialBytes() {
        return partialBytes;
    }

    /** @return how many bytes of the frame in progress arrived */
    int partialArrived() {
        return actualReadableBytes();
    }

    /** Restarts the clock of the frame in progress: the link was not being read meanwhile. */
    void restartClock(long now) {
        if (partialSince != NONE) {
            partialSince = now;
        }
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        super.decodeLast(ctx, in, out);
        if (in.isReadable()) {
            int cut = in.readableBytes();
            in.skipBytes(cut);
            throw new CorruptedFrameException("the stream ended inside a frame (" + cut + " bytes of it arrived)");
        }
    }
}
