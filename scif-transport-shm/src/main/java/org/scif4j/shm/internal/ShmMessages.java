package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.FabricDescriptor.*;

import java.nio.ByteBuffer;
import org.scif4j.Errno;
import org.scif4j.ScifException;
import org.scif4j.spi.EndpointRules;

/**
 * scif_send and scif_recv of an shm endpoint: bytes through its connection's rings, a wake of
 * the peer's sleepers in the endpoint table after each transfer, and a wait on the endpoint's
 * own futex words when a blocking call can make no progress.
 *
 * <p>The per-message path: static methods over the endpoint's final and volatile fields, so
 * that {@link ShmEndpoint#doSend}/{@link ShmEndpoint#doRecv} call them directly and the JIT
 * inlines them as it did the bodies they were; nothing here allocates on a call (the wait
 * conditions are made once per endpoint, see {@link #readable}). The caller holds the
 * endpoint's send lock (send) or receive lock (recv), which close takes after marking the
 * endpoint closed: a call that sees it open keeps the fabric and the connection mapped.
 */
final class ShmMessages {
    /**
     * Spins of a blocking recv on its ring's next header word before it waits with the
     * {@link Waiter} (in the waits that may spin): each pauses, so as many as the Waiter's
     * paused spins between two full checks, a few microseconds, and a close or an interrupt is
     * seen no later than it would be there.
     */
    static final int SPINS = Waiter.PAUSED_SPINS_PER_CHECK;

    private ShmMessages() {
    }

    /** scif_send; the caller holds the endpoint's send lock. */
    static int send(ShmEndpoint e, ByteBuffer src, boolean block, int flags) throws ScifException {
        int slot = e.slot;
        int total = 0;
        while (true) {
            // Holding sendLock and seeing `closed` false, close() cannot finish (it needs
            // sendLock), so the fabric and the connection stay mapped for this iteration.
            Connection c = e.conn;
            int state = e.isClosed() ? FREE : e.words.state();
            if (e.isClosed() || c == null || state != CONNECTED) {
                // A CONNECTED endpoint without its connection is a non-blocking connect
                // that was accepted but not collected: it is connected all the same.
                if (c == null && !e.isClosed() && e.connector.collectAccepted()) {
                    continue;
                }
                if (total > 0) {
                    return total;
                }
                throw notConnected(e, sendCall(src, flags), state);
            }
            int n = c.out.write(src);
            if (n > 0) {
                total += n;
                e.peerWords.wakeReceivers(); // set before conn, which is non-null here
            }
            if (!src.hasRemaining() || !block) {
                return total;
            }
            if (n == 0 && e.waiter.await(e.writable, endpoint(slot) + E_SPACE_SEQ,
                endpoint(slot) + E_SPACE_SLEEPERS, Long.MAX_VALUE) == Waiter.INTERRUPTED) {
                if (total > 0) {
                    return total;
                }
                throw ScifException.of(sendCall(src, flags), Errno.EINTR, "interrupted before any byte was sent");
            }
        }
    }

    /** scif_recv; the caller holds the endpoint's receive lock. */
    static int recv(ShmEndpoint e, ByteBuffer dst, boolean block, int flags) throws ScifException {
        int slot = e.slot;
        int total = 0;
        Connection c = e.conn; // once non-null it never changes
        while (true) {
            if (e.isClosed() || c == null) {
                // The state is read before collecting, so that a CONNECTED seen here is
                // always collected and never reported as "not CONNECTED" (see send).
                int state = e.isClosed() ? FREE : e.table.state(slot);
                if (!e.isClosed() && e.connector.collectAccepted()) {
                    c = e.conn;
                    continue;
                }
                if (total > 0) {
                    return total;
                }
                throw notConnected(e, recvCall(dst, flags), state);
            }
            int n = c.in.read(dst);
            if (n < 0) {
                if (total > 0) {
                    return total;
                }
                throw ScifException.of(recvCall(dst, flags), Errno.ECONNRESET,
                    "the peer's ring holds a corrupt " + c.in.corruption());
            }
            if (n > 0) {
                total += n;
                e.peerWords.wakeSenders(); // set before conn, which is non-null here
                if (!dst.hasRemaining()) {
                    return total;
                }
                continue;
            }
            int state = e.words.state();
            if (state != CONNECTED) {
                // The peer's bytes were published before its disconnect: drain them first.
                if (c.in.readable()) {
                    continue;
                }
                if (total > 0) {
                    return total;
                }
                throw notConnected(e, recvCall(dst, flags), state);
            }
            if (!block) {
                return total;
            }
            // A reply usually comes within a microsecond: wait for it first on the one word it
            // arrives on, as the raw floor does, and read it from here (the Waiter's spin
            // would add its exit and this loop's re-entry to every round trip). A true answer
            // means read returns bytes (or a corruption): no second spin without progress.
            if (e.waiter.spinsFirst() && c.in.spinForData(SPINS)) {
                continue;
            }
            if (e.waiter.await(e.readable, endpoint(slot) + E_EVENT_SEQ, endpoint(slot) + E_SLEEPERS,
                Long.MAX_VALUE) == Waiter.INTERRUPTED) {
                if (total > 0) {
                    return total;
                }
                throw ScifException.of(recvCall(dst, flags), Errno.EINTR, "interrupted before any byte arrived");
            }
        }
    }

    /**
     * The condition a blocked receiver waits for, made once per endpoint so that waiting
     * allocates nothing.
     *
     * @param e the endpoint
     * @return readable, closed or no longer CONNECTED
     */
    static Waiter.Condition readable(ShmEndpoint e) {
        return new Waiter.Condition() {
            @Override
            public boolean ready() {
                return e.isClosed() || e.table.state(e.slot) != CONNECTED || e.conn.in.readable();
            }

            @Override
            public boolean quickReady() {
                return e.conn.in.hasData(); // the head frame's header only; recvLock is held
            }
        };
    }

    /**
     * The condition a blocked sender waits for, made once per endpoint.
     *
     * @param e the endpoint
     * @return ring space free, closed or no longer CONNECTED
     */
    static Waiter.Condition writable(ShmEndpoint e) {
        return () -> e.isClosed() || e.table.state(e.slot) != CONNECTED || e.conn.out.free() > 0;
    }

    private static ScifException notConnected(ShmEndpoint e, String call, int state) {
        return EndpointRules.notConnected(e.isClosed(), ShmEndpoint.stateOf(state), e.peer, call);
    }

    private static String sendCall(ByteBuffer b, int flags) {
        return EndpointRules.dataCall(true, b, flags);
    }

    private static String recvCall(ByteBuffer b, int flags) {
        return EndpointRules.dataCall(false, b, flags);
    }
}
