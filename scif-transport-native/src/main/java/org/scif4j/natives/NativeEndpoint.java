package org.scif4j.natives;

import com.sun.jna.Native;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
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
 * An endpoint of libscif. Every call is the libscif call of the same name; the blocking ones
 * (connect, accept with ACCEPT_SYNC, send and recv with their BLOCK flags) are the library's
 * non-blocking call between waits in {@code scif_poll} of at most {@value #SLICE_MS} ms, so
 * that an interrupt or a close from another thread ends them with EINTR within that time (a
 * thread blocked inside a C call cannot be woken from Java). With scif4j's own library, a
 * blocking send or recv is instead its timed call ({@link LibScif4j}), which waits the
 * library's own way for at most one slice. docs/native.md has the design.
 * {@link AbstractEndpoint} checks the arguments before the library sees them, and serialises
 * each direction of the data path; the library checks the endpoint's state.
 */
final class NativeEndpoint extends AbstractEndpoint {
    /** The longest wait in one scif_poll: the bound on how late an interrupt or close is seen. */
    static final int SLICE_MS = 50;
    /**
     * How long a blocking send or recv retries the library's non-blocking call, spinning, before
     * it waits in scif_poll: a peer that answers within this time is seen at once, without the
     * poll's yield, futex sleep and wake-up (the 8 B round trip went from about 6x to
     * {@code docs/native.md}'s figure of the Java shm transport's). libscif's own poll spins
     * this long before it sleeps, so an idle waiter costs no more than in C.
     */
    static final long SPIN_NANOS = 50_000;

    private final NativeNode node;
    private final int epd;
    /** With scif4j's library, its handle of the endpoint for scif4j_io ({@link LibScif4j#scif4j_ep}), put at close; else 0. */
    private final long handle;
    /**
     * Calls inside the library on this epd. Invariant: a call increments it before it reads
     * {@code closed}, and close sets {@code closed} before it waits for zero; so scif_close
     * never runs while a call still uses the descriptor (whose number the OS may reuse).
     */
    private final AtomicInteger inside = new AtomicInteger();
    private volatile int port;
    private volatile PortId peer;
    /** The peer of a non-blocking connect in progress, until it is collected. */
    private volatile PortId pendingPeer;
    /** Set when peerPort() finished a non-blocking connect: the second connect then returns the port. */
    private volatile boolean collected;
    /** The errno of a non-blocking connect that peerPort() finished and that failed, for the next connect. */
    private volatile int pendingErrno;
    /** Registered regions by offset, so that their memory stays reachable while registered. */
    private final ConcurrentSkipListMap<Long, ByteBuffer> registered = new ConcurrentSkipListMap<>();
    private final Set<NativeMapping> mappings = ConcurrentHashMap.newKeySet();

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
            throw error("open()", errno);
        }
        long h = node.helpers() ? LibScif4j.scif4j_ep(epd) : 0;
        if (h < 0) {
            LibScif.scif_close(epd);
            throw error("open()", (int) -h);
        }
        this.handle = h;
    }

    /** A ScifException for a failed libscif call: the same errno, and what it means there. */
    static ScifException error(String call, int errno) {
        Errno e = Errno.ofNumber(errno);
        if (e == null) {
            return new ScifException(Errno.ENODEV, call + ": libscif failed with errno " + errno
                + ", which SCIF does not define");
        }
        return ScifException.of(call, e, meaning(e));
    }

    private static String meaning(Errno e) {
        switch (e) {
            case EBADF: return "the endpoint is closed";
            case ECONNRESET: return "the peer closed the connection or its process ended";
            case ENOTCONN: return "the endpoint is not connected; connect or accept first";
            case ECONNREFUSED: return "no endpoint listens on that port, or its backlog is full";
            case EISCONN: return "the endpoint is already connected or listening";
            case EADDRINUSE: return "the port is already bound on this node";
            case ENXIO: return "there is no registered window at that offset on the peer";
            case ENODEV: return "the node is not online";
            case EACCES: return "ports below 1024 need privileged=true";
            case ENOMEM: return "out of memory or address space";
            case EINVAL: return "libscif refused the arguments in the endpoint's state";
            default: return "libscif returned " + e.name();
        }
    }

    private void enter(String name) throws ScifException {
        inside.incrementAndGet();
        if (isClosed()) {
            inside.decrementAndGet();
            throw ScifException.of(name, Errno.EBADF, "the endpoint is closed");
        }
    }

    /** {@link #enter(String)} for a described call: its text is made only when it fails (no allocation per call). */
    private void enter(Call call) throws ScifException {
        inside.incrementAndGet();
        if (isClosed()) {
            inside.decrementAndGet();
            throw ScifException.of(call.text(), Errno.EBADF, "the endpoint is closed");
        }
    }

    private void leave() {
        inside.decrementAndGet();
    }

    /**
     * Waits in scif_poll for {@code events} up to one slice, then says whether to go on.
     * @throws ScifException EINTR when interrupted or closed meanwhile
     */
    private void await(short events, Call call) throws ScifException {
        Scratch s = Scratch.get();
        s.putInt(0, epd);
        s.putShort(4, events);
        s.putShort(6, (short) 0);
        int r = LibScif.scif_poll(s.small, 1, SLICE_MS);
        int errno = r < 0 ? Native.getLastError() : 0;
        checkWaitEnds(call);
        if (r < 0 && errno != Errno.EINTR.number()) {
            throw error(call.text(), errno);
        }
    }

    /** @throws ScifException EINTR when the thread was interrupted or the endpoint closed */
    private void checkWaitEnds(Call call) throws ScifException {
        if (Thread.currentThread().isInterrupted()) {
            throw ScifException.of(call.text(), Errno.EINTR, "interrupted while waiting");
        }
        if (isClosed()) {
            throw ScifException.of(call.text(), Errno.EINTR, "the endpoint was closed while waiting");
        }
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
                throw error(call, Native.getLastError());
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
                throw error(call, Native.getLastError());
            }
        } finally {
            leave();
        }
    }

    @Override
    protected int doConnect(PortId dst, String text) throws ScifException {
        Call call = Call.of("connect", "node", dst.node(), "port", dst.port());
        if (dst.node() < 0 || dst.node() > 0xffff || dst.port() < 0 || dst.port() > 0xffff) {
            throw ScifException.of(call.text(), Errno.EINVAL, "node and port must be in [0, 65535]");
        }
        enter(call);
        try {
            autoBind();
            if (collected) {
                collected = false;
                return port;
            }
            int failed = pendingErrno;
            if (failed != 0) {
                pendingErrno = 0;
                throw error(call.text(), failed);
            }
            Scratch s = Scratch.get();
            while (true) {
                PortId target = pendingPeer != null ? pendingPeer : dst;
                s.putShort(16, (short) target.node());
                s.putShort(18, (short) target.port());
                int r = LibScif.scif_connect(epd, s.small + 16);
                int errno = r < 0 ? Native.getLastError() : 0;
                if (r < 0 && errno == Errno.EISCONN.number() && pendingPeer != null) {
                    r = port; // the library collected the accepted connection already (an RMA call, a poll)
                }
                if (r >= 0) {
                    port = r;
                    peer = target;
                    pendingPeer = null;
                    return r;
                }
                boolean inProgress = errno == Errno.EINPROGRESS.number() || errno == 114; // EALREADY
                if (!inProgress) {
                    pendingPeer = null;
                    throw error(call.text(), errno);
                }
                pendingPeer = target;
                if (!isBlocking()) {
                    throw error(call.text(), errno);
                }
                await((short) Scif.POLLOUT, call);
            }
        } finally {
            leave();
        }
    }

    /**
     * Binds an unbound endpoint to the lowest free port before connect, as connect would: the
     * library's connect does not tell which port it bound when it fails, and SCIF keeps it.
     */
    private void autoBind() {
        if (port == 0 && pendingPeer == null && peer == null) {
            int r = LibScif.scif_bind(epd, (short) 0);
            if (r > 0) {
                port = r;
            } // else: already bound or listening, and connect says what is wrong
        }
    }

    /** Whether scif_poll reports the peer gone (POLLHUP or POLLERR), without waiting. */
    private boolean peerGone() {
        Scratch s = Scratch.get();
        s.putInt(0, epd);
        s.putShort(4, (short) Scif.POLLIN);
        s.putShort(6, (short) 0);
        return LibScif.scif_poll(s.small, 1, 0) > 0 && (s.getShort(6) & (Scif.POLLHUP | Scif.POLLERR)) != 0;
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
                    throw error(call.text(), errno);
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

    @Override
    public PortId peerPort() {
        PortId p = peer;
        PortId pending = pendingPeer;
        if (p == null && pending != null && !isClosed()) {
            p = collect(pending);
        }
        return p;
    }

    /**
     * A non-blocking connect that the peer has accepted is connected before the second
     * connect: finish it in the library when scif_poll reports POLLOUT, and keep its result.
     */
    private synchronized PortId collect(PortId pending) {
        if (peer != null || pendingPeer == null) {
            return peer;
        }
        Scratch s = Scratch.get();
        s.putInt(0, epd);
        s.putShort(4, (short) Scif.POLLOUT);
        s.putShort(6, (short) 0);
        if (LibScif.scif_poll(s.small, 1, 0) <= 0 || (s.getShort(6) & Scif.POLLOUT) == 0) {
            return null;
        }
        s.putShort(16, (short) pending.node());
        s.putShort(18, (short) pending.port());
        int r = LibScif.scif_connect(epd, s.small + 16);
        int errno = r < 0 ? Native.getLastError() : 0;
        if (r >= 0 || errno == Errno.EISCONN.number()) {
            peer = pending;
            pendingPeer = null;
            collected = true;
            return pending;
        }
        if (errno != Errno.EINPROGRESS.number() && errno != 114) { // 114: EALREADY
            pendingErrno = errno; // refused: the next connect reports it
            pendingPeer = null;
        }
        return null;
    }

    @Override
    protected int doSend(ByteBuffer src, boolean block, int flags) throws ScifException {
        return transfer(src, block, true, flags);
    }

    @Override
    protected int doRecv(ByteBuffer dst, boolean block, int flags) throws ScifException {
        return transfer(dst, block, false, flags);
    }

    /** The description of a send or recv, for its exception only (no allocation per call). */
    private static Call dataCall(boolean out, int len, int flags) {
        return Call.of(out ? "send" : "recv", "len", len, "flags", flags);
    }

    /**
     * send or recv: the library's call (direct buffers by address, heap buffers through this
     * thread's bounce buffer), and with {@code block} waits in slices until all of it has
     * moved. It runs under the direction's data path lock, which close takes after it marked
     * the endpoint closed: so the descriptor stays open while it runs, without the count of
     * {@link #enter}.
     */
    private int transfer(ByteBuffer b, boolean block, boolean out, int flags) throws ScifException {
        int total = b.remaining();
        if (isClosed()) { // closed since the call began: it was waiting for the lock
            throw ScifException.of(dataCall(out, total, flags).text(), Errno.EINTR,
                "the endpoint was closed while waiting");
        }
        int done = 0;
        Scratch s = Scratch.get();
        boolean direct = b.isDirect();
        boolean helpers = node.helpers();
        boolean timed = block && helpers;
        long spinUntil = 0;
        while (true) {
            int want = total - done;
            int n;
            if (direct) {
                n = move(s, helpers, out, s.address(b), want, timed);
            } else {
                int chunk = Math.min(want, Scratch.BOUNCE);
                if (out) {
                    s.bounceView.put(0, b, b.position(), chunk);
                    n = move(s, helpers, true, s.bounce, chunk, timed);
                } else {
                    n = move(s, helpers, false, s.bounce, chunk, timed);
                    if (n > 0) {
                        b.put(b.position(), s.bounceView, 0, n);
                    }
                }
            }
            if (n < 0) {
                int errno = -n;
                if (done > 0 && errno == Errno.ECONNRESET.number()) {
                    return done; // what moved before the peer went is the result, as SCIF returns it
                }
                if (errno != Errno.EAGAIN.number()) {
                    throw error(dataCall(out, total, flags).text(), errno);
                }
                n = 0;
            }
            b.position(b.position() + n);
            done += n;
            if (done == total || !block) {
                return done;
            }
            if (timed) { // a slice of the library's own wait passed (or a bounce chunk moved)
                checkWaitEnds(out, total, flags);
            } else if (n == 0) {
                long now = System.nanoTime();
                if (spinUntil == 0) {
                    spinUntil = now + SPIN_NANOS; // once per call: after a poll slice, poll again
                }
                if (now - spinUntil < 0 && !isClosed() && !Thread.currentThread().isInterrupted()) {
                    Thread.onSpinWait();
                    continue;
                }
                await((short) (out ? Scif.POLLOUT : Scif.POLLIN), dataCall(out, total, flags));
            }
        }
    }

    /** {@link #checkWaitEnds(Call)} of a send or recv, describing it only when it ends. */
    private void checkWaitEnds(boolean out, int len, int flags) throws ScifException {
        if (Thread.currentThread().isInterrupted() || isClosed()) {
            checkWaitEnds(dataCall(out, len, flags));
        }
    }

    /**
     * One library call moving bytes: with scif4j's library its scif4j_io (waiting at most one
     * slice with {@code timed}), else the non-blocking scif_send/scif_recv.
     *
     * @return the bytes moved, or -errno
     */
    private int move(Scratch s, boolean helpers, boolean out, long addr, int len, boolean timed) {
        if (helpers) {
            return s.io(handle, (out ? LibScif4j.SEND : 0) | (timed ? LibScif4j.BLOCK : 0), addr, len, SLICE_MS);
        }
        int r = out ? LibScif.scif_send(epd, addr, len, 0) : LibScif.scif_recv(epd, addr, len, 0);
        return r < 0 ? -Native.getLastError() : r;
    }

    @Override
    protected long addressOf(ByteBuffer direct) {
        return Scratch.get().address(direct);
    }

    @Override
    protected long doRegister(ByteBuffer region, long addr, long offset, int prot, int flags, Call call)
        throws ScifException {
        enter(call);
        try {
            long r = LibScif.scif_register(epd, addr, region.remaining(), offset, prot, flags);
            if (r < 0) {
                throw error(call.text(), Native.getLastError());
            }
            registered.put(r, region);
            return r;
        } finally {
            leave();
        }
    }

    @Override
    protected void doUnregister(long offset, long length, Call call) throws ScifException {
        enter(call);
        try {
            boolean gone = peerGone();
            int r = LibScif.scif_unregister(epd, offset, length);
            int errno = r < 0 ? Native.getLastError() : 0;
            if (r < 0 && !(gone && errno == Errno.ENXIO.number())) {
                throw error(call.text(), errno);
            }
            if (gone) { // the library drops the windows quietly; SCIF reports the lost peer
                registered.subMap(offset, true, offset + length - 1, true).clear();
                throw ScifException.of(call.text(), Errno.ECONNRESET, meaning(Errno.ECONNRESET));
            }
            // the library refused a range that is not whole windows, so whole entries go
            registered.subMap(offset, true, offset + length - 1, true).clear();
        } finally {
            leave();
        }
    }

    @Override
    protected void doRma(boolean write, long localOffset, ByteBuffer buffer, long length, long remoteOffset,
                         int flags, Call call) throws ScifException {
        if (buffer != null) {
            vrma(write, buffer, remoteOffset, flags, call);
            return;
        }
        enter(call);
        try {
            int r;
            if (node.helpers()) {
                r = Scratch.get().rma(epd, write ? LibScif4j.WRITETO : LibScif4j.READFROM, localOffset, length,
                    remoteOffset, flags);
            } else {
                r = write ? LibScif.scif_writeto(epd, localOffset, length, remoteOffset, flags)
                    : LibScif.scif_readfrom(epd, localOffset, length, remoteOffset, flags);
                r = r < 0 ? -Native.getLastError() : r;
            }
            if (r < 0) {
                throw error(call.text(), -r);
            }
        } finally {
            leave();
        }
    }

    /** vreadfrom/vwriteto: a direct buffer by address, a heap buffer in bounce-buffer chunks. */
    private void vrma(boolean to, ByteBuffer b, long roff, int flags, Call call) throws ScifException {
        enter(call);
        try {
            Scratch s = Scratch.get();
            int len = b.remaining();
            if (b.isDirect()) {
                int r = vcall(s, to, s.address(b), len, roff, flags);
                if (r < 0) {
                    throw error(call.text(), -r);
                }
                return; // vreadFrom and vwriteTo leave the position where it was
            }
            for (int done = 0; done < len;) {
                int chunk = Math.min(len - done, Scratch.BOUNCE);
                if (to) {
                    s.bounceView.put(0, b, b.position() + done, chunk);
                }
                int r = vcall(s, to, s.bounce, chunk, roff + done, flags);
                if (r < 0) {
                    throw error(call.text(), -r);
                }
                if (!to) {
                    b.put(b.position() + done, s.bounceView, 0, chunk);
                }
                done += chunk;
            }
        } finally {
            leave();
        }
    }

    /** @return 0, or -errno of scif_vwriteto or scif_vreadfrom */
    private int vcall(Scratch s, boolean to, long addr, int len, long roff, int flags) {
        if (node.helpers()) {
            return s.rma(epd, to ? LibScif4j.VWRITETO : LibScif4j.VREADFROM, addr, len, roff, flags);
        }
        int r = to ? LibScif.scif_vwriteto(epd, addr, len, roff, flags)
            : LibScif.scif_vreadfrom(epd, addr, len, roff, flags);
        return r < 0 ? -Native.getLastError() : r;
    }

    @Override
    protected int doFenceMark(int flags, Call call) throws ScifException {
        enter(call);
        try {
            Scratch s = Scratch.get();
            if (LibScif.scif_fence_mark(epd, flags, s.small + 32) < 0) {
                throw error(call.text(), Native.getLastError());
            }
            return s.getInt(32);
        } finally {
            leave();
        }
    }

    /**
     * scif_fence_wait, a plain blocking call: the marked RMAs are the library's own copies,
     * which end on their own (the peer's death ends them with ECONNRESET), so it is not sliced.
     */
    @Override
    protected void doFenceWait(int mark, Call call) throws ScifException {
        enter(call);
        try {
            if (LibScif.scif_fence_wait(epd, mark) < 0) {
                throw error(call.text(), Native.getLastError());
            }
            if (Thread.currentThread().isInterrupted()) {
                throw ScifException.of(call.text(), Errno.EINTR, "interrupted while waiting for the marked RMAs");
            }
        } finally {
            leave();
        }
    }

    @Override
    protected void doFenceSignal(long localOffset, long localValue, long remoteOffset, long remoteValue, int flags,
                                 Call call) throws ScifException {
        enter(call);
        try {
            if (LibScif.scif_fence_signal(epd, localOffset, localValue, remoteOffset, remoteValue, flags) < 0) {
                throw error(call.text(), Native.getLastError());
            }
        } finally {
            leave();
        }
    }

    @Override
    protected Mapping doMmap(long remoteOffset, long len, long length, int prot, Call call) throws ScifException {
        enter(call);
        try {
            long addr = LibScif.scif_mmap(0, len, prot, 0, epd, remoteOffset);
            if (addr == -1L) {
                throw error(call.text(), Native.getLastError());
            }
            NativeMapping m = new NativeMapping(this, addr, remoteOffset, len, length, prot);
            mappings.add(m);
            return m;
        } finally {
            leave();
        }
    }

    void forget(NativeMapping m) {
        mappings.remove(m);
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
            Scratch s = Scratch.get();
            s.putInt(0, epd);
            s.putShort(4, (short) (Scif.POLLIN | Scif.POLLOUT));
            s.putShort(6, (short) 0);
            return LibScif.scif_poll(s.small, 1, 0) < 0 ? Scif.POLLERR : s.getShort(6) & 0xffff;
        } finally {
            leave();
        }
    }

    int epd() {
        return epd;
    }

    /**
     * Marks the endpoint closed, waits for the calls inside the library to see it (each ends
     * within one poll slice), then scif_close. Its mappings become anonymous memory first,
     * so that their buffers never fault.
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
        // a send or recv runs under its direction's lock (see transfer): each ends within a slice
        sendLock().lock();
        sendLock().unlock();
        recvLock().lock();
        recvLock().unlock();
        for (NativeMapping m : mappings) {
            m.release();
        }
        mappings.clear();
        LibScif.scif_close(epd);
        if (handle != 0) {
            LibScif4j.scif4j_ep_put(handle); // after the data path's locks: no call uses it any more
        }
        registered.clear();
        node.forget(this);
    }

    /** @return the registered regions (for tests of reachability) */
    Map<Long, ByteBuffer> registeredRegions() {
        return registered;
    }
}
