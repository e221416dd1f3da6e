package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import org.scif4j.spi.WindowSet;

/**
 * Moves bytes between frames and this side's windows: an arriving payload into the windows it
 * names, window memory out as the payload of RMA_WRITE or RMA_DATA frames (without a copy),
 * and signalled words. Holds no state of its own: each caller brings its own
 * {@link WindowWalk} (the submit lock's holder one, the link's reader another), and the
 * windows are read through their lock-free snapshot.
 */
final class WindowCopy {
    private final TcpRma rma;
    private final WindowSet<LocalWindow> local;

    WindowCopy(TcpRma rma, WindowSet<LocalWindow> local) {
        this.rma = rma;
        this.local = local;
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
            RmaCopy.toBuffer(f, w.memory, (int) walk.offsetInWindow(), (int) walk.length());
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
     * The RMA_WRITE (write) or RMA_DATA frames of operation {@code seq} carrying {@code length}
     * bytes of the local RAS at {@code localOffset}, composed without copying: each frame is its
     * header (all headers share one small buffer) followed by slices of the windows' memory, and
     * the socket takes them in one gathering write. The bytes leave when the socket takes them,
     * not when this returns: a writeTo's source must stay unchanged until the operation
     * completes (RMA_SYNC, or a fence), as SCIF asks of a DMA's source; an answered read sends
     * what the window holds as the socket takes it.
     *
     * @return the frames, or null when a window went away since the range was checked (only
     *         close does that)
     */
    ByteBuf frames(WindowWalk<LocalWindow> walk, boolean write, int seq, long localOffset, int length,
                   long remoteOffset, boolean ordered) {
        int count = (length + Wire.MAX_DATA - 1) / Wire.MAX_DATA;
        int header = Wire.FRAME_HEADER + (write ? RmaWire.WRITE_HEADER : RmaWire.DATA_HEADER);
        ByteBuf headers = rma.node.alloc().directBuffer(count * header);
        CompositeByteBuf frames = rma.node.alloc().compositeDirectBuffer(Integer.MAX_VALUE);
        WindowSet.Snapshot<LocalWindow> s = local.snapshot();
        try {
            for (int off = 0; off < length; ) {
                int n = Math.min(Wire.MAX_DATA, length - off);
                boolean last = off + n == length;
                int at = headers.writerIndex();
                if (write) {
                    RmaWire.writeHeader(headers, rma.peerWireId, seq, remoteOffset + off, writeFlags(last, ordered), n);
                } else {
                    RmaWire.dataHeader(headers, rma.peerWireId, seq, last ? RmaWire.RMA_LAST : 0, n);
                }
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
