package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.spi.Arguments;
import org.scif4j.spi.Call;
import org.scif4j.spi.FenceSequence;

/**
 * Fences of one tcp connection, as its user threads ask for them (scif_fence_mark(3),
 * scif_fence_wait(3), scif_fence_signal(3)). A mark of this side's operations (INIT_SELF) is
 * a sequence number of {@link RmaInitiator}; one of the peer's (INIT_PEER) is the peer's
 * sequence number with bit 31 set, asked for with MARK_REQ. Waiting for the peer's mark and
 * signalling after the peer's operations are requests the peer answers ({@link RmaServer}
 * keeps them until its operations complete).
 *
 * <p><b>Threads.</b> One INIT_PEER request is in flight at a time, under {@code requestLock}
 * (user threads); {@code request} is written under it. The reader of the link matches the
 * peer's answers against it and writes {@code answered} and {@code answer} (volatile).
 * {@code expectedStores} is offered by the requester and consumed by the reader.
 */
final class RmaFences {
    private final TcpRma rma;
    /**
     * The local words our INIT_PEER signals asked the peer to have stored ({offset, value}), in
     * request order: the peer answers them in that order with SIGNAL_STORE, and a store nobody
     * asked for is refused.
     */
    private final Queue<long[]> expectedStores = new ConcurrentLinkedQueue<>();
    /** Serialises this side's INIT_PEER requests: one is in flight at a time. */
    private final ReentrantLock requestLock = new ReentrantLock();
    /**
     * The request frame, built and sent without a buffer from the allocator (on a user thread
     * that would be a new object per request: see FrameScratch), as large as the largest
     * request, PEER_SIGNAL. Guarded by requestLock.
     */
    private final FrameScratch requestFrame = new FrameScratch(Wire.FRAME_HEADER + RmaWire.PEER_SIGNAL_SIZE);
    /** Written under requestLock; volatile: the reader matches answers against it. */
    private volatile int request;
    private volatile int answered;
    private volatile int answer;

    RmaFences(TcpRma rma) {
        this.rma = rma;
    }

    /** @return the id of the last request the peer answered */
    int answered() {
        return answered;
    }

    int mark(int flags, Call call) throws ScifException {
        rma.checkLive(call);
        if (rma.hostLoopback) {
            return Arguments.HOST_LOOPBACK_MARK; // both sides' RMAs completed before their calls returned
        }
        if (flags == Scif.FENCE_INIT_SELF) {
            return rma.initiator.submittedView();
        }
        return FenceSequence.peerMark(peerRequest(Wire.MARK_REQ, 0, 0, 0, 0, 0, call));
    }

    void await(int mark, Call call) throws ScifException {
        rma.checkLive(call);
        if (rma.hostLoopback) {
            Arguments.hostLoopbackFenceWait(mark, call);
        } else if (!FenceSequence.isPeerMark(mark)) {
            rma.initiator.awaitCompleted(mark, call);
        } else {
            peerRequest(Wire.WAIT_REQ, FenceSequence.sequenceOf(mark), 0, 0, 0, 0, call);
        }
    }

    void signal(long localOffset, long localValue, long remoteOffset, long remoteValue, int flags, Call call)
        throws ScifException {
        boolean signalLocal = (flags & Scif.SIGNAL_LOCAL) != 0;
        boolean signalRemote = (flags & Scif.SIGNAL_REMOTE) != 0;
        if (rma.hostLoopback) {
            // Nothing of either side is pending: store now, which over the link is an INIT_SELF
            // signal (the owner stores the remote word, then we the local one) and its answer.
            flags = flags & ~Scif.FENCE_INIT_PEER | Scif.FENCE_INIT_SELF;
        }
        if ((flags & Scif.FENCE_INIT_PEER) != 0) {
            rma.checkLive(call);
            rma.windows.checkSignalTargets(signalLocal, localOffset, signalRemote, remoteOffset, call);
            peerRequest(Wire.PEER_SIGNAL, flags, localOffset, localValue, remoteOffset, remoteValue, call);
            return;
        }
        if (signalRemote && !rma.hostLoopback) {
            rma.initiator.awaitReadsLanded(call); // the owner stores the word as our reads' answers leave it
        }
        int seq = rma.initiator.signal(signalLocal, localOffset, localValue, remoteOffset, remoteValue, flags, call);
        if (rma.hostLoopback) {
            rma.initiator.awaitCompleted(seq, call); // both words are stored when fenceSignal returns
        }
    }

    /**
     * Sends an INIT_PEER request and waits for the peer's answer, bounded by the watchdog.
     *
     * @return the answer (a MARK_ACK's mark; 0 for the others)
     */
    private int peerRequest(byte type, int a, long localOffset, long localValue, long remoteOffset, long remoteValue,
                            Call call) throws ScifException {
        TcpRma.lockForCall(requestLock, call, "waiting for another fence request");
        try {
            int id = ++request;
            ByteBuf f = requestFrame.start();
            switch (type) {
                case Wire.MARK_REQ:
                    RmaWire.appendEndpointInt(f, Wire.MARK_REQ, rma.peerWireId, id);
                    break;
                case Wire.WAIT_REQ:
                    RmaWire.appendWaitRequest(f, rma.peerWireId, id, a);
                    break;
                default:
                    if ((a & Scif.SIGNAL_LOCAL) != 0) {
                        expectedStores.add(new long[] {localOffset, localValue}); // before the peer can answer
                    }
                    RmaWire.appendPeerSignal(f, rma.peerWireId, id, a, localOffset, localValue, remoteOffset,
                        remoteValue);
            }
            rma.send(requestFrame);
            long deadline = System.nanoTime() + rma.timeoutNanos;
            for (int seen = rma.changeCount(); answered != id; seen = rma.changeCount()) {
                int r = rma.spinOrBlock(seen, deadline);
                if (r != 0 && answered != id) {
                    throw rma.failure(r, call, "waiting for the peer's answer");
                }
            }
            return answer;
        } finally {
            requestLock.unlock();
        }
    }

    // ---------------------------------------------------------------- the peer's answers (the link's reader)

    /** MARK_ACK, WAIT_ACK, PEER_SIGNAL_ACK: the peer answered request {@code id}. */
    String onAnswer(int id, int value) {
        if (id == request) { // a late answer to a request that gave up is dropped
            answer = value;
            answered = id;
            rma.wake();
        }
        return null;
    }

    /** SIGNAL_STORE: the local word of one of our INIT_PEER signals, in request order; anything else is a lie. */
    String onSignalStore(long offset, long value) {
        long[] expected = expectedStores.peek();
        if (expected == null || expected[0] != offset || expected[1] != value) {
            return "SIGNAL_STORE of " + value + " at " + offset + " that no INIT_PEER signal of ours asked for";
        }
        expectedStores.poll();
        LocalWindow w = RmaWindows.signalWindow(rma.windows.local.snapshot(), offset);
        if (w != null && (w.prot & Scif.PROT_WRITE) != 0) { // checked at the request; the window may have gone
            RmaCopy.store(w.memory, (int) (offset - w.offset), value);
        }
        return null;
    }
}
