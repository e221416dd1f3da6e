package org.scif4j.spi;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.LongAdder;
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
 * {@link LongAdder}s: an uncontended add is one CAS, and contention spreads over cells instead
 * of losing counts; either is small beside the cost of an RMA or a fence.
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
    private final LongAdder rmaWrites = new LongAdder();
    private final LongAdder rmaWriteBytes = new LongAdder();
    private final LongAdder rmaReads = new LongAdder();
    private final LongAdder rmaReadBytes = new LongAdder();
    private final LongAdder fenceMarks = new LongAdder();
    private final LongAdder fenceWaits = new LongAdder();
    private final LongAdder fenceSignals = new LongAdder();
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
        rmaWrites.increment();
        rmaWriteBytes.add(bytes);
    }

    /**
     * A readFrom or vreadFrom was issued.
     *
     * @param bytes its length
     */
    public void rmaRead(long bytes) {
        rmaReads.increment();
        rmaReadBytes.add(bytes);
    }

    /** A fenceMark returned a mark. */
    public void fenceMark() {
        fenceMarks.increment();
    }

    /** A fenceWait returned. */
    public void fenceWait() {
        fenceWaits.increment();
    }

    /** A fenceSignal was queued (or stored). */
    public void fenceSignal() {
        fenceSignals.increment();
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
            (long) SENDS.getOpaque(this), (long) RECEIVES.getOpaque(this), rmaWrites.sum(), rmaWriteBytes.sum(),
            rmaReads.sum(), rmaReadBytes.sum(), fenceMarks.sum(), fenceWaits.sum(), fenceSignals.sum());
    }

    @Override
    public String toString() {
        return snapshot().toString();
    }
}
