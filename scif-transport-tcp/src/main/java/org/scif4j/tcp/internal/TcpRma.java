package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;
import org.scif4j.Errno;
import org.scif4j.ScifException;
import org.scif4j.spi.Arguments;
import org.scif4j.spi.Call;

/**
 * The RMA half of a connected tcp endpoint (docs/tcp-protocol.md, "Registered memory and
 * RMA"): whom it talks to, whether the connection lives, and how its callers wait. The owner
 * of a window serves every access to it: a writeTo ships the bytes in RMA_WRITE frames, a
 * readFrom asks with RMA_READ and the owner answers with RMA_DATA. The work is split by thread:
 * <ul>
 * <li>{@link RmaWindows}: this side's windows and the mirror of the peer's; user threads
 *     register and unregister, the link's reader updates the mirror;</li>
 * <li>{@link RmaInitiator}: this side's operations in flight, submitted by user threads under
 *     its submit lock and completed by the link's reader;</li>
 * <li>{@link RmaFences}: marks, waits and signals, asked by user threads;</li>
 * <li>{@link RmaServer}: the peer's frames, served by the reader of the link they arrive on
 *     (confined to it).</li>
 * </ul>
 *
 * <p><b>Threads and state here.</b> {@code ended} and {@code closed} are written by whoever
 * ends the connection ({@link #end}) and read by all. Waiting: a user thread waits in
 * {@link #spinOrBlock}, reading the link itself when no other thread does ({@link Link}),
 * else on this object's monitor. The reader never blocks: it takes this monitor only to wake
 * waiters, and the submit lock only with tryLock. The endpoint's monitor may be held when
 * {@link #end} takes this one; nothing here takes the endpoint's monitor. No lost wake-up: a
 * waiter reads the change count before it checks its condition, then raises {@code waiters}
 * and reads the count again; the reader writes the condition (moving the count) and then
 * reads {@code waiters} (all volatile), so one of them sees the other.
 */
final class TcpRma {
    /**
     * Unsent bytes one connection may leave for an honest peer: the answers to its RMAs (its
     * reads in flight, at most {@link RmaInitiator#MAX_BYTES}, and an RMA_DONE per operation)
     * and our own RMAs to it (as many), with room for the control frames. An owner's unsent
     * answers are a subset of the initiator's operations in flight: each was asked for and has
     * not arrived.
     */
    static final long UNSENT_PER_CONNECTION = 2 * RmaInitiator.MAX_BYTES + (1L << 20);
    /** Unsent bytes allowed besides, for connections that ended with bytes still queued. */
    static final long UNSENT_SLACK = 64L << 20;

    final TcpEndpoint endpoint;
    final TcpNode node;
    final int peerNode;
    final long peerIncarnation;
    final long peerWireId;
    final long timeoutNanos;
    /**
     * Both ends on the host (as SCIF's host loopback): every RMA is complete when its call
     * returns, marks are {@link Arguments#HOST_LOOPBACK_MARK}, and signals are stored before
     * fenceSignal returns. Over the link that means waiting for each answer, as RMA_SYNC does.
     */
    final boolean hostLoopback;

    final RmaWindows windows;
    final RmaInitiator initiator;
    final RmaFences fences;
    final RmaServer server;

    private volatile int waiters;
    private volatile boolean ended;
    private volatile boolean closed;
    /**
     * This node's link to the peer, which carries every frame of this connection. Held from
     * the start: if it fails, the peer is lost and the connection ends with it (a link to the
     * node's next incarnation is never this connection's).
     */
    private final Link out;
    /** The link a waiter reads while it waits, or null; see {@link LinkReader#wakeReader}. */
    private volatile LinkReader parked;

    TcpRma(TcpEndpoint endpoint, TcpNode node, int peerNode, long peerIncarnation, long peerWireId) {
        this.endpoint = endpoint;
        this.node = node;
        this.peerNode = peerNode;
        this.peerIncarnation = peerIncarnation;
        this.peerWireId = peerWireId;
        this.hostLoopback = Arguments.hostLoopback(node.selfId(), peerNode);
        this.timeoutNanos = node.options().timeoutMillis() * 1_000_000L;
        this.out = node.links().outbound(peerNode);
        this.windows = new RmaWindows(this);
        this.initiator = new RmaInitiator(this);
        this.fences = new RmaFences(this);
        this.server = new RmaServer(this);
    }

    // ---------------------------------------------------------------- the endpoint's calls

    long register(ByteBuffer region, long offset, int prot, int flags, Call call) throws ScifException {
        return windows.register(region, offset, prot, flags, call);
    }

    void unregister(long offset, long length, Call call) throws ScifException {
        windows.unregister(offset, length, call);
    }

    /**
     * One RMA. {@code buffer} is null for readFrom/writeTo (the local side is the local RAS at
     * {@code localOffset}), else the v-variant's buffer, from its position.
     */
    void rma(boolean write, long localOffset, ByteBuffer buffer, long length, long remoteOffset, int flags,
             Call call) throws ScifException {
        initiator.rma(write, localOffset, buffer, length, remoteOffset, flags, call);
    }

    int fenceMark(int flags, Call call) throws ScifException {
        return fences.mark(flags, call);
    }

    void fenceWait(int mark, Call call) throws ScifException {
        fences.await(mark, call);
    }

    void fenceSignal(long localOffset, long localValue, long remoteOffset, long remoteValue, int flags, Call call)
        throws ScifException {
        fences.signal(localOffset, localValue, remoteOffset, remoteValue, flags, call);
    }

    /**
     * @param type an RMA frame type, its size already checked
     * @param f    its body, from the endpoint id (see {@link RmaWire})
     * @return what is wrong with the frame, or null when it was handled
     */
    String onFrame(Link link, byte type, ByteBuf f) {
        String wrong = server.onFrame(link, type, f);
        // Our close (another thread) may end the connection and drop our windows while the
        // frame is served: it raced with the close, like one the dispatcher drops once the
        // connection ended, and is no lie of the peer's.
        return wrong != null && ended ? null : wrong;
    }

    // ---------------------------------------------------------------- the connection

    /** @return whether a frame on {@code link} comes from this connection's peer */
    boolean fromPeer(Link link) {
        return !ended && link.peerNode == peerNode && link.peerIncarnation == peerIncarnation;
    }

    /** @return whether this connection is live and with node {@code node} */
    boolean connectedTo(int node) {
        return !ended && peerNode == node;
    }

    boolean ended() {
        return ended;
    }

    /** Sends a frame to the peer over this node's link to it: no lookup, no lock of the node. */
    void send(ByteBuf frame) {
        out.write(frame);
    }

    /** Sends the frames appended to {@code scratch} to the peer (see {@link FrameScratch}). */
    void send(FrameScratch scratch) {
        scratch.send(out);
    }

    /**
     * Writes frames gathered from {@code parts} (frame {@code k} ends before part
     * {@code frameEnds[k]}) to the peer straight from them, in one gathering write, when the
     * link's writer may (see {@link Link#writeFramesDirect}).
     *
     * @return how many frames, from the first, it took care of: the caller sends the rest with
     *         {@link #send}
     */
    int sendFramesDirect(java.nio.ByteBuffer[] parts, int[] frameEnds, int frames) {
        return out.writeFramesDirect(parts, frameEnds, frames);
    }

    /** The connection ended (the peer closed or was lost, or we closed): every waiter leaves. */
    void end(boolean closing) {
        closed |= closing;
        ended = true;
        wake();
        synchronized (this) {
            notifyAll();
        }
        windows.end(closing);
        initiator.end();
    }

    void checkLive(Call call) throws ScifException {
        if (closed) {
            throw ScifException.of(call.text(), Errno.EBADF, "the endpoint is closed");
        }
        if (ended) {
            throw ScifException.of(call.text(), Errno.ECONNRESET, "the peer closed the connection or was lost");
        }
    }

    /**
     * Takes {@code lock} for a call: at once when it is free, whatever the interrupt status (a
     * call that need not wait completes, as in the driver); interruptibly only when another
     * call holds it, which is a wait like any other (EINTR, the status kept).
     */
    static void lockForCall(ReentrantLock lock, Call call, String holder) throws ScifException {
        if (lock.tryLock()) {
            return;
        }
        try {
            lock.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ScifException.of(call.text(), Errno.EINTR, "interrupted while " + holder);
        }
    }

    // ---------------------------------------------------------------- waiting

    /**
     * Spins for the node's budget, then blocks, until the count moves from {@code seen}; read
     * requests held back leave first (whatever this thread waits for may need them, see
     * {@link RmaInitiator}).
     *
     * <p>Invariant (no lost wake-up): the caller takes {@code seen} from {@link #changeCount}
     * before it checks its condition, so a change that lands between its check and this call
     * moves the count from {@code seen} and ends the wait at once. A count taken here instead
     * would already hold that change, and the wait would last until the deadline: that made an
     * RMA over epoll, whose answers the event loop completes at any moment, wait the whole
     * watchdog period about once in tens of thousands of calls.
     *
     * @param seen     {@link #changeCount} as the caller read it before checking its condition
     * @param deadline System.nanoTime to give up at
     * @return 0 to look again, else why not (see {@link #failure})
     */
    int spinOrBlock(int seen, long deadline) {
        if (ended) {
            return -1;
        }
        initiator.flushBeforeWait();
        long budget = node.spin().budgetNanos();
        long end = System.nanoTime() + budget;
        while (budget > 0 && System.nanoTime() - end < 0) {
            if (changeCount() != seen) {
                return 0;
            }
            Thread.yield();
        }
        return block(seen, deadline);
    }

    /**
     * Sleeps until the count moves from {@code seen} (taken before the caller checked its
     * condition, see {@link #spinOrBlock}), or {@code deadline}. The caller re-checks its
     * condition, so a spurious return costs one more look. @return 0, 1 interrupted, 2 out of time
     */
    int block(int seen, long deadline) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            return 2;
        }
        // Read the link the answers come on while waiting, if no other thread does (Link).
        Link in = ended ? null : node.links().inbound(peerNode);
        if (in != null) {
            int r = in.reader.awaitReading(waiter, seen, deadline, node.spin().readSpinNanos());
            if (r != LinkReader.UNAVAILABLE) {
                return r == LinkReader.INTERRUPTED ? 1 : 0; // out of time: the next look says so
            }
        }
        synchronized (this) {
            waiters++;
            try {
                if (changeCount() == seen) {
                    wait(Math.max(1, left / 1_000_000), 0);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            } finally {
                waiters--;
            }
        }
        return 0;
    }

    /** Wakes the waiters after a counter moved. */
    void wake() {
        LinkReader in = parked;
        if (in != null) {
            in.wakeReader();
        }
        if (waiters > 0) {
            synchronized (this) {
                notifyAll();
            }
        }
    }

    /**
     * @return a count that moves with every counter a waiter waits on, and when the connection
     *     ends: read it before checking the condition it waits for (see {@link #spinOrBlock})
     */
    int changeCount() {
        return initiator.completed() + fences.answered() + windows.acked() + (ended ? 1 << 30 : 0);
    }

    /** What {@link LinkReader#awaitReading} waits for on this connection's behalf. */
    private final LinkReader.Waiter waiter = new LinkReader.Waiter() {
        @Override
        public int changeCount() {
            return TcpRma.this.changeCount();
        }

        @Override
        public void parkedOn(LinkReader reader) {
            parked = reader;
        }
    };

    /** @param why what {@link #spinOrBlock} returned: -1 ended, 1 interrupted, 2 out of time */
    ScifException failure(int why, Call call, String what) {
        if (closed) {
            return ScifException.of(call.text(), Errno.EINTR, "the endpoint was closed while " + what);
        }
        if (ended) {
            return ScifException.of(call.text(), Errno.ECONNRESET, "the peer closed the connection or was lost while "
                + what);
        }
        if (why == 1) {
            return ScifException.of(call.text(), Errno.EINTR, "interrupted while " + what);
        }
        return ScifException.of(call.text(), Errno.ETIMEDOUT, "no progress within the watchdog period ("
            + timeoutNanos / 1_000_000 + " ms, option timeout=) while " + what);
    }

    @Override
    public String toString() {
        return "TcpRma[" + endpoint + ", submitted " + initiator.submittedView() + ", completed "
            + initiator.completed() + "]";
    }
}
