package org.scif4j.spi;

import java.nio.ByteBuffer;
import org.scif4j.Errno;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifException;

/**
 * The state machine of a SCIF endpoint and the checks of its control and data calls, as the
 * SCIF man pages (scif_bind(3), scif_listen(3), scif_connect(3), scif_accept(3),
 * scif_send(3), scif_poll(3)) and the Linux driver give them: which state allows which call,
 * and the errno of each refusal. Written once, so that every transport refuses the same call
 * with the same errno and message; {@link AbstractEndpoint} applies the checks that need no
 * state, transports apply the state checks under their own lock.
 */
public final class EndpointRules {
    /** The highest port. */
    public static final int MAX_PORT = 65535;
    /** listen's backlog is capped here, as the driver caps it. */
    public static final int MAX_BACKLOG = 1024;

    private EndpointRules() {
    }

    /** @throws ScifException EBADF when {@code closed} */
    public static void checkOpen(boolean closed, String call) throws ScifException {
        if (closed) {
            throw ScifException.of(call, Errno.EBADF, "the endpoint is closed");
        }
    }

    /**
     * scif_bind's port, before the state.
     *
     * @param port       0 (any) or 1..65535
     * @param privileged whether the node may bind ports below {@link Scif#ADMIN_PORT_END}
     * @throws ScifException EINVAL out of range; EACCES for an admin port without privilege
     */
    public static void bindPort(int port, boolean privileged, String call) throws ScifException {
        if (port < 0 || port > MAX_PORT) {
            throw ScifException.of(call, Errno.EINVAL, "port must be 0 (any) or 1..65535");
        }
        if (port > 0 && port < Scif.ADMIN_PORT_END && !privileged) {
            throw ScifException.of(call, Errno.EACCES, "ports 1.." + (Scif.ADMIN_PORT_END - 1)
                + " need a node attached with privileged=true (as root), as SCIF needs CAP_SYS_ADMIN");
        }
    }

    /**
     * scif_bind's state: only an UNBOUND endpoint binds.
     *
     * @param port the port it holds, for the message
     * @throws ScifException EINVAL when already BOUND, EISCONN past that
     */
    public static void bindState(EndpointState state, int port, String call) throws ScifException {
        if (state == EndpointState.BOUND) {
            throw ScifException.of(call, Errno.EINVAL, "endpoint is already bound to port " + port);
        }
        if (state != EndpointState.UNBOUND) {
            throw ScifException.of(call, Errno.EISCONN, "endpoint is " + state + "; only an UNBOUND endpoint can be bound");
        }
    }

    /** @throws ScifException ENOSPC when {@code port} is negative: no port was free */
    public static int freePort(int port, int node, String call) throws ScifException {
        if (port < 0) {
            throw ScifException.of(call, Errno.ENOSPC, "no free port left on node " + node);
        }
        return port;
    }

    /** @return EINVAL: the port asked for is taken */
    public static ScifException portInUse(int port, int node, String call) {
        return ScifException.of(call, Errno.EINVAL, "port " + port + " of node " + node
            + " is in use; choose another or bind(0)");
    }

    /**
     * scif_listen: a BOUND endpoint, a positive backlog.
     *
     * @throws ScifException EINVAL unbound or a backlog below 1, EISCONN past BOUND
     */
    public static void listen(EndpointState state, int backlog, String call) throws ScifException {
        if (state == EndpointState.UNBOUND) {
            throw ScifException.of(call, Errno.EINVAL, "endpoint is UNBOUND; bind it first");
        }
        if (state == EndpointState.DISCONNECTED) {
            throw ScifException.of(call, Errno.EINVAL, "endpoint is DISCONNECTED and can never listen; close it and"
                + " open a new one");
        }
        if (state != EndpointState.BOUND) {
            throw ScifException.of(call, Errno.EISCONN, "endpoint is " + state + "; only a BOUND endpoint can listen");
        }
        if (backlog <= 0) {
            throw ScifException.of(call, Errno.EINVAL, "backlog must be at least 1");
        }
    }

    /** @return the backlog a listener keeps: at most {@link #MAX_BACKLOG} */
    public static int cappedBacklog(int backlog) {
        return Math.min(backlog, MAX_BACKLOG);
    }

    /** @throws ScifException EINVAL for a null peer */
    public static void connectPeer(PortId dst, String call) throws ScifException {
        if (dst == null) {
            throw ScifException.of(call, Errno.EINVAL, "peer is null; expected a PortId");
        }
    }

    /**
     * scif_connect's state and port, once no earlier non-blocking connect is pending.
     *
     * @throws ScifException EINVAL for a port out of range or a DISCONNECTED endpoint,
     *                       EOPNOTSUPP for a listener, EISCONN when connecting or connected
     */
    public static void connect(EndpointState state, PortId dst, String call) throws ScifException {
        if (dst.port() < 0 || dst.port() > MAX_PORT) {
            throw ScifException.of(call, Errno.EINVAL, "port must be 1..65535");
        }
        if (state == EndpointState.LISTENING) {
            throw ScifException.of(call, Errno.EOPNOTSUPP, "endpoint is LISTENING; a listener cannot connect");
        }
        if (state == EndpointState.CONNECTED || state == EndpointState.CONNECTING) {
            throw ScifException.of(call, Errno.EISCONN, "endpoint is " + state);
        }
        if (state == EndpointState.DISCONNECTED) {
            throw ScifException.of(call, Errno.EINVAL, "endpoint is DISCONNECTED and cannot be"
                + " reused; close it and open a new one");
        }
    }

    /** @return EINPROGRESS: a non-blocking connect was started (or is still queued) */
    public static ScifException connectInProgress(boolean started, String call) {
        return ScifException.of(call, Errno.EINPROGRESS, started ? "non-blocking connect started;"
            + " poll for POLLOUT, then call connect again for the result"
            : "the connection request is still queued; poll for POLLOUT, then call connect again");
    }

    /** @throws ScifException EINVAL for flags other than ACCEPT_SYNC */
    public static void acceptFlags(int flags, String call) throws ScifException {
        if ((flags & ~Scif.ACCEPT_SYNC) != 0) {
            throw ScifException.of(call, Errno.EINVAL, "flags may only hold ACCEPT_SYNC (1)");
        }
    }

    /** @throws ScifException EINVAL unless LISTENING */
    public static void accept(EndpointState state, String call) throws ScifException {
        if (state != EndpointState.LISTENING) {
            throw ScifException.of(call, Errno.EINVAL, "endpoint is " + state + "; expected LISTENING");
        }
    }

    /** @return EAGAIN: a non-blocking accept found no request */
    public static ScifException nothingToAccept(String call) {
        return ScifException.of(call, Errno.EAGAIN, "no connection request is queued");
    }

    /**
     * The state check of every call that needs a connection (verify_epd in the driver).
     *
     * @param peer the peer, for the message
     * @throws ScifException ECONNRESET when DISCONNECTED, ENOTCONN when not CONNECTED
     */
    public static void connected(EndpointState state, PortId peer, String call) throws ScifException {
        if (state != EndpointState.CONNECTED) {
            throw notConnected(false, state, peer, call);
        }
    }

    /**
     * Why a data call cannot go on.
     *
     * @param closed whether the endpoint was closed during the call
     * @return EINTR when closed meanwhile, ECONNRESET when DISCONNECTED, else ENOTCONN
     */
    public static ScifException notConnected(boolean closed, EndpointState state, PortId peer, String call) {
        if (closed) {
            return ScifException.of(call, Errno.EINTR, "the endpoint was closed during the call");
        }
        if (state == EndpointState.DISCONNECTED) {
            return ScifException.of(call, Errno.ECONNRESET, "the peer " + peer + " closed the connection or was lost");
        }
        return ScifException.of(call, Errno.ENOTCONN, "endpoint is " + state + "; expected CONNECTED");
    }

    /**
     * send's or recv's flags: 0, or bit 0 (SEND_BLOCK, RECV_BLOCK) with any other bits, which
     * SCIF ignores then.
     *
     * @throws ScifException EINVAL otherwise
     */
    public static void dataFlags(boolean send, ByteBuffer b, int flags) throws ScifException {
        if (flags != 0 && (flags & Scif.SEND_BLOCK) == 0) {
            throw ScifException.of(dataCall(send, b, flags), Errno.EINVAL, "flags may be 0 or "
                + (send ? "SEND_BLOCK" : "RECV_BLOCK") + " (1)");
        }
    }

    /** @return a send's or recv's text for a message, e.g. {@code send(len=8, flags=1)} (made only on error) */
    public static String dataCall(boolean send, ByteBuffer b, int flags) {
        return (send ? "send" : "recv") + "(len=" + b.remaining() + ", flags=" + flags + ")";
    }

    /**
     * The events of an endpoint, as scif_poll(3) reports them (as the Linux driver does).
     *
     * @param state        the endpoint's state (not CLOSED: that is POLLNVAL, see {@link #pollMask})
     * @param readable     a request queued (LISTENING) or bytes to read (CONNECTED, DISCONNECTED)
     * @param writable     room to send (CONNECTED)
     * @param asyncPending a non-blocking connect waits to be collected by a second connect
     * @param answered     that connect's answer (or its watchdog's expiry) is in
     * @return the events, unmasked
     */
    public static int readiness(EndpointState state, boolean readable, boolean writable, boolean asyncPending,
                                boolean answered) {
        switch (state) {
            case LISTENING:
                return readable ? Scif.POLLIN : 0;
            case CONNECTED:
                return (readable ? Scif.POLLIN : 0) | (writable ? Scif.POLLOUT : 0);
            case DISCONNECTED:
                // accepted, then closed by the peer: the connect finished all the same
                return Scif.POLLHUP | (readable ? Scif.POLLIN : 0) | (asyncPending ? Scif.POLLOUT : 0);
            case CONNECTING:
            case BOUND:
                return asyncPending ? (answered ? Scif.POLLOUT : 0) : Scif.POLLERR;
            case CLOSED:
                return Scif.POLLNVAL;
            default:
                return Scif.POLLERR;
        }
    }

    /** @return {@code revents} masked as scif_poll reports it: what was asked for, and always ERR, HUP, NVAL */
    public static int pollMask(int revents, int events) {
        return revents & (events | Scif.POLLERR | Scif.POLLHUP | Scif.POLLNVAL);
    }
}
