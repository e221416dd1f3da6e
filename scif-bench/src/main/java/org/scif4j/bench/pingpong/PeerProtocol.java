package org.scif4j.bench.pingpong;

import java.nio.ByteBuffer;

/**
 * The commands node 0 sends its peer over the benchmark's SCIF connection. Each is
 * {@value #COMMAND_BYTES} bytes: an op, a message size and a count (longs, native order).
 */
final class PeerProtocol {
    /** Size of a command. */
    static final int COMMAND_BYTES = 24;
    /** Close the connection and exit. */
    static final long OP_BYE = 0;
    /** Echo {@code count} messages of {@code size} bytes, one at a time. */
    static final long OP_ECHO = 1;
    /** Send {@code count} messages of {@code size} bytes back to back. */
    static final long OP_STREAM = 2;

    private PeerProtocol() {
    }

    static void put(ByteBuffer command, long op, long size, long count) {
        command.clear();
        command.putLong(0, op).putLong(8, size).putLong(16, count);
    }
}
