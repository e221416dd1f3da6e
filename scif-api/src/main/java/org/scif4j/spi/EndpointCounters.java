package org.scif4j.spi;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.scif4j.EndpointMetrics;

/**
 * The counters behind one endpoint's {@link EndpointMetrics}, which a transport bumps on its
 * data path: each bump allocates nothing and takes a few nanoseconds. Obtained from
 * {@link NodeCounters#opened()}, so that the node's totals include it.
 *
 * <pre>{@code
 * // in the endpoint skeleton's send, with the send serialisation held:
 * int n = doSend(src, block, flags);
 * counters.sent(n);
 * // at its first close:
 * counters.closed();
 * }</pre>
 *
 * <p><b>Writers.</b> Send and recv counters are plain fields written only while the caller
 * holds the endpoint's send (resp. recv) serialisation, which every endpoint has (the API says
 * sends are serialised with each other, and so are receives): one writer at a time, the lock
 * ordering successive writers, so a plain read-modify-write loses nothing, and the store is
 * opaque so that a reader on another thread sees a whole 64-bit value. This keeps the message
 * path, the one measured in nanoseconds, at a plain add. RMA and fence calls are not serialised
 * (several threads may issue RMAs on one endpoint at once), so their counters are
 * {@link ThreadCounts}: each thread adds to its own cell with plain stores, and a snapshot sums
 * the cells. (A {@code LongAdder}'s CAS costs 15–25 ns after a small RMA's copy: a 4 KiB CPU
 * writeTo took half as long again as a memcpy of the same size with two of them.)
 */
public final class EndpointCounters {
    private static final VarHandle BYTES_SENT;
    private static final VarHandle SENDS;
    private static final VarHandle BYTES_RECEIVED;
    private static final VarHandle RECEIVES;
    private static final VarHandle STATE;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            BYTES_SENT = l.findVarHandle(EndpointCounters.class, "bytesSent", long.class);
            SENDS = l.findVarHandle(EndpointCounters.class, "sends", long.class);
            BYTES_RECEIVED = l.findVarHandle(EndpointCounters.class, "bytesReceived", long.class);
            RECEIVES = l.findVarHandle(EndpointCounters.class, "receives", long.class);
            STATE = l.findVarHandle(EndpointCounters.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final int PEER_LOST = 1;
    private static final int CLOSED = 2;

    private final NodeCounters node;
    private long bytesSent;
    private long sends;
    private long bytesReceived;
    private long receives;
    /** RMA and fence counts, indexed by the constants below. */
    private final ThreadCounts shared = new ThreadCounts(7);
    private static final int RMA_WRITES = 0;
    private static final int RMA_WRITE_BYTES = 1;
    private static final int RMA_READS = 2;
    private static final int RMA_READ_BYTES = 3;
    private static final int FENCE_MARKS = 4;
    private static final int FENCE_WAITS = 5;
    private static final int FENCE_SIGNALS = 6;
    /** PEER_LOST and CLOSED bits, each set once (CAS). */
    private volatile int state;

    EndpointCounters(NodeCounters node) {
        this.node = node;
    }

    /**
     * A send call returned; call with the send serialisation held.
     *
     * @param bytes the bytes it sent (0 counts nothing)
     */
    public void sent(int bytes) {
        if (bytes > 0) {
            BYTES_SENT.setOpaque(this, bytesSent + bytes);
            SENDS.setOpaque(this, sends + 1);
        }
    }

    /**
     * A recv call returned; call with the recv serialisation held.
     *
     * @param bytes the bytes it received (0 counts nothing)
     */
    public void received(int bytes) {
        if (bytes > 0) {
            BYTES_RECEIVED.setOpaque(this, bytesReceived + bytes);
            RECEIVES.setOpaque(this, receives + 1);
        }
    }

    /**
     * An RMA call was issued.
     *
     * @param write writeTo or vwriteTo, else readFrom or vreadFrom
     * @param bytes its length
     */
    public void rma(boolean write, long bytes) {
        if (write) {
            rmaWrite(bytes);
        } else {
            rmaRead(bytes);
        }
    }

    /**
     * A writeTo or vwriteTo was issued.
     *
     * @param bytes its length
     */
    public void rmaWrite(long bytes) {
        ThreadCounts.Cell c = shared.cell();
        c.add(RMA_WRITES, 1);
        c.add(RMA_WRITE_BYTES, bytes);
    }

    /**
     * A readFrom or vreadFrom was issued.
     *
     * @param bytes its length
     */
    public void rmaRead(long bytes) {
        ThreadCounts.Cell c = shared.cell();
        c.add(RMA_READS, 1);
        c.add(RMA_READ_BYTES, bytes);
    }

    /** A fenceMark returned a mark. */
    public void fenceMark() {
        shared.cell().add(FENCE_MARKS, 1);
    }

    /** A fenceWait returned. */
    public void fenceWait() {
        shared.cell().add(FENCE_WAITS, 1);
    }

    /** A fenceSignal was queued (or stored). */
    public void fenceSignal() {
        shared.cell().add(FENCE_SIGNALS, 1);
    }

    /** A connect of this endpoint connected. */
    public void connected() {
        node.connects.increment();
    }

    /** An accept of this listener returned a connected endpoint (which has counters of its own). */
    public void accepted() {
        node.accepts.increment();
    }

    /** A connect of this endpoint was refused (ECONNREFUSED). */
    public void connectRefused() {
        node.connectsRefused.increment();
    }

    /**
     * This endpoint learned that its peer went away first (closed, or was lost); only the first
     * call per endpoint counts, so a transport may call it wherever it sees the disconnection.
     */
    public void peerLost() {
        int s;
        do {
            s = state;
            if ((s & (PEER_LOST | CLOSED)) != 0) {
                return;
            }
        } while (!STATE.compareAndSet(this, s, s | PEER_LOST));
        node.peersLost.increment();
    }

    /** The endpoint closed: its counts join the node's closed total. Idempotent. */
    public void closed() {
        int s;
        do {
            s = state;
            if ((s & CLOSED) != 0) {
                return;
            }
        } while (!STATE.compareAndSet(this, s, s | CLOSED));
        node.fold(this);
    }

    /** @return whether {@link #closed()} was called */
    public boolean isClosed() {
        return (state & CLOSED) != 0;
    }

    /** @return the counts now */
    public EndpointMetrics snapshot() {
        return new EndpointMetrics((long) BYTES_SENT.getOpaque(this), (long) BYTES_RECEIVED.getOpaque(this),
            (long) SENDS.getOpaque(this), (long) RECEIVES.getOpaque(this), shared.sum(RMA_WRITES),
            shared.sum(RMA_WRITE_BYTES), shared.sum(RMA_READS), shared.sum(RMA_READ_BYTES), shared.sum(FENCE_MARKS),
            shared.sum(FENCE_WAITS), shared.sum(FENCE_SIGNALS));
    }

    @Override
    public String toString() {
        return snapshot().toString();
    }
}
