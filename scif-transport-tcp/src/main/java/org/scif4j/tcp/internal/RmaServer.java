package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import java.util.ArrayDeque;
import org.scif4j.Scif;
import org.scif4j.spi.FenceSequence;

/**
 * Serves what the peer of one tcp connection sends: its operations on our windows (RMA_WRITE,
 * RMA_READ, SIGNAL), its window changes, its fence requests, and its answers to ours (handed to
 * {@link RmaInitiator} and {@link RmaFences}). A frame that names memory we never registered to
 * the peer, or an operation out of sequence, is a protocol violation: the reason is returned
 * and the link closes before anything acted on it.
 *
 * <p><b>Threads.</b> Confined to the reader of the link the peer's frames arrive on: the holder
 * of that link's read lock, its event loop or a user thread reading while it waits
 * ({@link Link}); so nothing here is locked. It never blocks: it sends, and the operations it
 * serves are answered in the order they arrived, on this side's own link to the peer.
 */
final class RmaServer {
    /** Peer fence requests an owner keeps waiting at most; an honest peer has one at a time. */
    private static final int MAX_PEER_FENCES = 64;

    /**
     * A peer's INIT_PEER fence waiting for our operations; reused (see {@code spareFences}), as
     * the peer may ask for one per call.
     */
    private static final class PeerFence {
        int request;
        int seq;
        boolean signal;
        int flags;
        long localOffset;
        long localValue;
        long remoteOffset;
        long remoteValue;
    }

    private final TcpRma rma;
    private final RmaWindows windows;
    private final WindowCopy copy;
    private final WindowWalk<LocalWindow> walk = new WindowWalk<>();
    /** The last of the peer's operations served. */
    private int served;
    /**
     * The last write or signal served whose RMA_DONE is owed (when {@code owing}). One RMA_DONE
     * answers every operation up to it: owed ones go out when the link's read batch ends
     * ({@link LinkReader#oweDone}), or before any other answer to the peer, so that answers keep the
     * order of the operations.
     */
    private int owedDone;
    private boolean owing;
    private final ArrayDeque<PeerFence> peerFences = new ArrayDeque<>();
    /** Answered fences, for the next requests: a warm connection makes no object per fence. */
    private final ArrayDeque<PeerFence> spareFences = new ArrayDeque<>();
    /** The link the frame being served came on; its reader sends the RMA_DONE owed. */
    private Link servingLink;
    /** The RMA_DONE frame, built and sent without a buffer from the allocator. */
    private final FrameScratch done = new FrameScratch(Wire.FRAME_HEADER + 12);

    RmaServer(TcpRma rma) {
        this.rma = rma;
        this.windows = rma.windows;
        this.copy = new WindowCopy(rma, windows.local);
    }

    /**
     * @param type an RMA frame type, its size already checked
     * @param f    its body, from the endpoint id (see {@link RmaWire})
     * @return what is wrong with the frame, or null when it was handled
     */
    String onFrame(Link link, byte type, ByteBuf f) {
        servingLink = link;
        switch (type) {
            case Wire.WINDOW_ADD:
                return windows.onWindowAdd(RmaWire.windowId(f), RmaWire.windowOffset(f), RmaWire.windowLength(f),
                    RmaWire.windowProt(f));
            case Wire.WINDOW_REMOVE:
                return windows.onWindowRemove(RmaWire.windowId(f), RmaWire.windowOffset(f), RmaWire.windowLength(f));
            case Wire.WINDOW_ACK: {
                windows.onWindowAck(RmaWire.windowId(f));
                return null;
            }
            case Wire.RMA_WRITE: return onWrite(f);
            case Wire.RMA_READ: return onRead(RmaWire.seq(f), RmaWire.readOffset(f), RmaWire.readLength(f));
            case Wire.RMA_DATA: {
                int seq = RmaWire.seq(f);
                int flags = RmaWire.dataFlags(f);
                return rma.initiator.onData(seq, flags, f.skipBytes(RmaWire.DATA_HEADER));
            }
            case Wire.RMA_DONE: return rma.initiator.onDone(RmaWire.seq(f));
            case Wire.SIGNAL:
                return onSignal(RmaWire.seq(f), RmaWire.signalFlags(f), RmaWire.signalOffset(f), RmaWire.signalValue(f));
            case Wire.MARK_REQ: {
                rma.send(RmaWire.markAck(rma.node.alloc(), rma.peerWireId, RmaWire.request(f),
                    rma.initiator.submittedView()));
                return null;
            }
            case Wire.MARK_ACK: return rma.fences.onAnswer(RmaWire.request(f), RmaWire.mark(f));
            case Wire.WAIT_REQ:
                return queuePeerFence(RmaWire.request(f), RmaWire.waitSeq(f), false, 0, 0, 0, 0, 0);
            case Wire.WAIT_ACK:
            case Wire.PEER_SIGNAL_ACK: return rma.fences.onAnswer(RmaWire.request(f), 0);
            case Wire.PEER_SIGNAL: return onPeerSignal(f);
            case Wire.SIGNAL_STORE: return rma.fences.onSignalStore(RmaWire.storeOffset(f), RmaWire.storeValue(f));
            default: return "a frame of type " + Wire.name(type) + " that no RMA handler knows";
        }
    }

    /** The next operation the peer may start. */
    private String checkSeq(byte type, int seq) {
        int expect = FenceSequence.next(served);
        return seq == expect ? null : Wire.name(type) + " for operation " + seq + "; expected " + expect;
    }

    /**
     * A read is answered only while the peer reads our answers: one that keeps asking but never
     * reads would make us buffer without bound (a read's answer is up to 1 MiB; writes and
     * signals are answered by one small RMA_DONE per batch). Pausing our reads instead could
     * deadlock two nodes that serve each other. Once per RMA_READ, not per frame.
     */
    private String checkPeerReads() {
        long unsent = rma.node.links().unsentTo(rma.peerNode);
        if (unsent > TcpRma.UNSENT_SLACK) {
            long allowed = rma.node.unsentAllowance(rma.peerNode);
            if (unsent > allowed) {
                return "RMA_READ while " + unsent + " bytes for node " + rma.peerNode + " wait unsent: it does not"
                    + " read what it asked for (an honest peer leaves at most " + allowed + " with its connections)";
            }
        }
        return null;
    }

    private String onWrite(ByteBuf f) {
        int seq = RmaWire.seq(f);
        long offset = RmaWire.writeOffset(f);
        int flags = RmaWire.writeFlags(f);
        int n = f.skipBytes(RmaWire.WRITE_HEADER).readableBytes();
        String wrong = checkSeq(Wire.RMA_WRITE, seq);
        if (wrong == null) {
            wrong = windows.checkServed(walk, offset, n, Scif.PROT_WRITE, "RMA_WRITE");
        }
        if (wrong != null) {
            return wrong;
        }
        if ((flags & RmaWire.RMA_ORDERED) != 0 && n > 64) {
            // RMA_ORDERED: the last cache line becomes visible only after every other byte.
            copy.toWindows(walk, f, offset, n - 64);
            RmaCopy.storeFence();
            copy.toWindows(walk, f, offset + n - 64, 64);
        } else {
            copy.toWindows(walk, f, offset, n);
        }
        if ((flags & RmaWire.RMA_LAST) != 0) {
            served = seq;
            owe(seq);
        }
        return null;
    }

    /** Operation {@code seq}, a write or a signal, is served: its RMA_DONE goes with the batch's. */
    private void owe(int seq) {
        if (!owing) {
            owing = true;
            servingLink.reader.oweDone(this);
        }
        owedDone = seq;
    }

    /** Sends the RMA_DONE owed, if any: the link's read batch ended, or another answer follows. */
    void flushDone() {
        if (owing) {
            owing = false;
            RmaWire.appendEndpointInt(done.start(), Wire.RMA_DONE, rma.peerWireId, owedDone);
            rma.send(done);
        }
    }

    private String onRead(int seq, long offset, int length) {
        String wrong = checkSeq(Wire.RMA_READ, seq);
        if (wrong == null) {
            wrong = checkPeerReads();
        }
        if (wrong == null && (length <= 0 || length > RmaWire.MAX_RMA)) {
            wrong = "RMA_READ of " + length + " bytes; expected 1.." + RmaWire.MAX_RMA;
        }
        if (wrong == null) {
            wrong = windows.checkServed(walk, offset, length, Scif.PROT_READ, "RMA_READ");
        }
        if (wrong != null) {
            return wrong;
        }
        flushDone(); // the operations before this read are answered before it
        if (!copy.send(walk, false, seq, offset, length, 0, false)) { // no copy: see WindowCopy.send
            return null; // this endpoint closed meanwhile: the peer learns it from the close
        }
        served = seq;
        return null;
    }

    private String onSignal(int seq, int flags, long offset, long value) {
        String wrong = checkSeq(Wire.SIGNAL, seq);
        if (wrong == null && (flags & Scif.SIGNAL_REMOTE) != 0) {
            wrong = windows.checkServed(walk, offset, 8, Scif.PROT_WRITE, "SIGNAL");
            if (wrong == null && RmaWindows.signalWindow(windows.local.snapshot(), offset) == null) {
                wrong = "SIGNAL at " + offset + ", across two windows";
            }
        }
        if (wrong != null) {
            return wrong;
        }
        if ((flags & Scif.SIGNAL_REMOTE) != 0) {
            copy.store(offset, value); // after every earlier operation of the peer: they were served first
        }
        served = seq;
        owe(seq);
        return null;
    }

    private String onPeerSignal(ByteBuf f) {
        int id = RmaWire.request(f);
        int flags = RmaWire.peerSignalFlags(f);
        long localOffset = RmaWire.peerSignalLocalOffset(f);
        long localValue = RmaWire.peerSignalLocalValue(f);
        long remoteOffset = RmaWire.peerSignalRemoteOffset(f);
        long remoteValue = RmaWire.peerSignalRemoteValue(f);
        // The peer's remote word is ours; its local word is its own, which it checked.
        if ((flags & Scif.SIGNAL_REMOTE) != 0) {
            String wrong = windows.checkServed(walk, remoteOffset, 8, Scif.PROT_WRITE, "PEER_SIGNAL");
            if (wrong != null || RmaWindows.signalWindow(windows.local.snapshot(), remoteOffset) == null) {
                return wrong != null ? wrong : "PEER_SIGNAL at " + remoteOffset + ", across two windows";
            }
        }
        rma.send(RmaWire.endpointInt(rma.node.alloc(), Wire.PEER_SIGNAL_ACK, rma.peerWireId, id)); // accepted (queued)
        return queuePeerFence(-1, rma.initiator.submittedView(), true, flags, localOffset, localValue,
            remoteOffset, remoteValue);
    }

    private String queuePeerFence(int request, int seq, boolean signal, int flags, long localOffset,
                                  long localValue, long remoteOffset, long remoteValue) {
        if (peerFences.size() >= MAX_PEER_FENCES) {
            return "more than " + MAX_PEER_FENCES + " fence requests waiting";
        }
        PeerFence p = spareFences.poll();
        p = p != null ? p : new PeerFence();
        p.request = request;
        p.seq = seq;
        p.signal = signal;
        p.flags = flags;
        p.localOffset = localOffset;
        p.localValue = localValue;
        p.remoteOffset = remoteOffset;
        p.remoteValue = remoteValue;
        peerFences.add(p);
        servePeerFences();
        return null;
    }

    /** Answers the peer's fences whose operations of ours have completed, in order. */
    void servePeerFences() {
        for (PeerFence p; (p = peerFences.peek()) != null && FenceSequence.reached(rma.initiator.completed(), p.seq); ) {
            peerFences.poll();
            if (!p.signal) {
                rma.send(RmaWire.endpointInt(rma.node.alloc(), Wire.WAIT_ACK, rma.peerWireId, p.request));
            } else {
                if ((p.flags & Scif.SIGNAL_REMOTE) != 0) {
                    copy.store(p.remoteOffset, p.remoteValue);
                }
                if ((p.flags & Scif.SIGNAL_LOCAL) != 0) {
                    rma.send(RmaWire.signalStore(rma.node.alloc(), rma.peerWireId, p.localOffset, p.localValue));
                }
            }
            spareFences.add(p);
        }
    }
}
