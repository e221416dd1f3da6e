package org.scif4j.natives;

import com.sun.jna.Native;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Mapping;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.spi.AbstractEndpoint;
import org.scif4j.spi.Call;
import org.scif4j.spi.DataPathLock;
import org.scif4j.spi.Poller;

/**
 * An endpoint of libscif: its descriptor, the calls inside the library on it, its lifecycle
 * (bind, listen, accept, close) and its waits; connect is {@link NativeConnect}'s, send and
 * recv {@link NativeMessages}', registered memory {@link NativeWindows}', RMA and fences
 * {@link NativeRma}'s. Every call is the libscif call of the same name; the blocking ones
 * (connect, accept with ACCEPT_SYNC, send and recv with their BLOCK flags) are the library's
 * non-blocking call between waits in {@code scif_poll} of at most {@value #SLICE_MS} ms, so
 * that an interrupt or a close from another thread ends them with EINTR within that time (a
 * thread blocked inside a C call cannot be woken from Java); with scif4j's own library, a
 * blocking send or recv waits inside its {@code scif4j_io} for at most one slice instead.
 * docs/native.md has the design. {@link AbstractEndpoint} checks the arguments before the
 * library sees them, and serialises each direction of the data path; the library checks the
 * endpoint's state.
 */
final class NativeEndpoint extends AbstractEndpoint {
    /** The longest wait in one library call: the bound on how late an interrupt or close is seen. */
    static final int SLICE_MS = 50;

    private final NativeNode node;
    private final int epd;
    /**
     * With scif4j's library, its handle of the endpoint for scif4j_io and scif4j_rma
     * ({@link LibScif4j#scif4j_ep}), put at close; else 0.
     */
    private final long handle;
    /**
     * Calls inside the library on this epd, but for send and recv (see {@link #close()}).
     * Invariant: a call increments it before it reads {@code closed}, and close sets
     * {@code closed} before it waits for zero; so scif_close never runs while a call still
     * uses the descriptor (whose number the OS may reuse).
     */
    private final AtomicInteger inside = new AtomicInteger();
    private volatile int port;
    private volatile PortId peer;
    /** Set once listen succeeded: the library keeps the state, this is for {@link #toString()}. */
    private volatile boolean listening;
    private final NativeConnect connector = new NativeConnect(this);
    private final NativeMessages messages;
    private final NativeWindows windows;
    private final NativeRma rma;

    NativeEndpoint(NativeNode node, int epd, PortId peer) throws ScifException {
        super(DataPathLock.reentrant(), DataPathLock.reentrant(), node.counters().opened());
        this.node = node;
        this.epd = epd;
        this.peer = peer;
        // Always non-blocking underneath: only connect reads the flag, and the blocking
        // connect is our loop (see the class comment).
        int fl = LibC.fcntl(epd, LibC.F_GETFL, 0);
        if (fl < 0 || LibC.fcntl(epd, LibC.F_SETFL, fl | LibC.O_NONBLOCK) < 0) {
            int errno = Native.getLastError();
            LibScif.scif_close(epd);
            throw NativeErrors.error("open()", errno);
        }
        long h = node.helpers() ? LibScif4j.scif4j_ep(epd) : 0;
        if (h < 0) {
            LibScif.scif_close(epd);
            throw NativeErrors.error("open()", (int) -h);
        }
        this.handle = h;
        this.messages = new NativeMessages(this, epd, h);
        this.windows = new NativeWindows(this, epd);
        this.rma = new NativeRma(this, epd, h);
    }

    /** @return the node this endpoint was opened on */
    NativeNode node() {
        return node;
    }

    int epd() {
        return epd;
    }

    int port() {
        return port;
    }

    /** @return the peer once connected, else null (without finishing a connect in progress) */
    PortId peerOrNull() {
        return peer;
    }

    /** The library bound the endpoint to {@code port}. */
    void bound(int port) {
        this.port = port;
    }

    /** The library connected the endpoint from {@code port} to {@code peer}. */
    void connected(int port, PortId peer) {
        this.port = port;
        this.peer = peer;
    }

    /** Counts a call in, or fails it with EBADF when the endpoint is closed. */
    void enter(String name) throws ScifException {
        inside.incrementAndGet();
        if (isClosed()) {
            inside.decrementAndGet();
            throw ScifException.of(name, Errno.EBADF, "the endpoint is closed");
        }
    }

    /** {@link #enter(String)} for a described call: its text is made only when it fails (no allocation per call). */
    void enter(Call call) throws ScifException {
        inside.incrementAndGet();
        if (isClosed()) {
            inside.decrementAndGet();
            throw ScifException.of(call.text(), Errno.EBADF, "the endpoint is closed");
        }
    }

    /** Counts a call out. */
    void leave() {
        inside.decrementAndGet();
    }

    /**
     * scif_poll of this endpoint for {@code events}, without waiting; the caller has entered.
     *
     * @return the events it reports (0 for none), or -1 when the poll failed
     */
    int pollNow(short events) {
        Scratch s = Scratch.get();
        s.putInt(0, epd);
        s.putShort(4, events);
        s.putShort(6, (short) 0);
        int r = LibScif.scif_poll(s.small, 1, 0);
        return r < 0 ? -1 : r == 0 ? 0 : s.getShort(6) & 0xffff;
    }

    /** Whether scif_poll reports the peer gone (POLLHUP or POLLERR), without waiting. */
    boolean peerGone() {
        int r = pollNow((short) Scif.POLLIN);
        return r > 0 && (r & (Scif.POLLHUP | Scif.POLLERR)) != 0;
    }

    /**
     * Waits in scif_poll for {@code events} up to one slice; the caller then tries again.
     *
     * @throws ScifException EINTR when interrupted or closed meanwhile
     */
    void await(short events, Call call) throws ScifException {
        Scratch s = Scratch.get();
        s.putInt(0, epd);
        s.putShort(4, events);
        s.putShort(6, (short) 0);
        int r = LibScif.scif_poll(s.small, 1, SLICE_MS);
        int errno = r < 0 ? Native.getLastError() : 0;
        checkWaitEnds(call);
        if (r < 0 && errno != Errno.EINTR.number()) {
            throw NativeErrors.error(call.text(), errno);
        }
    }

    /** @throws ScifException EINTR when the thread was interrupted or the endpoint closed */
    void checkWaitEnds(Call call) throws ScifException {
        if (Thread.currentThread().isInterrupted() || isClosed()) {
            throw waitEnded(call);
        }
    }

    /** @return the EINTR of a wait that an interrupt or a close from another thread ended */
    ScifException waitEnded(Call call) {
        return ScifException.of(call.text(), Errno.EINTR, Thread.currentThread().isInterrupted()
            ? "interrupted while waiting" : "the endpoint was closed while waiting");
    }

    /** @return whether the library is scif4j's, with its {@code scif4j_*} helpers ({@link LibScif4j}) */
    boolean hasHelpers() {
        return handle != 0;
    }

    /**
     * Whether a blocking connect runs on this endpoint: SCIF's poll reports POLLERR for it, but
     * the library, which sees only the non-blocking connect underneath, would wait for POLLOUT.
     */
    boolean inBlockingConnect() {
        return connector.inBlockingConnect();
    }

    /** The library checks the privilege itself. */
    @Override
    protected boolean mayBindAdminPorts() {
        return true;
    }

    @Override
    protected int doBind(int port, String call) throws ScifException {
        enter(call);
        try {
            int r = LibScif.scif_bind(epd, (short) port);
            if (r < 0) {
                throw NativeErrors.error(call, Native.getLastError());
            }
            this.port = r;
            return r;
        } finally {
            leave();
        }
    }

    @Override
    protected void doListen(int backlog, String call) throws ScifException {
        enter(call);
        try {
            if (LibScif.scif_listen(epd, backlog) < 0) {
                throw NativeErrors.error(call, Native.getLastError());
            }
            listening = true;
        } finally {
            leave();
        }
    }

    @Override
    protected int doConnect(PortId dst, String text) throws ScifException {
        Call call = Call.of("connect", "node", dst.node(), "port", dst.port());
        if (dst.port() < 0 || dst.port() > 0xffff) {
            throw ScifException.of(call.text(), Errno.EINVAL, "port must be 0..65535");
        }
        if (dst.node() < 0 || dst.node() > 0xffff) {
            // as on every transport (docs/decisions.md): a node id out of range is a node not online
            throw ScifException.of(call.text(), Errno.ENODEV, "node " + dst.node() + " is not online; node ids are"
                + " 0..65535 (nodeIds() lists the online ones)");
        }
        enter(call);
        try {
            return connector.connect(dst, call);
        } finally {
            leave();
        }
    }

    @Override
    protected Endpoint doAccept(boolean sync, String text) throws ScifException {
        Call call = Call.of("accept", "flags", sync ? Scif.ACCEPT_SYNC : 0);
        enter(call);
        try {
            Scratch s = Scratch.get();
            while (true) {
                int r = LibScif.scif_accept(epd, s.small + 16, s.small + 24, 0);
                if (r == 0) {
                    PortId from = new PortId(s.getShort(16) & 0xffff, s.getShort(18) & 0xffff);
                    NativeEndpoint e = new NativeEndpoint(node, s.getInt(24), from);
                    e.port = port;
                    node.adopt(e);
                    return e;
                }
                int errno = Native.getLastError();
                if (errno != Errno.EAGAIN.number() || !sync) {
                    throw NativeErrors.error(call.text(), errno);
                }
                await((short) Scif.POLLIN, call);
            }
        } finally {
            leave();
        }
    }

    @Override
    public PortId localPort() {
        return new PortId(node.selfId(), port);
    }

    /** {@inheritDoc} A non-blocking connect that the peer has accepted is finished here. */
    @Override
    public PortId peerPort() {
        PortId p = peer;
        if (p != null || connector.pending() == null) {
            return p;
        }
        inside.incrementAndGet();
        try {
            return isClosed() ? null : connector.collect();
        } finally {
            leave();
        }
    }

    @Override
    protected int doSend(ByteBuffer src, boolean block, int flags) throws ScifException {
        return messages.transfer(src, block, true, flags);
    }

    @Override
    protected int doRecv(ByteBuffer dst, boolean block, int flags) throws ScifException {
        return messages.transfer(dst, block, false, flags);
    }

    @Override
    protected long addressOf(ByteBuffer direct) {
        return Scratch.get().address(direct);
    }

    @Override
    protected long doRegister(ByteBuffer region, long addr, long offset, int prot, int flags, Call call)
        throws ScifException {
        return windows.register(region, addr, offset, prot, flags, call);
    }

    @Override
    protected void doUnregister(long offset, long length, Call call) throws ScifException {
        windows.unregister(offset, length, call);
    }

    @Override
    protected void doRma(boolean write, long localOffset, ByteBuffer buffer, long length, long remoteOffset,
                         int flags, Call call) throws ScifException {
        rma.rma(write, localOffset, buffer, length, remoteOffset, flags, call);
    }

    @Override
    protected int doFenceMark(int flags, Call call) throws ScifException {
        return rma.fenceMark(flags, call);
    }

    @Override
    protected void doFenceWait(int mark, Call call) throws ScifException {
        rma.fenceWait(mark, call);
    }

    @Override
    protected void doFenceSignal(long localOffset, long localValue, long remoteOffset, long remoteValue, int flags,
                                 Call call) throws ScifException {
        rma.fenceSignal(localOffset, localValue, remoteOffset, remoteValue, flags, call);
    }

    @Override
    protected Mapping doMmap(long remoteOffset, long len, long length, int prot, Call call) throws ScifException {
        return windows.mmap(remoteOffset, len, length, prot, call);
    }

    @Override
    public Poller poller() {
        return NativePoller.INSTANCE;
    }

    /** {@inheritDoc} The library's scif_poll, without waiting. */
    @Override
    protected int readiness() {
        inside.incrementAndGet();
        try {
            if (isClosed()) {
                return Scif.POLLNVAL;
            }
            if (connector.inBlockingConnect()) {
                return Scif.POLLERR; // see inBlockingConnect
            }
            int r = pollNow((short) (Scif.POLLIN | Scif.POLLOUT));
            return r < 0 ? Scif.POLLERR : r;
        } finally {
            leave();
        }
    }

    /**
     * Marks the endpoint closed, waits for the calls inside the library to see it (each ends
     * within one slice): the counted ones, then a send and a recv by taking their data path
     * locks, under which they run. Then scif_close, and the library's handle is put. Its
     * mappings become anonymous memory first, so that their buffers never fault.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (!markClosed()) {
                return;
            }
        }
        while (inside.get() > 0) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // bounded by one poll slice
        }
        sendLock().lock();
        sendLock().unlock();
        recvLock().lock();
        recvLock().unlock();
        windows.releaseMappings();
        LibScif.scif_close(epd);
        if (handle != 0) {
            LibScif4j.scif4j_ep_put(handle); // after the data path's locks: no call uses it any more
        }
        windows.clear();
        node.forget(this);
    }

    @Override
    public String toString() {
        return "NativeEndpoint[node " + node.selfId() + " port " + port + " " + stateName()
            + (peer == null ? "" : " peer " + peer) + "]";
    }

    /** The state as far as this side knows it; whether the peer is gone only libscif knows. */
    private String stateName() {
        if (listening || peer == null) {
            return isClosed() ? "CLOSED" : listening ? "LISTENING" : port != 0 ? "BOUND" : "UNBOUND";
        }
        try {
            enter("toString()"); // the descriptor stays ours while we ask the library
        } catch (ScifException closed) {
            return "CLOSED";
        }
        try {
            return peerGone() ? "DISCONNECTED" : "CONNECTED";
        } finally {
            leave();
        }
    }
}
