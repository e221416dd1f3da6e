package org.scif4j.natives;

import com.sun.jna.Native;
import java.util.concurrent.atomic.AtomicBoolean;
import org.scif4j.Errno;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.spi.Call;

/**
 * connect on a native endpoint: the library's non-blocking scif_connect, retried between waits
 * of one slice in scif_poll when the endpoint blocks, and the state of a non-blocking connect
 * in progress (its peer, and its result once {@link NativeEndpoint#peerPort()} has finished it).
 */
final class NativeConnect {
    /** EALREADY: a connect is already in progress (not in SCIF's errno list, but Linux's). */
    private static final int EALREADY = 114;

    private final NativeEndpoint endpoint;
    /** The peer of a non-blocking connect in progress, until it is collected. */
    private volatile PortId pendingPeer;
    /** Set when peerPort() finished a non-blocking connect: the second connect then returns the port. */
    private volatile boolean collected;
    /** The errno of a non-blocking connect that peerPort() finished and that failed, for the next connect. */
    private volatile int pendingErrno;
    /**
     * Whether a blocking connect runs on the endpoint. Only the thread that set it (from false,
     * atomically) clears it, when its connect ends; so while it is set no other connect starts
     * (EISCONN), and poll reports POLLERR as for an endpoint not yet connected.
     */
    private final AtomicBoolean blocking = new AtomicBoolean();

    NativeConnect(NativeEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    /** @return the peer of a connect in progress, or null */
    PortId pending() {
        return pendingPeer;
    }

    /**
     * scif_connect to {@code dst}, or to the peer of the connect in progress; with a blocking
     * endpoint, until it is connected. The caller has entered the endpoint.
     *
     * @return the local port
     */
    int connect(PortId dst, Call call) throws ScifException {
        if (!endpoint.isBlocking()) {
            return attempt(dst, call);
        }
        if (!blocking.compareAndSet(false, true)) {
            throw ScifException.of(call.text(), Errno.EISCONN, "a blocking connect is already in progress");
        }
        try {
            return attempt(dst, call);
        } finally {
            blocking.set(false);
        }
    }

    /** @return whether a blocking connect is in progress on the endpoint */
    boolean inBlockingConnect() {
        return blocking.get();
    }

    /** {@link #connect}, once it may run: the library's connect, and the waits of a blocking one. */
    private int attempt(PortId dst, Call call) throws ScifException {
        autoBind(dst);
        if (collected) {
            collected = false;
            return endpoint.port();
        }
        int failed = pendingErrno;
        if (failed != 0) {
            pendingErrno = 0;
            throw NativeErrors.error(call.text(), failed);
        }
        int epd = endpoint.epd();
        Scratch s = Scratch.get();
        while (true) {
            PortId target = pendingPeer != null ? pendingPeer : dst;
            s.putShort(16, (short) target.node());
            s.putShort(18, (short) target.port());
            int r = LibScif.scif_connect(epd, s.small + 16);
            int errno = r < 0 ? Native.getLastError() : 0;
            if (r < 0 && errno == Errno.EISCONN.number() && pendingPeer != null) {
                r = endpoint.port(); // the library collected the accepted connection already (an RMA call, a poll)
            }
            if (r >= 0) {
                endpoint.connected(r, target);
                pendingPeer = null;
                return r;
            }
            boolean inProgress = errno == Errno.EINPROGRESS.number() || errno == EALREADY;
            if (!inProgress) {
                pendingPeer = null;
                throw NativeErrors.error(call.text(), errno);
            }
            pendingPeer = target;
            if (!endpoint.isBlocking()) {
                throw NativeErrors.error(call.text(), errno);
            }
            try {
                endpoint.await((short) Scif.POLLOUT, call);
            } catch (ScifException e) {
                return abandon(e, target, call);
            }
        }
    }

    /**
     * A blocking connect whose wait an interrupt ended: SCIF's interruptible connect tells the
     * peer to abandon the request, so it must not stay queued at the listener (to be accepted
     * behind the caller's back, and collected by the next connect). scif4j's library withdraws
     * it now (the endpoint stays BOUND, EINTR), or takes over a connection accepted meanwhile
     * (the connect succeeds, the interrupt status kept). A close ends the request itself;
     * Intel's library has no such call (docs/native.md).
     *
     * @return the local port, when the request had been accepted
     */
    private int abandon(ScifException ended, PortId target, Call call) throws ScifException {
        if (endpoint.isClosed() || !endpoint.hasHelpers() || ended.errno() != Errno.EINTR) {
            throw ended;
        }
        int r = LibScif4j.scif4j_connect_abandon(endpoint.epd());
        pendingPeer = null;
        if (r >= 0) {
            endpoint.connected(r, target);
            return r;
        }
        if (-r == Errno.EINTR.number()) {
            throw ScifException.of(call.text(), Errno.EINTR, "interrupted while waiting to be accepted; the request"
                + " was withdrawn and the endpoint stays bound to port " + endpoint.port());
        }
        throw NativeErrors.error(call.text(), -r);
    }

    /**
     * Binds an unbound endpoint to the lowest free port before connect, as connect would: the
     * library's connect does not tell which port it bound when it fails, and SCIF keeps it.
     * Not for a destination that is not online: SCIF's connect fails that with ENODEV before it
     * binds (the Linux driver asks for the peer device first), so the endpoint stays UNBOUND.
     */
    private void autoBind(PortId dst) {
        if (endpoint.port() == 0 && pendingPeer == null && endpoint.peerOrNull() == null
            && endpoint.node().mayBeOnline(dst.node())) {
            int r = LibScif.scif_bind(endpoint.epd(), (short) 0);
            if (r > 0) {
                endpoint.bound(r);
            } // else: already bound or listening, and connect says what is wrong
        }
    }

    /**
     * A non-blocking connect that the peer has accepted is connected before the second
     * connect: finish it in the library when scif_poll reports POLLOUT, and keep its result.
     * The caller has entered the endpoint.
     *
     * @return the peer, or null while the connect is still in progress
     */
    synchronized PortId collect() {
        PortId pending = pendingPeer;
        if (endpoint.peerOrNull() != null || pending == null) {
            return endpoint.peerOrNull();
        }
        if ((endpoint.pollNow((short) Scif.POLLOUT) & Scif.POLLOUT) == 0) {
            return null;
        }
        Scratch s = Scratch.get();
        s.putShort(16, (short) pending.node());
        s.putShort(18, (short) pending.port());
        int r = LibScif.scif_connect(endpoint.epd(), s.small + 16);
        int errno = r < 0 ? Native.getLastError() : 0;
        if (r >= 0 || errno == Errno.EISCONN.number()) {
            endpoint.connected(endpoint.port(), pending);
            pendingPeer = null;
            collected = true;
            return pending;
        }
        if (errno != Errno.EINPROGRESS.number() && errno != EALREADY) {
            pendingErrno = errno; // refused: the next connect reports it
            pendingPeer = null;
        }
        return null;
    }
}
