package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;

/**
 * How much the event loop asks the socket for per read: Netty's adaptive sizes, up to
 * {@value #MAX_READ} rather than its 64 KiB, so a stream of 64 KiB frames (each 64 KiB and a
 * header, so spanning two 64 KiB reads) costs fewer reads and fewer composed frames.
 *
 * <p>Except on an open inbound link of the NIO transport, whose {@link LinkReader} reads the
 * event loop's turns into its own buffers ({@link LinkReader#readByEventLoop}): there Netty's
 * read loop gets an empty buffer, which it does not use, rather than one from the pool per read
 * (at its default level Netty's leak detector also follows one pooled buffer in 128 with a
 * recorded stack trace: bytes allocated per read). And except on an open inbound link of
 * Netty's epoll, whose read loop reads into that reader's buffers
 * ({@link LinkReader#pipelineReadBuffer}). {@link LinkReader#allowUserReads} attaches itself;
 * one per channel (epoll wraps the handle in its own, so the reader is found here, not through
 * the channel's handle).
 */
final class LinkReadSizes extends AdaptiveRecvByteBufAllocator {
    /** Largest read of the event loop. */
    static final int MAX_READ = 256 << 10;

    /** The reader of the channel's open inbound link, once attached; event-loop confined. */
    private LinkReader reader;

    LinkReadSizes() {
        super(64, 2048, MAX_READ);
    }

    /** {@code reader} reads the channel's bytes into its own buffers whenever it says so. Event loop. */
    void attach(LinkReader reader) {
        this.reader = reader;
    }

    @Override
    public Sizes newHandle() {
        return new Sizes((ExtendedHandle) super.newHandle());
    }

    /** A channel's read sizes: Netty's, but no buffer while its reader reads into its own. */
    final class Sizes extends DelegatingHandle implements ExtendedHandle {
        Sizes(ExtendedHandle delegate) {
            super(delegate);
        }

        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
            LinkReader r = reader;
            if (r == null) {
                return super.allocate(alloc);
            }
            if (r.pipelineReadsOwnBuffers()) {
                return r.pipelineReadBuffer(); // epoll: Netty reads into the reader's buffer
            }
            return r.eventLoopReadsOwnBuffers() ? Unpooled.EMPTY_BUFFER : super.allocate(alloc);
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            return ((ExtendedHandle) delegate()).continueReading(maybeMoreDataSupplier);
        }
    }
}
