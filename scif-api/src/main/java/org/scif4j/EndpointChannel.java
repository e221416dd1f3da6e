package org.scif4j;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;

/**
 * A connected {@link Endpoint} as a blocking {@link ByteChannel}, so that code written for
 * channels and, through {@link java.nio.channels.Channels}, for streams runs over SCIF
 * unchanged. {@code read} waits for at least one byte and returns what is there;
 * {@code write} sends every byte ({@code SEND_BLOCK}). SCIF does not tell an orderly close
 * from a lost peer (both are ECONNRESET once the bytes sent before are drained), so both are
 * the end of stream: {@code read} returns -1. Closing the channel closes the endpoint, as
 * closing a socket's channel or streams closes the socket.
 *
 * <pre>{@code
 * try (ByteChannel ch = ep.asChannel();
 *      DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(ch)))) {
 *     int n = in.readInt();
 * }
 * }</pre>
 *
 * Safe for use by several threads as the endpoint is: reads are serialised with each other,
 * and so are writes.
 */
public final class EndpointChannel implements ByteChannel {
    private final Endpoint endpoint;
    private volatile boolean closed;

    /**
     * @param endpoint a connected endpoint; the channel owns it from now on
     */
    public EndpointChannel(Endpoint endpoint) {
        this.endpoint = java.util.Objects.requireNonNull(endpoint, "endpoint");
    }

    /** @return the endpoint this channel reads and writes */
    public Endpoint endpoint() {
        return endpoint;
    }

    /**
     * Reads at least one byte, waiting for it, unless {@code dst} has no room.
     *
     * @return the count, or -1 once the peer closed or was lost and every byte was read
     * @throws ClosedChannelException if this channel was closed (AsynchronousCloseException if
     *                                while waiting); ScifException for other SCIF errors
     *                                (EINTR when the thread is interrupted)
     */
    @Override
    public int read(ByteBuffer dst) throws IOException {
        ensureOpen();
        if (!dst.hasRemaining()) {
            return 0;
        }
        try {
            while (true) {
                int n = endpoint.recv(dst, 0);
                if (n > 0) {
                    return n;
                }
                Scif.poll(new PollItem[] {new PollItem(endpoint, Scif.POLLIN)}, -1);
            }
        } catch (ScifException e) {
            if (e.errno() == Errno.ECONNRESET) {
                return -1;
            }
            throw closedOr(e);
        }
    }

    /**
     * Writes every remaining byte of {@code src}, waiting for room.
     *
     * @return the count: all of them, or those sent before the peer was lost
     * @throws ClosedChannelException if this channel was closed; ScifException ECONNRESET when
     *                                the peer is gone and nothing was sent, EINTR
     */
    @Override
    public int write(ByteBuffer src) throws IOException {
        ensureOpen();
        if (!src.hasRemaining()) {
            return 0;
        }
        try {
            return endpoint.send(src, Scif.SEND_BLOCK);
        } catch (ScifException e) {
            throw closedOr(e);
        }
    }

    @Override
    public boolean isOpen() {
        return !closed;
    }

    /** Closes the channel and its endpoint; idempotent. */
    @Override
    public void close() {
        closed = true;
        endpoint.close();
    }

    private void ensureOpen() throws ClosedChannelException {
        if (closed) {
            throw new ClosedChannelException();
        }
    }

    /** EBADF means this channel (or its endpoint) was closed under the call. */
    private IOException closedOr(ScifException e) {
        if (e.errno() != Errno.EBADF) {
            return e;
        }
        closed = true;
        IOException c = new AsynchronousCloseException();
        c.initCause(e);
        return c;
    }

    @Override
    public String toString() {
        return "EndpointChannel[" + (closed ? "closed, " : "") + endpoint + "]";
    }
}
