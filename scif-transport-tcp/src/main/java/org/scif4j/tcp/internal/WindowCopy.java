package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import org.scif4j.spi.WindowSet;

/**
 * Moves bytes between frames and this side's windows: an arriving payload into the windows it
 * names, window memory out as the payload of RMA_WRITE or RMA_DATA frames (without a copy),
 * and signalled words. Each caller brings its own {@link WindowWalk} (the submit lock's holder
 * one, the link's reader another), and the windows are read through their lock-free snapshot.
 * {@link #send} keeps buffers of its own, so an instance sends for one thread at a time.
 */
final class WindowCopy {
    /**
     * Frames one gathering write of {@link #send} takes at most: a whole RMA of
     * {@link RmaWire#MAX_RMA} bytes.
     */
    private static final int FRAMES = RmaWire.MAX_RMA / Wire.MAX_DATA;
    /** Buffers one gathering write of {@link #send} takes at most: per frame its header and its windows. */
    private static final int PARTS = 4 * FRAMES;
    /** Room for one frame's prefix and header. */
    private static final int HEADER_ROOM = Wire.FRAME_HEADER + Math.max(RmaWire.WRITE_HEADER, RmaWire.DATA_HEADER);

    private final TcpRma rma;
    private final WindowSet<LocalWindow> local;
    /**
     * The prefixes and headers of the frames of one gathering write, {@link #HEADER_ROOM} bytes
     * each, as {@link #send} writes them ({@code headers}: a view per frame, made once), and the
     * same memory as a Netty buffer for {@link RmaWire}'s builders. This and the fields after it
     * are used by {@link #send} only, which one thread at a time calls per instance: the holder
     * of the submit lock (RmaInitiator's) or the reader of the peer's link (RmaServer's).
     */
    private final ByteBuffer headerMemory = ByteBuffer.allocateDirect(FRAMES * HEADER_ROOM);
    private final ByteBuf headerBuf = Unpooled.wrappedBuffer(headerMemory);
    private final ByteBuffer[] headers = new ByteBuffer[FRAMES];
    /** Per frame of one gathering write, the index in {@code parts} after its last part. */
    private final int[] frameEnds = new int[FRAMES];
    /** The buffers of one gathering write. */
    private final ByteBuffer[] parts = new ByteBuffer[PARTS];
    /** Per part of a gathering write, the window of its view in {@code views}, or null. */
    private final LocalWindow[] viewOf = new LocalWindow[PARTS];
    private final ByteBuffer[] views = new ByteBuffer[PARTS];

    WindowCopy(TcpRma rma, WindowSet<LocalWindow> local) {
        this.rma = rma;
        this.local = local;
        for (int k = 0; k < FRAMES; k++) {
            headers[k] = headerMemory.duplicate();
        }
    }

    /**
     * Copies {@code n} bytes of {@code f} into the local RAS at {@code offset}; bytes for a
     * window that is gone (an unregister that gave up waiting) are dropped.
     */
    void toWindows(WindowWalk<LocalWindow> walk, ByteBuf f, long offset, int n) {
        for (walk.start(local.snapshot(), offset, n); walk.next(); ) {
            LocalWindow w = walk.window();
            if (w == null) {
                f.skipBytes((int) walk.length());
                return;
            }
            // Into the window's Netty view: a straight memory copy from each buffer the frame
            // spans (it usually spans two socket reads), with no view of the window to allocate.
            f.readBytes(w.wrapped, (int) walk.offsetInWindow(), (int) walk.length());
        }
    }

    /** Stores {@code value} at {@code offset} of the local RAS, if a window still holds it. */
    void store(long offset, long value) {
        LocalWindow w = RmaWindows.signalWindow(local.snapshot(), offset);
        if (w != null) {
            RmaCopy.store(w.memory, (int) (offset - w.offset), value);
        }
    }

    /**
     * Sends the RMA_WRITE (write) or RMA_DATA frames of operation {@code seq}, carrying
     * {@code length} bytes of the local RAS at {@code localOffset}, to the peer: the frames
     * straight from the windows' memory to the socket while the link's writer takes them
     * ({@link Link#writeFramesDirect}: one gathering write of every frame's header and windows'
     * bytes, no copy and no allocation; a frame per write made a 1 MiB RMA_SYNC 16 syscalls, each
     * waking the receiver, docs/decisions.md), the rest as frames composed without a copy ({@link #frames}),
     * which go out as the socket takes them. A writeTo's source must therefore stay unchanged
     * until the operation completes (RMA_SYNC, or a fence), as SCIF asks of a DMA's source; an
     * answered read sends what the window holds as the socket takes it. Called by one thread at
     * a time (see the class comment).
     *
     * @return false when a window went away since the range was checked (only close does that):
     *         nothing sent
     */
    boolean send(WindowWalk<LocalWindow> walk, boolean write, int seq, long localOffset, int length,
                 long remoteOffset, boolean ordered) {
        WindowSet.Snapshot<LocalWindow> s = local.snapshot();
        for (walk.start(s, localOffset, length); walk.next(); ) {
            if (walk.window() == null) {
                return false; // closed since the range was checked: its windows are gone
            }
        }
        int off = 0;
        while (off < length) {
            // As many whole frames as one gathering write takes: one syscall for the lot.
            int from = off;
            int frames = 0;
            int count = 0;
            while (off < length && frames < FRAMES) {
                int n = Math.min(Wire.MAX_DATA, length - off);
                int at = frames * HEADER_ROOM;
                headerBuf.setIndex(at, at);
                frameHeader(headerBuf, write, seq, off, n, off + n == length, remoteOffset, ordered);
                ByteBuffer h = headers[frames];
                h.clear();
                h.position(at).limit(headerBuf.writerIndex());
                int c = count;
                boolean fits = c < PARTS;
                if (fits) {
                    parts[c++] = h;
                    for (walk.start(s, localOffset + off, n); walk.next(); ) {
                        if (c == PARTS) {
                            fits = false; // the frame's windows do not fit in this write
                            break;
                        }
                        parts[c] = view(c, walk.window(), (int) walk.offsetInWindow(), (int) walk.length());
                        c++;
                    }
                }
                if (!fits) {
                    break;
                }
                count = c;
                frameEnds[frames++] = count;
                off += n;
            }
            if (frames == 0) {
                break; // one frame of more windows than a gathering write takes: composed below
            }
            int took = rma.sendFramesDirect(parts, frameEnds, frames);
            if (took < frames) {
                off = from + took * Wire.MAX_DATA; // every frame but an operation's last is MAX_DATA
                break;
            }
        }
        if (off < length) {
            ByteBuf rest = frames(s, walk, write, seq, localOffset, off, length, remoteOffset, ordered);
            if (rest == null) {
                return false; // not reached: the snapshot's windows were checked above
            }
            rma.send(rest);
        }
        return true;
    }

    /** Appends the prefix and header of the frame at {@code off} of the operation to {@code b}. */
    private void frameHeader(ByteBuf b, boolean write, int seq, int off, int n, boolean last, long remoteOffset,
                             boolean ordered) {
        if (write) {
            RmaWire.writeHeader(b, rma.peerWireId, seq, remoteOffset + off, writeFlags(last, ordered), n);
        } else {
            RmaWire.dataHeader(b, rma.peerWireId, seq, last ? RmaWire.RMA_LAST : 0, n);
        }
    }

    /**
     * @return a view of {@code w}'s memory from {@code index}, {@code n} bytes, for part
     *         {@code part} of a gathering write: each part keeps its view while it is of the same
     *         window, so that sending from the same windows allocates nothing
     */
    private ByteBuffer view(int part, LocalWindow w, int index, int n) {
        if (viewOf[part] != w) {
            viewOf[part] = w;
            views[part] = w.memory.duplicate();
        }
        ByteBuffer v = views[part];
        v.clear();
        v.position(index).limit(index + n);
        return v;
    }

    /**
     * The frames of the operation from its byte {@code from} on (see {@link #send}), composed
     * without copying: each frame is its header (all headers share one small buffer) followed
     * by slices of the windows' memory, and the socket takes them in one gathering write.
     *
     * @return the frames, or null when a window of {@code s} is missing
     */
    private ByteBuf frames(WindowSet.Snapshot<LocalWindow> s, WindowWalk<LocalWindow> walk, boolean write, int seq,
                           long localOffset, int from, int length, long remoteOffset, boolean ordered) {
        int count = (length - from + Wire.MAX_DATA - 1) / Wire.MAX_DATA;
        int header = Wire.FRAME_HEADER + (write ? RmaWire.WRITE_HEADER : RmaWire.DATA_HEADER);
        ByteBuf headers = rma.node.alloc().directBuffer(count * header);
        CompositeByteBuf frames = rma.node.alloc().compositeDirectBuffer(Integer.MAX_VALUE);
        try {
            for (int off = from; off < length; ) {
                int n = Math.min(Wire.MAX_DATA, length - off);
                int at = headers.writerIndex();
                frameHeader(headers, write, seq, off, n, off + n == length, remoteOffset, ordered);
                frames.addComponent(true, headers.retainedSlice(at, header));
                if (!addSlices(walk.start(s, localOffset + off, n), frames)) {
                    frames.release();
                    return null;
                }
                off += n;
            }
            return frames;
        } finally {
            headers.release(); // the frames hold their slices of it
        }
    }

    /**
     * Appends to {@code frames} slices of the windows' memory covering the walk's range; the
     * range was checked.
     *
     * @return false when a window went away since (only close does that)
     */
    private static boolean addSlices(WindowWalk<LocalWindow> walk, CompositeByteBuf frames) {
        while (walk.next()) {
            LocalWindow w = walk.window();
            if (w == null) {
                return false; // closed since the range was checked: its windows are gone
            }
            frames.addComponent(true, w.wrapped.retainedSlice((int) walk.offsetInWindow(), (int) walk.length()));
        }
        return true;
    }

    /** @return the flags of an RMA_WRITE frame */
    static int writeFlags(boolean last, boolean ordered) {
        return last ? RmaWire.RMA_LAST | (ordered ? RmaWire.RMA_ORDERED : 0) : 0;
    }
}
