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
 */
final class FrameDecoder extends LengthFieldBasedFrameDecoder {
    FrameDecoder() {
        // Netty's limit counts the prefix too; fail fast: at the prefix, not after buffering.
        super(4 + Wire.MAX_FRAME, 0, 4, 0, 4, true);
        // A 64 KiB payload frame nearly always spans two socket reads; merging would copy every
        // byte once more into one buffer, composing does not (a frame is a slice of the reads).
        setCumulator(COMPOSITE_CUMULATOR);
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
