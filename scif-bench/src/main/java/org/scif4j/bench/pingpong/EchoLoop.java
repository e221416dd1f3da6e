package org.scif4j.bench.pingpong;

import java.nio.ByteBuffer;
import org.HdrHistogram.Histogram;
import org.scif4j.Endpoint;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.bench.stats.Allocation;
import org.scif4j.bench.stats.LatencyStats;

/**
 * The timed round-trip loop against a peer that echoes ({@link PeerProtocol#OP_ECHO}): each trip
 * sends its own sequence number and checks that the same number comes back, so a lost or
 * reordered byte fails the measurement instead of flattering it.
 */
public final class EchoLoop {
    private EchoLoop() {
    }

    /**
     * Runs {@code warmup + count} round trips (the peer must already have been told to echo that
     * many) and records the last {@code count} in {@code h}.
     *
     * @param ep the connected endpoint
     * @param out the message sent, at least 8 bytes, its first 8 the sequence number
     * @param in where the echo is received, as long as {@code out}
     * @return the thread's allocated bytes when recording began (see {@link Allocation})
     * @throws ScifException if send or recv fails
     * @throws IllegalStateException if an echo carries another sequence number
     */
    public static long run(Endpoint ep, ByteBuffer out, ByteBuffer in, long warmup, long count, Histogram h)
        throws ScifException {
        long total = warmup + count;
        long before = 0;
        for (long i = 0; i < total; i++) {
            if (i == warmup) {
                before = Allocation.currentThreadBytes();
            }
            out.clear();
            out.putLong(0, i);
            in.clear();
            long start = System.nanoTime();
            ep.send(out, Scif.SEND_BLOCK);
            ep.recv(in, Scif.RECV_BLOCK);
            long end = System.nanoTime();
            if (in.getLong(0) != i) {
                throw new IllegalStateException("round trip " + i + " came back as " + in.getLong(0)
                    + ": send/recv lost or reordered bytes");
            }
            if (i >= warmup) {
                LatencyStats.record(h, end - start);
            }
        }
        return before;
    }
}
