package org.scif4j.tcp.internal;

import org.scif4j.spi.WindowSet;

/**
 * Walks a range of a registered address space window by window: each step is the piece of the
 * range inside one window, or the first gap (a position no window covers), after which the
 * walk ends. The one walk behind every range check and copy of the tcp RMA path (the local
 * and peer checks of a call, the check of a peer's access, copying into windows, slicing them
 * into frames).
 *
 * <p>A cursor, reused so that a walk allocates nothing; each belongs to one thread at a time
 * (its owner says which: the holder of submitLock, or the reader of the link).
 *
 * @param <W> the window type
 */
final class WindowWalk<W extends WindowSet.Window> {
    private WindowSet.Snapshot<W> windows;
    private int index;
    private long position;
    private long remaining;
    private long piece;
    private W window;

    /**
     * Starts a walk of {@code length} bytes at {@code offset}; the first {@link #next} finds
     * the first piece.
     *
     * @return this
     */
    WindowWalk<W> start(WindowSet.Snapshot<W> snapshot, long offset, long length) {
        this.windows = snapshot;
        this.index = offset < 0 ? -1 : snapshot.floor(offset);
        this.position = offset;
        this.remaining = length;
        this.piece = 0;
        this.window = null;
        return this;
    }

    /**
     * Moves to the next piece of the range.
     *
     * @return false when the range is covered (or the walk ended at a gap); true when there is
     *         a piece: {@link #window()} covers it, or is null at a gap
     */
    boolean next() {
        position += piece;
        remaining -= piece;
        if (remaining <= 0) {
            window = null;
            return false;
        }
        // Windows are sorted and do not overlap: the next piece starts in the next window.
        W w = windows.at(index++);
        if (w == null || w.offset() > position || w.last() < position) {
            window = null;
            piece = remaining; // a gap ends the walk
            return true;
        }
        window = w;
        piece = Math.min(remaining, w.last() - position + 1);
        return true;
    }

    /** @return the window holding this piece, or null when it is a gap */
    W window() {
        return window;
    }

    /** @return where this piece (or the gap) starts in the registered address space */
    long position() {
        return position;
    }

    /** @return this piece's length in bytes (for a gap: the rest of the range) */
    long length() {
        return piece;
    }

    /** @return this piece's offset inside its window */
    long offsetInWindow() {
        return position - window.offset();
    }
}
