package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Cuts a link's byte stream into frames at their 4-byte length prefixes (stripped). Whoever
 * reads the link's socket feeds it, the event loop or a user thread that reads while it waits
 * (see {@link Link}), so it is not confined to a thread: callers serialise it (the link's read
 * lock). A length above {@link Wire#MAX_FRAME} is refused as soon as its prefix is read, so a
 * peer can never make the node buffer more than one legal frame.
 *
 * <p>It also notes when the frame it holds in part began to arrive ({@link #partialSince}),
 * whoever read those bytes, so that {@link LinkHandler}'s timer (on the event loop, without
 * the read lock) can close a link whose peer trickles a frame in (a byte now and then keeps
 * the link from ever being idle). That costs one clock read per frame that spans reads and
 * none per frame that arrives whole. The clock fields are volatile for that timer: written
 * under the read lock, read without it; {@link #restartClock} changes the clock only if it
 * did not move meanwhile.
 */
final class FrameReader {
    /** Receives each complete frame (its body after the prefix), which it must release. */
    interface Sink {
        /** @return false to stop: the link was closed for a violation */
        boolean frame(ByteBuf frame);
    }

    /** {@link #partialSince} when no frame is in progress. */
    static final long NONE = Long.MIN_VALUE;
    private static final VarHandle PARTIAL_SINCE;

    static {
        try {
            PARTIAL_SINCE = MethodHandles.lookup().findVarHandle(FrameReader.class, "partialSince", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The bytes of a frame not complete yet, or null. */
    private ByteBuf cumulation;
    /**
     * When the first byte of the frame in progress arrived (System.nanoTime), or {@link #NONE}.
     * Written last when a frame's clock starts, so that a reader that sees it sees its size too.
     */
    private volatile long partialSince = NONE;
    /** The size of the frame in progress, its prefix included; 4 while the prefix itself is incomplete. */
    private volatile long partialBytes;
    /** How many bytes of the frame in progress arrived (for the log). */
    private volatile int partialArrived;

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
        boolean cut = false;
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
                cut = true;
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
                notePartial(b, cut);
                b = null;
            } else if (partialSince != NONE) {
                partialSince = NONE;
            }
            return null;
        } finally {
            if (b != null) {
                b.release();
            }
        }
    }

    /**
     * Notes the frame held in part. {@code fresh}: this read completed frames, so what is left
     * begins a new frame, whose clock starts now.
     */
    private void notePartial(ByteBuf b, boolean fresh) {
        partialArrived = b.readableBytes();
        if (fresh || partialSince == NONE) {
            partialBytes = frameBytes(b);
            partialSince = System.nanoTime(); // last: publishes partialBytes
        } else if (partialBytes == 4 && b.readableBytes() >= 4) {
            partialBytes = frameBytes(b); // the prefix is complete now
        }
    }

    /** @return the size of the frame at {@code b}'s reader index, prefix included; 4 while the prefix is incomplete */
    private static long frameBytes(ByteBuf b) {
        return b.readableBytes() < 4 ? 4 : 4 + b.getUnsignedInt(b.readerIndex());
    }

    /** @return when the first byte of the frame held in part arrived (System.nanoTime), or {@link #NONE} */
    long partialSince() {
        return partialSince;
    }

    /** @return the size of the frame held in part, its length prefix included (4 until the prefix is whole) */
    long partialBytes() {
        return partialBytes;
    }

    /** @return how many bytes of the frame held in part arrived */
    int partialArrived() {
        return partialArrived;
    }

    /**
     * Restarts the clock of the frame in progress, if it is still the one that started at
     * {@code since}: the link was not being read meanwhile. Any thread.
     */
    void restartClock(long since, long now) {
        if (since != NONE) {
            PARTIAL_SINCE.compareAndSet(this, since, now);
        }
    }

    /** @return bytes of an incomplete frame held */
    int pending() {
        return cumulation == null ? 0 : cumulation.readableBytes();
    }

    /** Drops what is held: the link is gone. */
    void release() {
        partialSince = NONE;
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
    }
}
