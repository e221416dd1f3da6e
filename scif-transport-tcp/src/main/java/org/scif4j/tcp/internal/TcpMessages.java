package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import org.scif4j.Errno;
import org.scif4j.ScifException;
import org.scif4j.spi.EndpointRules;
import org.scif4j.spi.EndpointState;

/**
 * scif_send(3) and scif_recv(3) of a connected tcp endpoint: DATA frames out as far as the
 * peer's credit allows, received bytes into the user's buffer, CREDIT back as they are taken,
 * and the peer's DATA and CREDIT frames in ({@link FlowControl} keeps the counts and the bytes).
 *
 * <p>Everything here runs under the endpoint's monitor, which guards its state and its
 * {@link FlowControl}, except the waits and the writes of DATA: a send or recv that finds
 * nothing to do notes the endpoint's change count, leaves the monitor and waits for the count
 * to move ({@link EndpointChanges}). The link's reader moves it: {@link #onData} and
 * {@link #onCredit} call {@link TcpEndpoint#changed} under the monitor, which wakes a waiter
 * sleeping on the monitor or reading the link; closing and losing the peer do the same. A recv
 * that waits lends its buffer to the link's reader meanwhile ({@link FlowControl#fillWhileWaiting}):
 * DATA is copied straight into it, and wakes it only once it is full. The
 * caller holds the endpoint's send lock (send) or receive lock (recv), so one call at a time
 * moves each direction.
 */
final class TcpMessages {
    /** A recv of fewer bytes reads the peer's link itself while it waits (see recv). */
    private static final int RECV_READS_BELOW = 64 << 10;
    /** Bytes a send takes from the window at most at a time: the frames of one write. */
    private static final int SEND_BATCH = 1 << 20;

    private final TcpEndpoint endpoint;
    private final TcpNode node;
    private final EndpointChanges changes;
    /**
     * The CREDIT frame, built here and written straight to the link when its writer takes it
     * (FrameScratch): a buffer from Netty's pool would be a new object each time on a user
     * thread (one CREDIT per ring/4 received). Guarded by the endpoint's monitor, under which
     * every CREDIT is sent (returnCredit).
     */
    private final FrameScratch creditFrame = new FrameScratch(Wire.FRAME_HEADER + ConnectionWire.CREDIT_SIZE);

    TcpMessages(TcpEndpoint endpoint, TcpNode node, EndpointChanges changes) {
        this.endpoint = endpoint;
        this.node = node;
        this.changes = changes;
    }

    /** scif_send: @return the bytes sent; see {@code AbstractEndpoint.doSend} */
    int send(ByteBuffer src, boolean block, int flags) throws ScifException {
        int total = 0;
        boolean spin = true;
        while (src.hasRemaining()) {
            int n;
            long dst;
            int to;
            int seen;
            int credit = 0;
            Link in = null;
            synchronized (endpoint) {
                FlowControl flow = endpoint.flow();
                boolean connected = !endpoint.isClosed() && endpoint.stateLocked() == EndpointState.CONNECTED;
                if (connected && block && !flow.mayStopWaiting(src.remaining())) {
                    seen = changes.count();
                    in = node.links().inbound(endpoint.peerLocked().node());
                    n = 0;
                    dst = 0;
                    to = -1;
                } else {
                    if (!connected) {
                        if (total > 0) {
                            return total;
                        }
                        throw endpoint.notConnectedLocked(sendCall(src, flags));
                    }
                    n = flow.spend(Math.min(src.remaining(), SEND_BATCH));
                    if (n == 0) {
                        return total; // non-blocking and the window is full
                    }
                    // Every byte this side's user took goes back with the frames, so that whatever
                    // the peer learns from them it learns with its room for them (FlowControl.takeCredit).
                    credit = flow.takeCredit();
                    dst = endpoint.peerWireIdLocked();
                    to = endpoint.peerLocked().node();
                    seen = 0;
                }
            }
            if (n == 0) {
                // Waiting for credit: spin first, then sleep (or read the link) until it changes.
                if (spin) {
                    spin = changes.spinUntilChanged(seen);
                } else if (changes.awaitChange(in, seen)) {
                    spin = true;
                } else if (total > 0) {
                    return total;
                } else {
                    throw ScifException.of(sendCall(src, flags), Errno.EINTR, "interrupted before any byte was sent");
                }
                continue;
            }
            node.links().sendData(to, src, dst, credit, n);
            total += n;
        }
        return total;
    }

    /** scif_recv: @return the bytes received; see {@code AbstractEndpoint.doRecv} */
    int recv(ByteBuffer dst, boolean block, int flags) throws ScifException {
        // A short receive reads the link itself while it waits (one wake-up instead of two); a
        // long one leaves reading to the event loop, which then reads on another core, and
        // copies into dst while this thread waits (measured: 64 KiB streaming 0.3x plain Netty
        // read here, 0.7x not; docs/decisions.md, the tcp receive path).
        boolean readLink = dst.remaining() < RECV_READS_BELOW;
        int total = 0;
        boolean spin = true;
        while (true) {
            int seen;
            Link in;
            synchronized (endpoint) {
                total += stopFilling(); // from here on this thread alone writes dst again
                if (endpoint.isClosed()) {
                    if (total > 0) {
                        break;
                    }
                    throw endpoint.notConnectedLocked(recvCall(dst, flags));
                }
                total += drain(dst);
                if (!dst.hasRemaining()) {
                    break;
                }
                if (endpoint.stateLocked() != EndpointState.CONNECTED) {
                    if (total > 0) {
                        break;
                    }
                    throw endpoint.notConnectedLocked(recvCall(dst, flags));
                }
                if (!block) {
                    break;
                }
                // Before waiting, give back what was consumed: the sender may be waiting on it.
                returnCredit();
                seen = changes.count();
                in = readLink ? node.links().inbound(endpoint.peerLocked().node()) : null;
                // While it waits, DATA goes straight into dst, and wakes it only once dst is full
                // (see FlowControl.fillWhileWaiting: the queue is empty now, dst has room, and
                // dst is not touched below until stopFilling under the monitor).
                endpoint.flow().fillWhileWaiting(dst);
            }
            // Outside the monitor, so that the event loop (or this thread) can deliver: spin
            // first, then sleep or read the link, when the spin saw nothing change.
            boolean interrupted = false;
            try {
                if (spin) {
                    spin = changes.spinUntilChanged(seen);
                } else {
                    interrupted = !changes.awaitChange(in, seen);
                    spin = true;
                }
            } catch (RuntimeException | Error e) {
                synchronized (endpoint) {
                    stopFilling(); // the caller must have its buffer back, whatever ends the call
                }
                throw e;
            }
            if (interrupted) {
                synchronized (endpoint) {
                    total += stopFilling();
                }
                if (total > 0) {
                    break;
                }
                throw ScifException.of(recvCall(dst, flags), Errno.EINTR, "interrupted before any byte arrived");
            }
        }
        synchronized (endpoint) {
            returnCredit();
        }
        return total;
    }

    /**
     * Ends the filling of a waiting recv's buffer by DATA. Caller holds the monitor.
     *
     * @return bytes DATA put into it while the recv waited
     */
    private int stopFilling() {
        FlowControl flow = endpoint.flow();
        return flow == null ? 0 : flow.stopFilling();
    }

    /** Copies queued bytes into {@code dst}. Caller holds the monitor. @return how many */
    private int drain(ByteBuffer dst) {
        FlowControl flow = endpoint.flow();
        int total = flow == null ? 0 : flow.drain(dst);
        if (total > 0) {
            endpoint.changed();
        }
        return total;
    }

    /** Gives credit back when {@link FlowControl#creditToReturn} says so. Caller holds the monitor. */
    private void returnCredit() {
        if (endpoint.stateLocked() != EndpointState.CONNECTED) {
            return;
        }
        int n = endpoint.flow().creditToReturn();
        if (n > 0) {
            // Writing under the monitor is safe: a link's writes never block and take no endpoint lock.
            ConnectionWire.credit(creditFrame.start(), endpoint.peerWireIdLocked(), n);
            creditFrame.send(node.links().outbound(endpoint.peerLocked().node()));
        }
    }

    /**
     * DATA from the peer, giving back {@code credit} for this side's stream first: the peer
     * took those bytes before it sent these.
     *
     * @return what is wrong with it, or null
     */
    String onData(Link link, int credit, ByteBuf payload) {
        synchronized (endpoint) {
            if (endpoint.isClosed() || endpoint.stateLocked() != EndpointState.CONNECTED
                || !endpoint.fromPeerLocked(link)) {
                return null; // the connection ended while the frame was on its way: drop it
            }
            FlowControl flow = endpoint.flow();
            String wrong = credit == 0 ? null : flow.onCredit(credit);
            if (wrong == null) {
                wrong = flow.onData(payload);
            }
            if (wrong == null) {
                if (credit > 0 || flow.wakesReceiver()) {
                    // Room for a waiting send or poll, or bytes for a recv. A send waiting for
                    // credit would get it later anyway (the peer returns a quarter ring in CREDIT
                    // once it took what is queued), so a missed wake here would only delay it.
                    endpoint.changed();
                }
                if (!flow.wakesReceiver()) {
                    // The bytes went into a waiting recv's buffer, which still has room: it sleeps
                    // on, so the credit they free goes back from here (it may exceed ring/4).
                    returnCredit();
                }
            }
            return wrong;
        }
    }

    /** CREDIT from the peer. @return what is wrong with it, or null */
    String onCredit(Link link, int bytes) {
        synchronized (endpoint) {
            if (endpoint.isClosed() || endpoint.stateLocked() != EndpointState.CONNECTED
                || !endpoint.fromPeerLocked(link)) {
                return null;
            }
            String wrong = endpoint.flow().onCredit(bytes);
            if (wrong == null) {
                endpoint.changed();
            }
            return wrong;
        }
    }

    private static String sendCall(ByteBuffer b, int flags) {
        return EndpointRules.dataCall(true, b, flags);
    }

    private static String recvCall(ByteBuffer b, int flags) {
        return EndpointRules.dataCall(false, b, flags);
    }
}
