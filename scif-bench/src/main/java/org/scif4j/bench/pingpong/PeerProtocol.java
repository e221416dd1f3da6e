package org.scif4j.bench.pingpong;

import java.nio.ByteBuffer;

/**
 * The commands node 0 sends its peer over the benchmark's SCIF connection. Each is
 * {@value #COMMAND_BYTES} bytes: an op, a message size and a count (longs, native order).
 */
public final class PeerProtocol {
    /** Size of a command. */
    public static final int COMMAND_BYTES = 24;
    /** Close the connection and exit. */
    public static final long OP_BYE = 0;
    /** Echo {@code count} messages of {@code size} bytes, one at a time. */
    public static final long OP_ECHO = 1;
    /** Send {@code count} messages of {@code size} bytes back to back. */
    public static final long OP_STREAM = 2;
    /**
     * Allocate {@code size} bytes ({@code ScifNode.allocate}), register them readable and
     * writable at an offset of the peer's choosing, and answer with that offset (8 bytes); the
     * window lives until {@link #OP_BYE}. {@code count} is ignored.
     */
    public static final long OP_WINDOW = 3;
    /**
     * Answer {@code count} raw floor round trips on the flag file given at start-up
     * ({@code RawShmPingPong.pong}), the first with sequence number {@code size}; then wait for
     * the next command. Node 0 pings right after sending it.
     */
    public static final long OP_FLOOR = 4;
    /**
     * Set up the flags of the round trip through mapped windows: map one page of node 0's
     * registered memory at offset {@code size} ({@code Endpoint.mmap}, readable and writable),
     * allocate and register a page of its own, and answer with that page's offset (8 bytes,
     * as {@link #OP_WINDOW} does). Both live until {@link #OP_BYE}. {@code count} is ignored.
     */
    public static final long OP_MAP_FLAGS = 5;
    /**
     * Answer {@code count} round trips through the mapped windows of {@link #OP_MAP_FLAGS}, the
     * first with sequence number {@code size}: each ping arrives in this side's own page (node 0
     * stores it through its mapping), each pong is stored into node 0's page through this
     * side's mapping; the loop is the raw floor's ({@code RawShmPingPong.pong}). Node 0 pings
     * right after sending it.
     */
    public static final long OP_MAPPED = 6;
    /** Bytes of each side's flag page for {@link #OP_MAP_FLAGS}: one page, the flag at its start. */
    public static final long FLAG_PAGE = 4096;
    /** Size of the answer to {@link #OP_WINDOW} and {@link #OP_MAP_FLAGS}. */
    public static final int OFFSET_BYTES = 8;

    private PeerProtocol() {
    }

    /**
     * Writes a command.
     *
     * @param command a buffer of at least {@value #COMMAND_BYTES} bytes, native order
     * @param op      the op
     * @param size    message or window size
     * @param count   how many messages
     */
    public static void put(ByteBuffer command, long op, long size, long count) {
        command.clear();
        command.putLong(0, op).putLong(8, size).putLong(16, count);
    }
}
