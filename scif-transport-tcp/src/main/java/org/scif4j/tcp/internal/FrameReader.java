package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.LongSupplier;

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

    /**
     * The bytes of a frame not complete yet as Netty buffers (a slice or a composite of the event
     * loop's reads), or null. At most one of this and {@code heldRoot} holds bytes.
     */
    private ByteBuf cumulation;
    /**
     * Or the bytes of a frame not complete yet where a user reader read them: bytes
     * [{@code heldFrom}, {@code heldEnd}) of its read buffer, on which this reader holds one
     * reference; null when not. The user reader reads on right after them
     * ({@link #prepareUserRead}), so that the frame, once whole, lies in one buffer.
     */
    private ByteBuf heldRoot;
    private int heldFrom;
    private int heldEnd;
    /**
     * When the first byte of the frame in progress arrived ({@code clock}), or {@link #NONE}.
     * Written last when a frame's clock starts, so that a reader that sees it sees its size too.
     */
    private volatile long partialSince = NONE;
    /** The size of the frame in progress, its prefix included; 4 while the prefix itself is incomplete. */
    private volatile long partialBytes;
    /** How many bytes of the frame in progress arrived (for the log). */
    private volatile int partialArrived;
    /** The node's clock (System.nanoTime but in tests), which the link's timer reads too. */
    private final LongSupplier clock;

    /** @param clock the clock of {@link #partialSince}: the node's, which the link's timer reads too */
    FrameReader(LongSupplier clock) {
        this.clock = clock;
    }

    /**
     * Takes {@code in} (released here) and hands every frame it completes to {@code sink}.
     *
     * @return what is wrong with the stream, or null
     */
    String feed(ByteBufAllocator alloc, ByteBuf in, Sink sink) {
        if (heldRoot != null) {
            // A user reader held the start of this frame: as a slice, to join the event loop's read.
            cumulation = heldRoot.retainedSlice(heldFrom, heldEnd - heldFrom);
            heldRoot.release();
            heldRoot = null;
        }
        // A 64 KiB payload frame nearly always spans two socket reads; merging would copy every
        // byte once more into one buffer, composing does not (a frame is a slice of the reads).
        // Bytes that continue the held ones in the same buffer (a user reader reads on into its
        // buffer's tail) make one slice with them.
        ByteBuf held = cumulation == null ? null : compact(cumulation);
        ByteBuf b = held == null ? in : adjoining(held, in);
        if (b == null) {
            b = ByteToMessageDecoder.COMPOSITE_CUMULATOR.cumulate(alloc, held, in);
        }
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
                b = compact(b);
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
     * A user reader is about to read into {@code root} at its writer index: the bytes held of a
     * frame in progress, if they do not end right there, are copied there first (they are few:
     * at most a frame), so that what it reads continues them in one buffer. The caller made
     * room for {@link #pending} bytes more than it reads.
     */
    void prepareUserRead(ByteBuf root) {
        if (heldRoot != null) {
            if (endsAt(root)) {
                return; // the next read continues them
            }
            int from = root.writerIndex();
            root.writeBytes(heldRoot, heldFrom, heldEnd - heldFrom);
            heldRoot.release();
            heldRoot = root.retain();
            heldFrom = from;
            heldEnd = root.writerIndex();
        } else if (cumulation != null) {
            int from = root.writerIndex();
            root.writeBytes(cumulation, cumulation.readerIndex(), cumulation.readableBytes());
            cumulation.release();
            cumulation = null;
            heldRoot = root.retain();
            heldFrom = from;
            heldEnd = root.writerIndex();
        }
    }

    /** @return whether bytes of a frame in progress are held and end at {@code root}'s writer index */
    boolean endsAt(ByteBuf root) {
        return heldRoot == root && heldEnd == root.writerIndex();
    }

    /**
     * A user reader's read: bytes [{@code from}, {@code from + n}) of its read buffer
     * {@code root}, which {@link #prepareUserRead} made continue any bytes held. Every frame it
     * completes goes to {@code sink} as {@code view} (a duplicate of {@code root}, reused for
     * each frame: no buffer is made per frame) with its indexes around the frame's body and one
     * reference more on {@code root}, which the sink releases; a sink that keeps the bytes keeps
     * that reference and their indexes, not the view's (see FlowControl). The rest of a frame
     * stays where it is, held ({@code heldRoot}).
     *
     * @return what is wrong with the stream, or null
     */
    String feedUser(ByteBuf root, ByteBuf view, int from, int n, Sink sink) {
        int at = from;
        int end = from + n;
        if (heldRoot != null) {
            at = heldFrom; // prepareUserRead put them right before the read
            heldRoot.release();
            heldRoot = null;
        }
        boolean cut = false;
        while (end - at >= 4) {
            long length = root.getUnsignedInt(at);
            if (length > Wire.MAX_FRAME) {
                return "a frame length of " + length + " exceeds the largest frame, " + Wire.MAX_FRAME + " bytes";
            }
            if (end - at < 4 + length) {
                break;
            }
            view.setIndex(at + 4, at + 4 + (int) length);
            root.retain(); // the sink's reference, as a slice's would be
            at += 4 + (int) length;
            cut = true;
            if (!sink.frame(view)) {
                return null;
            }
        }
        if (at < end) {
            heldRoot = root.retain();
            heldFrom = at;
            heldEnd = end;
            notePartial(root, at, end, cut);
        } else if (partialSince != NONE) {
            partialSince = NONE;
        }
        return null;
    }

    /**
     * Drops the components of a composite {@code held} that were read, and what is left as a
     * slice of its buffer when it lies in one. Only with no frame slices of it out (its count at
     * 1): discarding shifts the indexes they use. Done both after frames were cut and before
     * more bytes join: frames a receive queue took keep the count up after a read, and the
     * cumulator then adds to the composite the next time without discarding, so without the
     * second a stream whose frames were queued grew one composite by a component (a read buffer
     * held) per read (counted: 143 components, 36 MB read through, every read buffer held and a
     * fresh pool chunk made and zeroed per read).
     *
     * @return what holds the bytes now ({@code held}, or the slice that replaced it)
     */
    private static ByteBuf compact(ByteBuf held) {
        if (held instanceof CompositeByteBuf c && c.refCnt() == 1) {
            c.discardReadComponents();
            if (c.numComponents() == 1) {
                // What is left lies in one buffer: held as a slice of it, which the bytes read
                // next into the same buffer adjoin (see adjoining).
                ByteBuf rest = c.internalComponent(0).retainedSlice(c.readerIndex(), c.readableBytes());
                c.release();
                return rest;
            }
        }
        return held;
    }

    /**
     * Joins {@code held} and {@code in} when {@code in}'s bytes follow {@code held}'s in the
     * memory of the buffer both are slices of: one slice of it over both (retained), and both
     * released. A frame spanning reads is then one slice, and copying it out walks no
     * components.
     *
     * @return the joined bytes, or null when they do not adjoin (nothing released)
     */
    private static ByteBuf adjoining(ByteBuf held, ByteBuf in) {
        ByteBuf root = in.unwrap();
        if (root == null || held.unwrap() != root || !root.hasMemoryAddress() || !held.hasMemoryAddress()
            || !in.hasMemoryAddress()
            || held.memoryAddress() + held.writerIndex() != in.memoryAddress() + in.readerIndex()) {
            return null;
        }
        int from = (int) (held.memoryAddress() + held.readerIndex() - root.memoryAddress());
        ByteBuf joined = root.retainedSlice(from, held.readableBytes() + in.readableBytes());
        held.release();
        in.release();
        return joined;
    }

    /**
     * Notes the frame held in part. {@code fresh}: this read completed frames, so what is left
     * begins a new frame, whose clock starts now.
     */
    private void notePartial(ByteBuf b, boolean fresh) {
        notePartial(b, b.readerIndex(), b.writerIndex(), fresh);
    }

    /** As {@link #notePartial(ByteBuf, boolean)}, for bytes [{@code from}, {@code end}) of {@code b}. */
    private void notePartial(ByteBuf b, int from, int end, boolean fresh) {
        partialArrived = end - from;
        if (fresh || partialSince == NONE) {
            partialBytes = frameBytes(b, from, end);
            partialSince = clock.getAsLong(); // last: publishes partialBytes
        } else if (partialBytes == 4 && end - from >= 4) {
            partialBytes = frameBytes(b, from, end); // the prefix is complete now
        }
    }

    /** @return the size of the frame at {@code from}, prefix included; 4 while the prefix is incomplete */
    private static long frameBytes(ByteBuf b, int from, int end) {
        return end - from < 4 ? 4 : 4 + b.getUnsignedInt(from);
    }

    /** @return when the first byte of the frame held in part arrived ({@code clock}), or {@link #NONE} */
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
        return heldRoot != null ? heldEnd - heldFrom : cumulation == null ? 0 : cumulation.readableBytes();
    }

    /** Drops what is held: the link is gone. */
    void release() {
        partialSince = NONE;
        if (heldRoot != null) {
            heldRoot.release();
            heldRoot = null;
        }
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
    }
}
