package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;

/**
 * The flow control of one connection's messages, both directions, and the bytes received that
 * the user has not taken yet.
 *
 * <p>A connection's window is {@code ring} bytes per direction, of which {@code ring - 1} may be
 * outstanding, as in SCIF. {@code credit} is what this side may still send; the receiver
 * returns credit in CREDIT frames as its user consumes bytes. The receive queue therefore never
 * holds more than {@code ring - 1} bytes, and a peer that sends more has broken the protocol.
 *
 * <p>Not thread-safe: every method is called under the endpoint's monitor.
 */
final class FlowControl {
    private final int ring;
    /** Bytes this side may still send. */
    private int credit;
    /**
     * Received bytes, in order, not taken by the user yet: a ring of payloads, each as the buffer
     * it came in (one reference on it kept) and the indexes of its bytes left, in
     * {@code buffers[i]} from {@code starts[i]} to {@code ends[i]}, at {@code head}, {@code count}
     * entries. Indexes, not the buffer's own: a frame a user reader read comes in a view that is
     * reused for the next frame (FrameReader.feedUser), and slicing it would make a buffer per
     * payload. The arrays grow (doubling) and never shrink, so a warm connection queues without
     * allocating.
     */
    private ByteBuf[] buffers = new ByteBuf[16];
    private int[] starts = new int[16];
    private int[] ends = new int[16];
    private int head;
    private int count;
    /** Readable bytes in {@code received}. */
    private int queued;
    /** Bytes the user took and whose credit the peer has not been given back yet. */
    private int uncredited;
    /**
     * The buffer of a blocked recv that waits with nothing queued, which DATA fills directly
     * ({@link #fillWhileWaiting}), or null.
     */
    private ByteBuffer waiting;
    /** Bytes DATA put into {@code waiting} since it was set. */
    private int filled;

    /** @param ring the connection's window, agreed in its handshake */
    FlowControl(int ring) {
        this.ring = ring;
        this.credit = ring - 1;
    }

    /** @return the connection's window in bytes */
    int ring() {
        return ring;
    }

    /** @return bytes this side may send now */
    int credit() {
        return credit;
    }

    /**
     * Whether a blocking send that still has {@code want} bytes to send stops waiting for
     * credit: once it has ring/4 of it, or all it wants. A blocking send does not return before
     * every byte went, so waiting for a larger share changes nothing it promises, and it saves a
     * frame and a wake-up per small CREDIT (see {@link #creditToReturn}). It cannot wait for
     * ever: while it waits with less than ring/4, more than 3/4 of the window is queued,
     * uncredited or on its way at the receiver, which returns it once its user took what is
     * queued.
     */
    boolean mayStopWaiting(int want) {
        return credit >= Math.min(want, ring / 4);
    }

    /** Spends up to {@code max} bytes of credit. @return how many (0 when the window is full) */
    int spend(int max) {
        int n = Math.min(credit, max);
        credit -= n;
        return n;
    }

    /** CREDIT from the peer. @return what is wrong with it, or null */
    String onCredit(int bytes) {
        if (bytes <= 0 || (long) credit + bytes > ring - 1) {
            return "CREDIT of " + bytes + " bytes with " + credit + " of " + (ring - 1) + " available";
        }
        credit += bytes;
        return null;
    }

    /**
     * DATA from the peer: copied into the buffer of a recv that waits for it
     * ({@link #fillWhileWaiting}) as far as it fits, the rest queued (its buffer retained, with the indexes of its bytes).
     * Moves {@code payload}'s reader index.
     *
     * @return what is wrong with it, or null
     */
    String onData(ByteBuf payload) {
        int n = payload.readableBytes();
        if (queued + uncredited + n > ring - 1) {
            return "DATA beyond the window: " + (queued + uncredited + n) + " bytes outstanding, window "
                + (ring - 1);
        }
        ByteBuffer dst = waiting;
        if (dst != null && queued == 0) {
            // Stream order: bytes go to the waiting buffer only while nothing is queued before them.
            int k = copy(payload, dst, n);
            filled += k;
            uncredited += k;
            n -= k;
            if (n == 0) {
                return null;
            }
        }
        enqueue(payload.retain(), payload.readerIndex(), payload.writerIndex());
        queued += n;
        return null;
    }

    /** Appends a payload's bytes [{@code start}, {@code end}) of {@code b}, whose reference it takes. */
    private void enqueue(ByteBuf b, int start, int end) {
        if (count == buffers.length) {
            grow();
        }
        int i = (head + count) & (buffers.length - 1);
        buffers[i] = b;
        starts[i] = start;
        ends[i] = end;
        count++;
    }

    /** Doubles the ring, its entries moved to the front in order. */
    private void grow() {
        int n = buffers.length;
        ByteBuf[] b = new ByteBuf[2 * n];
        int[] s = new int[2 * n];
        int[] e = new int[2 * n];
        for (int k = 0; k < count; k++) {
            int i = (head + k) & (n - 1);
            b[k] = buffers[i];
            s[k] = starts[i];
            e[k] = ends[i];
        }
        buffers = b;
        starts = s;
        ends = e;
        head = 0;
    }

    /** Drops the head entry, released. */
    private void dequeue() {
        buffers[head].release();
        buffers[head] = null;
        head = (head + 1) & (buffers.length - 1);
        count--;
    }

    /**
     * A blocked recv waits for bytes into {@code dst}: DATA goes straight into it from now on,
     * until {@link #stopFilling}, one copy on the thread that reads the link instead of one into
     * the queue's buffers there and one out of them on the recv's thread after a wake-up.
     *
     * <p>Invariant (relied on by the recv and by {@link #onData}): it is called only with
     * nothing queued (the recv drained the queue into {@code dst} first and {@code dst} still has
     * room), and the recv touches {@code dst} again only after {@link #stopFilling}; both run
     * under the endpoint's monitor, as {@link #onData} does, so {@code dst} has one writer at a
     * time and none once the recv went on (it returns, throws or drains).
     */
    void fillWhileWaiting(ByteBuffer dst) {
        waiting = dst;
        filled = 0;
    }

    /** The recv stops waiting: DATA is queued again. @return bytes DATA put into its buffer meanwhile */
    int stopFilling() {
        waiting = null;
        int n = filled;
        filled = 0;
        return n;
    }

    /**
     * Whether the waiting recv (if any) should wake for what arrived: unless DATA went into its
     * buffer, leaving room and nothing queued, so that a recv sleeps until its buffer is full
     * (or something else happens: the connection ends, the endpoint closes) rather than wake
     * for every frame.
     */
    boolean wakesReceiver() {
        return waiting == null || queued > 0 || !waiting.hasRemaining();
    }

    /** @return whether received bytes wait for the user */
    boolean readable() {
        return queued > 0;
    }

    /** Copies up to {@code max} bytes of {@code b} into {@code dst}. @return how many */
    private static int copy(ByteBuf b, ByteBuffer dst, int max) {
        int n = Math.min(max, dst.remaining());
        int limit = dst.limit();
        dst.limit(dst.position() + n);
        b.readBytes(dst);
        dst.limit(limit);
        return n;
    }

    /** Copies queued bytes into {@code dst}. @return how many */
    int drain(ByteBuffer dst) {
        int total = 0;
        while (dst.hasRemaining() && count > 0) {
            int start = starts[head];
            int n = Math.min(ends[head] - start, dst.remaining());
            int limit = dst.limit();
            dst.limit(dst.position() + n);
            buffers[head].getBytes(start, dst); // by index: the buffer's own indexes may be another frame's
            dst.limit(limit);
            starts[head] = start + n;
            if (start + n == ends[head]) {
                dequeue();
            }
            total += n;
        }
        queued -= total;
        uncredited += total;
        return total;
    }

    /**
     * The credit to give back now, counted as given: once a quarter of the window was consumed,
     * so one CREDIT frame (one write here, one wake-up of a sender out of credit there) covers
     * ring/4 bytes or more; and at once when the whole window is outstanding (the sender has
     * none left and nothing is on its way), so that space the user makes is seen at once, as in
     * SCIF (a poll for POLLOUT wakes, a non-blocking send moves what fits). It is not given back
     * sooner merely because much is queued: that made one CREDIT per 64 KiB frame while the
     * user was behind (5 per MiB of 64 KiB streaming, counted). A blocked sender still always
     * gets its credit: with nothing queued and nothing on its way, what the sender lacks is
     * uncredited here, and the receiver returns it before it waits. Together with
     * {@link #mayStopWaiting} this gives a stream whose receiver is behind about two CREDIT
     * frames per ring/4 bytes rather than one per frame.
     *
     * @return bytes of credit for a CREDIT frame, or 0 for none now
     */
    int creditToReturn() {
        if (uncredited == 0) {
            return 0;
        }
        if (uncredited >= ring / 4 || queued + uncredited >= ring - 1) {
            int n = uncredited;
            uncredited = 0;
            return n;
        }
        return 0;
    }

    /**
     * All the credit there is to give back, counted as given: for a DATA frame of this side's
     * own stream, which carries it at no cost (ConnectionWire.DATA_CREDIT). So a peer that hears
     * from this side has been given back every byte this side's user took before it sent,
     * however few: its next non-blocking send finds the room SCIF's would, which the batches of
     * {@link #creditToReturn} alone left short by up to ring/4 (a reply to a small message).
     *
     * @return bytes of credit, possibly 0
     */
    int takeCredit() {
        int n = uncredited;
        uncredited = 0;
        return n;
    }

    /** The endpoint closed: drops what was received; a waiting recv's buffer is filled no more. */
    void release() {
        waiting = null; // what was filled stays counted for the recv's stopFilling
        while (count > 0) {
            dequeue();
        }
        queued = 0;
    }
}
