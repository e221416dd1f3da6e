package org.scif4j.spi;

import java.nio.ByteBuffer;
import org.scif4j.Endpoint;
import org.scif4j.EndpointMetrics;
import org.scif4j.Errno;
import org.scif4j.Mapping;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifException;

/**
 * The skeleton of every transport's endpoint, as Netty's {@code AbstractChannel} is of its
 * channels: the public calls are written here once, with their lifecycle (closed or open,
 * blocking or not), argument checks (scif_send(3), scif_register(3), scif_readfrom(3),
 * scif_fence_mark(3) and the others), the send/recv prologue and its lock, and poll's mask;
 * a transport implements only the {@code do*} operations, which run once the arguments are
 * known good and the endpoint was open when the call began. The state checks that need the
 * transport's own lock are in {@link EndpointRules}, which the {@code do*} operations call.
 *
 * <p>Closing: a transport's {@code close} calls {@link #markClosed()} under its own lock,
 * wakes its waiters, and may then take {@link #sendLock()} and {@link #recvLock()} to know
 * every data call has left before it frees what they use (a call holding one of them sees
 * {@link #isClosed()} on its next look).
 *
 * <p>Counters ({@link #metrics()}): the public calls here bump the endpoint's
 * {@link EndpointCounters} once they have succeeded, so no transport counts anything itself; a
 * call that ends with ECONNRESET counts the peer as lost (once), one with ECONNREFUSED a refused
 * connect.
 */
public abstract class AbstractEndpoint implements Endpoint, PollableEndpoint {
    private final DataPathLock sendLock;
    private final DataPathLock recvLock;
    private final EndpointCounters counters;
    private volatile boolean closed;
    private volatile boolean blocking = true;

    /**
     * @param sendLock serialises sends for a whole call
     * @param recvLock serialises receives for a whole call
     * @param counters this endpoint's counters, from its node's {@link NodeCounters#opened()}
     */
    protected AbstractEndpoint(DataPathLock sendLock, DataPathLock recvLock, EndpointCounters counters) {
        this.sendLock = sendLock;
        this.recvLock = recvLock;
        this.counters = counters;
    }

    @Override
    public final EndpointMetrics metrics() {
        return counters.snapshot();
    }

    /** Counts what an error says about the peer; returns it to be thrown. */
    private ScifException counted(ScifException e) {
        if (e.errno() == Errno.ECONNRESET) {
            counters.peerLost();
        } else if (e.errno() == Errno.ECONNREFUSED) {
            counters.connectRefused();
        }
        return e;
    }

    // ---------------------------------------------------------------- lifecycle

    /** @return whether {@code close} has begun */
    public final boolean isClosed() {
        return closed;
    }

    /**
     * Marks the endpoint closed; every call that begins after this fails with EBADF.
     * The caller serialises its closes (under the transport's lock).
     *
     * @return whether this was the first close
     */
    protected final boolean markClosed() {
        if (closed) {
            return false;
        }
        closed = true;
        counters.closed();
        return true;
    }

    /** @throws ScifException EBADF once closed */
    protected final void checkOpen(String call) throws ScifException {
        EndpointRules.checkOpen(closed, call);
    }

    /** @throws ScifException EBADF once closed (the text made only then) */
    protected final void checkOpen(Call call) throws ScifException {
        if (closed) {
            EndpointRules.checkOpen(true, call.text());
        }
    }

    /** @return the lock of the send direction */
    protected final DataPathLock sendLock() {
        return sendLock;
    }

    /** @return the lock of the receive direction */
    protected final DataPathLock recvLock() {
        return recvLock;
    }

    @Override
    public final void configureBlocking(boolean block) throws ScifException {
        checkOpen("configureBlocking(" + block + ")");
        blocking = block;
    }

    @Override
    public final boolean isBlocking() {
        return blocking;
    }

    // ---------------------------------------------------------------- ports and connections

    @Override
    public final int bind(int port) throws ScifException {
        String call = "bind(port=" + port + ")";
        checkOpen(call);
        EndpointRules.bindPort(port, mayBindAdminPorts(), call);
        return doBind(port, call);
    }

    @Override
    public final void listen(int backlog) throws ScifException {
        String call = "listen(backlog=" + backlog + ")";
        checkOpen(call);
        doListen(backlog, call);
    }

    @Override
    public final int connect(PortId dst) throws ScifException {
        String call = "connect(peer=" + dst + ")";
        checkOpen(call);
        EndpointRules.connectPeer(dst, call);
        try {
            int port = doConnect(dst, call);
            counters.connected();
            return port;
        } catch (ScifException e) {
            throw counted(e);
        }
    }

    @Override
    public final Endpoint accept(int flags) throws ScifException {
        String call = "accept(flags=" + flags + ")";
        checkOpen(call);
        EndpointRules.acceptFlags(flags, call);
        Endpoint accepted = doAccept((flags & Scif.ACCEPT_SYNC) != 0, call);
        counters.accepted();
        return accepted;
    }

    /** @return whether this node may bind ports below {@link Scif#ADMIN_PORT_END} (checked before {@link #doBind}) */
    protected abstract boolean mayBindAdminPorts();

    /**
     * scif_bind with a port in range: the state check ({@link EndpointRules#bindState}) and the port.
     *
     * @return the port bound
     */
    protected abstract int doBind(int port, String call) throws ScifException;

    /** scif_listen: the state and backlog checks ({@link EndpointRules#listen}) and the change. */
    protected abstract void doListen(int backlog, String call) throws ScifException;

    /**
     * scif_connect to a non-null peer, blocking or not as {@link #isBlocking()} says.
     *
     * @return the local port
     */
    protected abstract int doConnect(PortId dst, String call) throws ScifException;

    /**
     * scif_accept with valid flags.
     *
     * @param sync whether to wait for a request (ACCEPT_SYNC)
     * @return the new connected endpoint
     */
    protected abstract Endpoint doAccept(boolean sync, String call) throws ScifException;

    // ---------------------------------------------------------------- messages

    @Override
    public final int send(ByteBuffer src, int flags) throws ScifException {
        if (src == null) {
            throw ScifException.of("send(src=null, flags=" + flags + ")", Errno.EFAULT, "src is null");
        }
        if (closed) {
            checkOpen(EndpointRules.dataCall(true, src, flags));
        }
        if (!src.hasRemaining()) {
            return 0; // before the flags, as SCIF checks them
        }
        EndpointRules.dataFlags(true, src, flags);
        sendLock.lockForCall(true, src, flags);
        try {
            int n = doSend(src, (flags & Scif.SEND_BLOCK) != 0, flags);
            counters.sent(n); // under sendLock: the counter's one writer
            return n;
        } catch (ScifException e) {
            throw counted(e);
        } finally {
            sendLock.unlock();
        }
    }

    @Override
    public final int recv(ByteBuffer dst, int flags) throws ScifException {
        if (dst == null) {
            throw ScifException.of("recv(dst=null, flags=" + flags + ")", Errno.EFAULT, "dst is null");
        }
        if (closed) {
            checkOpen(EndpointRules.dataCall(false, dst, flags));
        }
        if (!dst.hasRemaining()) {
            return 0; // len == 0: before every other check, as SCIF returns it (a read-only dst too)
        }
        if (dst.isReadOnly()) {
            throw ScifException.of(EndpointRules.dataCall(false, dst, flags), Errno.EFAULT, "dst is a read-only buffer;"
                + " expected a writable one");
        }
        EndpointRules.dataFlags(false, dst, flags);
        recvLock.lockForCall(false, dst, flags);
        try {
            int n = doRecv(dst, (flags & Scif.RECV_BLOCK) != 0, flags);
            counters.received(n); // under recvLock: the counter's one writer
            return n;
        } catch (ScifException e) {
            throw counted(e);
        } finally {
            recvLock.unlock();
        }
    }

    /**
     * scif_send of at least one byte, holding {@link #sendLock()}.
     *
     * @param block whether to wait until all of {@code src} is sent (SEND_BLOCK)
     * @param flags the call's flags, for messages ({@link EndpointRules#dataCall})
     * @return bytes sent
     */
    protected abstract int doSend(ByteBuffer src, boolean block, int flags) throws ScifException;

    /**
     * scif_recv into a writable buffer with room, holding {@link #recvLock()}.
     *
     * @param block whether to wait until {@code dst} is full (RECV_BLOCK)
     * @param flags the call's flags, for messages
     * @return bytes received
     */
    protected abstract int doRecv(ByteBuffer dst, boolean block, int flags) throws ScifException;

    // ---------------------------------------------------------------- registered memory and RMA

    @Override
    public final long register(ByteBuffer region, long offset, int prot, int flags) throws ScifException {
        Call call = Call.of("register", "len", region == null ? -1 : region.remaining(), "offset", offset,
            "prot", prot, "flags", flags);
        checkOpen(call);
        long address = region != null && region.isDirect() ? addressOf(region) : 0;
        Arguments.register(region, address, offset, prot, flags, call);
        return doRegister(region, address, offset, prot, flags, call);
    }

    @Override
    public final void unregister(long offset, long length) throws ScifException {
        Call call = Call.of("unregister", "offset", offset, "length", length);
        checkOpen(call);
        Arguments.unregister(offset, length, call);
        doUnregister(offset, length, call);
    }

    @Override
    public final void readFrom(long localOffset, long length, long remoteOffset, int flags) throws ScifException {
        windowRma(false, localOffset, length, remoteOffset, flags);
    }

    @Override
    public final void writeTo(long localOffset, long length, long remoteOffset, int flags) throws ScifException {
        windowRma(true, localOffset, length, remoteOffset, flags);
    }

    /** readFrom or writeTo: between a local window and the peer's. */
    private void windowRma(boolean write, long localOffset, long length, long remoteOffset, int flags)
        throws ScifException {
        if (!tryFastRma(write, localOffset, length, remoteOffset, flags)) {
            Call call = Call.of(write ? "writeTo" : "readFrom", "localOffset", localOffset, "length", length,
                "remoteOffset", remoteOffset, "flags", flags);
            checkOpen(call);
            Arguments.rma(length, flags, call);
            rma(write, localOffset, null, length, remoteOffset, flags, call);
        }
        counters.rma(write, length);
    }

    @Override
    public final void vreadFrom(ByteBuffer dst, long remoteOffset, int flags) throws ScifException {
        bufferRma(false, dst, remoteOffset, flags);
    }

    @Override
    public final void vwriteTo(ByteBuffer src, long remoteOffset, int flags) throws ScifException {
        bufferRma(true, src, remoteOffset, flags);
    }

    /** vreadFrom or vwriteTo: between a user buffer and the peer's window. */
    private void bufferRma(boolean write, ByteBuffer buffer, long remoteOffset, int flags) throws ScifException {
        Call call = Call.of(write ? "vwriteTo" : "vreadFrom", "len", buffer == null ? -1 : buffer.remaining(),
            "remoteOffset", remoteOffset, "flags", flags);
        checkOpen(call);
        ByteBuffer checked = buffer;
        if (write) {
            checked = Arguments.source(buffer, call);
        } else {
            Arguments.destination(buffer, call);
        }
        long length = checked.remaining();
        Arguments.rma(length, flags, call);
        rma(write, 0, checked, length, remoteOffset, flags, call);
        counters.rma(write, length);
    }

    @Override
    public final int fenceMark(int flags) throws ScifException {
        Call call = Call.of("fenceMark", "flags", flags);
        checkOpen(call);
        Arguments.fenceMark(flags, call);
        try {
            int mark = doFenceMark(flags, call);
            counters.fenceMark();
            return mark;
        } catch (ScifException e) {
            throw counted(e);
        }
    }

    @Override
    public final void fenceWait(int mark) throws ScifException {
        Call call = Call.of("fenceWait", "mark", mark);
        checkOpen(call);
        try {
            doFenceWait(mark, call);
        } catch (ScifException e) {
            throw counted(e);
        }
        counters.fenceWait();
    }

    @Override
    public final void fenceSignal(long localOffset, long localValue, long remoteOffset, long remoteValue, int flags)
        throws ScifException {
        Call call = Call.of("fenceSignal", "localOffset", localOffset, "remoteOffset", remoteOffset, "flags", flags);
        checkOpen(call);
        Arguments.fenceSignal(localOffset, remoteOffset, flags, call);
        try {
            doFenceSignal(localOffset, localValue, remoteOffset, remoteValue, flags, call);
        } catch (ScifException e) {
            throw counted(e);
        }
        counters.fenceSignal();
    }

    @Override
    public final Mapping mmap(long remoteOffset, long length, int prot) throws ScifException {
        Call call = Call.of("mmap", "remoteOffset", remoteOffset, "length", length, "prot", prot);
        checkOpen(call);
        long rounded = Arguments.mmap(remoteOffset, length, prot, call);
        return doMmap(remoteOffset, rounded, length, prot, call);
    }

    /** {@link #doRma}, counting what its error says about the peer. */
    private void rma(boolean write, long localOffset, ByteBuffer buffer, long length, long remoteOffset, int flags,
                     Call call) throws ScifException {
        try {
            doRma(write, localOffset, buffer, length, remoteOffset, flags, call);
        } catch (ScifException e) {
            throw counted(e);
        }
    }

    /** @return the address of a direct buffer's first remaining byte, which registration checks for alignment */
    protected abstract long addressOf(ByteBuffer direct);

    /**
     * A fast path for readFrom/writeTo that a transport may offer for the common case: it
     * either completes the RMA (arguments and state good) or does nothing and returns false,
     * and the checked path runs. Called before any check, so it must check what it relies on.
     *
     * @return whether the RMA is done
     */
    protected boolean tryFastRma(boolean write, long localOffset, long length, long remoteOffset, int flags) {
        return false;
    }

    /**
     * scif_register with checked arguments.
     *
     * @param address the region's address ({@link #addressOf}), page-aligned
     * @return the offset of the new window
     */
    protected abstract long doRegister(ByteBuffer region, long address, long offset, int prot, int flags, Call call)
        throws ScifException;

    /** scif_unregister of a page-aligned range. */
    protected abstract void doUnregister(long offset, long length, Call call) throws ScifException;

    /**
     * Every RMA with checked arguments.
     *
     * @param write  writeTo/vwriteTo, else readFrom/vreadFrom
     * @param buffer the user buffer of vreadFrom/vwriteTo (from position, {@code length} bytes), or
     *               null for readFrom/writeTo, which use {@code localOffset}
     */
    protected abstract void doRma(boolean write, long localOffset, ByteBuffer buffer, long length, long remoteOffset,
                                  int flags, Call call) throws ScifException;

    /** scif_fence_mark with FENCE_INIT_SELF or FENCE_INIT_PEER. @return the mark */
    protected abstract int doFenceMark(int flags, Call call) throws ScifException;

    /** scif_fence_wait. */
    protected abstract void doFenceWait(int mark, Call call) throws ScifException;

    /** scif_fence_signal with checked flags and offsets. */
    protected abstract void doFenceSignal(long localOffset, long localValue, long remoteOffset, long remoteValue,
                                          int flags, Call call) throws ScifException;

    /**
     * scif_mmap with checked arguments.
     *
     * @param rounded the length rounded up to whole pages
     * @param length  the length asked for
     */
    protected abstract Mapping doMmap(long remoteOffset, long rounded, long length, int prot, Call call)
        throws ScifException;

    // ---------------------------------------------------------------- poll

    /**
     * The events of this endpoint now, as scif_poll(3) reports them.
     *
     * @param events events asked for
     * @return revents, masked with {@code events | POLLERR | POLLHUP | POLLNVAL}; POLLNVAL once closed
     */
    public final int pollEvents(int events) {
        return EndpointRules.pollMask(closed ? Scif.POLLNVAL : readiness(), events);
    }

    /**
     * The events of this endpoint now, unmasked (usually {@link EndpointRules#readiness}),
     * POLLNVAL if it was closed meanwhile.
     *
     * @return the events
     */
    protected abstract int readiness();
}
