package org.scif4j.tcp.internal;

import java.nio.ByteBuffer;
import java.util.List;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.spi.Call;
import org.scif4j.spi.Pages;
import org.scif4j.spi.FenceSequence;
import org.scif4j.spi.WindowSet;

/**
 * The windows of one tcp connection: this side's registered address space and the mirror of
 * the peer's, and the exchange that keeps the mirrors true (WINDOW_ADD, WINDOW_REMOVE and
 * their WINDOW_ACKs).
 *
 * <p>Registering sends WINDOW_ADD and waits for the peer's WINDOW_ACK, so that, as in SCIF,
 * the peer can use the window as soon as register returns. Unregistering marks the windows
 * (new calls here fail with ENXIO), sends WINDOW_REMOVE, and keeps the range until the peer's
 * WINDOW_ACK: the peer sends that ack only after the frames of every operation it resolved
 * against the old mirror (see {@link RmaInitiator#ackWindowChange}), so this side serves each
 * of them against the still-registered memory, as SCIF lets in-flight RMAs finish.
 *
 * <p><b>Threads.</b> {@code local} is changed by user threads (register, unregister) under its
 * monitor, which also orders the window changes they send ({@code windowChange}); the mirror
 * {@code peer} is changed only by the reader of the link the peer's frames come on; both are
 * read lock-free through their snapshots by everyone. {@code windowAcked} is written by that
 * reader and read by the waiting user thread.
 */
final class RmaWindows {
    /** Windows per endpoint at most (each side's own, and so each mirror): a bound on a peer's claims. */
    static final int MAX_WINDOWS = 65536;
    /** How long unregister waits for the peer and for our own operations on the windows. */
    private static final long UNREGISTER_WAIT_NANOS = 10_000_000_000L;

    private final TcpRma rma;
    final WindowSet<LocalWindow> local = new WindowSet<>();
    final WindowSet<PeerWindow> peer = new WindowSet<>();
    /** Guarded by the monitor of local. */
    private int windowChange;
    private volatile int windowAcked;

    RmaWindows(TcpRma rma) {
        this.rma = rma;
    }

    /** @return the id of the last window change the peer acknowledged */
    int acked() {
        return windowAcked;
    }

    long register(ByteBuffer region, long offset, int prot, int flags, Call call) throws ScifException {
        long length = region.remaining();
        LocalWindow w;
        int id;
        long at;
        synchronized (local) {
            rma.checkLive(call);
            if (local.size() >= MAX_WINDOWS) {
                throw ScifException.of(call.text(), Errno.ENOMEM, "an endpoint has at most " + MAX_WINDOWS
                    + " windows on tcp");
            }
            if ((flags & Scif.MAP_FIXED) != 0) {
                LocalWindow taken = local.overlapping(offset, length);
                if (taken != null) {
                    throw ScifException.of(call.text(), Errno.EADDRINUSE, "[" + offset + ", " + Long.toUnsignedString(offset + length)
                        + ") overlaps the window at " + taken.offset + " (" + taken.length + " bytes"
                        + (taken.unregistered ? ", unregistered and not yet released by the peer" : "") + ")");
                }
                at = offset;
            } else {
                at = local.highestFree(length);
                if (at < 0) {
                    throw ScifException.of(call.text(), Errno.ENOMEM, "no free range of " + length
                        + " bytes in the registered address space");
                }
            }
            w = new LocalWindow(at, length, prot, region.slice());
            local.add(w);
            // Under the monitor of local: window changes reach the peer in the order of their ids.
            id = ++windowChange;
            rma.send(RmaWire.windowAdd(rma.node.alloc(), rma.peerWireId, id, at, length, prot));
        }
        // SCIF tells the peer synchronously: when register returns, the peer can use the window.
        long deadline = System.nanoTime() + rma.timeoutNanos;
        for (int seen = rma.changeCount(); !FenceSequence.reached(windowAcked, id); seen = rma.changeCount()) {
            int r = rma.spinOrBlock(seen, deadline);
            if (r != 0 && !FenceSequence.reached(windowAcked, id)) {
                synchronized (local) { // the peer may know it already: take it back there too
                    w.unregistered = true;
                    if (!rma.ended()) {
                        rma.send(RmaWire.windowRemove(rma.node.alloc(), rma.peerWireId, ++windowChange, at, length));
                    }
                    local.remove(w);
                }
                throw rma.failure(r, call, "waiting for the peer to learn of the window");
            }
        }
        return at;
    }

    void unregister(long offset, long length, Call call) throws ScifException {
        List<LocalWindow> run;
        int id;
        synchronized (local) {
            rma.checkLive(call);
            run = local.wholeRun(offset, length, call);
            for (LocalWindow w : run) {
                w.unregistered = true;
            }
            id = ++windowChange;
            rma.send(RmaWire.windowRemove(rma.node.alloc(), rma.peerWireId, id, offset, length));
        }
        // Our own operations that resolved these windows before they were marked hold sequence
        // numbers up to `mark` (resolution happens under the submit lock): they finish first.
        int mark = rma.initiator.lastSubmitted();
        long deadline = System.nanoTime() + UNREGISTER_WAIT_NANOS;
        for (int seen = rma.changeCount();
             !rma.ended() && !(FenceSequence.reached(windowAcked, id) && FenceSequence.reached(rma.initiator.completed(), mark));
             seen = rma.changeCount()) {
            if (rma.block(seen, deadline) != 0) {
                break; // interrupted or out of time: the windows go now, late frames find none
            }
        }
        for (LocalWindow w : run) {
            local.remove(w);
        }
    }

    // ---------------------------------------------------------------- the peer's changes (link reader)

    String onWindowAdd(int id, long offset, long length, int prot) {
        if (offset < 0 || length <= 0 || (offset & (Pages.PAGE - 1)) != 0 || (length & (Pages.PAGE - 1)) != 0
            || offset - 1 > Long.MAX_VALUE - length || (prot & ~(Scif.PROT_READ | Scif.PROT_WRITE)) != 0) {
            return "WINDOW_ADD of " + length + " bytes at " + offset + " with prot " + prot
                + "; expected whole pages inside [0, 2^63) and prot READ|WRITE at most";
        }
        if (peer.size() >= MAX_WINDOWS) {
            return "WINDOW_ADD beyond " + MAX_WINDOWS + " windows";
        }
        if (peer.overlapping(offset, length) != null) {
            return "WINDOW_ADD of [" + offset + ", +" + length + ") over a window the peer registered before";
        }
        peer.add(new PeerWindow(offset, length, prot));
        rma.initiator.ackWindowChange(id);
        return null;
    }

    /**
     * The peer unregistered a range: it leaves the mirror now, and the ack follows the frames
     * of any operation that resolved it before (whoever holds the submit lock sends it).
     */
    String onWindowRemove(int id, long offset, long length) {
        for (PeerWindow w : peer.all()) {
            if (w.offset >= offset && w.last() <= offset + length - 1) {
                peer.remove(w);
            }
        }
        rma.initiator.ackWindowChange(id);
        return null;
    }

    /** The peer acknowledged our window changes up to {@code id}. */
    void onWindowAck(int id) {
        windowAcked = id;
        rma.wake();
    }

    /** The connection ended: the mirror goes, and our windows too when we closed. */
    void end(boolean closing) {
        peer.clear();
        if (closing) {
            local.clear();
        }
    }

    // ---------------------------------------------------------------- checks

    /** The local range must be registered windows without gaps, each with {@code prot}. Holds the submit lock. */
    void checkLocal(WindowWalk<LocalWindow> walk, long offset, long length, int prot, Call call) throws ScifException {
        for (walk.start(local.snapshot(), offset, length); walk.next(); ) {
            LocalWindow w = walk.window();
            if (w == null || w.unregistered) {
                throw noWindow(call, "local", walk.position(), offset, length);
            }
            if ((w.prot & prot) != prot) {
                throw noAccess(call, "local", w.offset, prot, w.prot);
            }
        }
    }

    /** The peer's range must be windows it registered, without gaps, each with {@code prot}. Holds the submit lock. */
    void checkPeer(WindowWalk<PeerWindow> walk, long offset, long length, int prot, Call call) throws ScifException {
        for (walk.start(peer.snapshot(), offset, length); walk.next(); ) {
            PeerWindow w = walk.window();
            if (w == null) {
                throw noWindow(call, "remote", walk.position(), offset, length);
            }
            if ((w.prot & prot) != prot) {
                throw noAccess(call, "remote", w.offset, prot, w.prot);
            }
        }
    }

    /**
     * A peer's access must stay inside windows we registered to it (unregistered ones included
     * until the peer acknowledged their removal) with the protection it needs: the peer checked
     * its mirror, so anything else is a lie. Runs on the link's reader.
     *
     * @return what is wrong, or null
     */
    String checkServed(WindowWalk<LocalWindow> walk, long offset, long length, int prot, String what) {
        for (walk.start(local.snapshot(), offset, length); walk.next(); ) {
            LocalWindow w = walk.window();
            if (w == null || (w.prot & prot) != prot) {
                return what + " of [" + offset + ", +" + length + ") outside the windows registered with "
                    + (prot == Scif.PROT_READ ? "PROT_READ" : "PROT_WRITE");
            }
        }
        return null;
    }

    /** A signalled word: 8 bytes inside one writable window (scif_fence_signal(3)). */
    void checkSignalTargets(boolean signalLocal, long localOffset, boolean signalRemote, long remoteOffset,
                            Call call) throws ScifException {
        if (signalLocal) {
            LocalWindow w = signalWindow(local.snapshot(), localOffset);
            if (w == null || w.unregistered) {
                throw ScifException.of(call.text(), Errno.ENXIO, "the 8 bytes at local offset " + localOffset
                    + " are not inside one registered window");
            }
            if ((w.prot & Scif.PROT_WRITE) == 0) {
                throw ScifException.of(call.text(), Errno.EPERM, "the local window at " + w.offset + " is not writable");
            }
        }
        if (signalRemote) {
            PeerWindow w = signalWindow(peer.snapshot(), remoteOffset);
            if (w == null) {
                throw ScifException.of(call.text(), Errno.ENXIO, "the 8 bytes at remote offset " + remoteOffset
                    + " are not inside one window of the peer");
            }
            if ((w.prot & Scif.PROT_WRITE) == 0) {
                throw ScifException.of(call.text(), Errno.EPERM, "the remote window at " + w.offset
                    + " is not writable");
            }
        }
    }

    /** @return the window holding all 8 bytes at {@code offset}, or null */
    static <W extends WindowSet.Window> W signalWindow(WindowSet.Snapshot<W> s, long offset) {
        W w = offset < 0 || offset > Long.MAX_VALUE - 7 ? null : s.at(s.floor(offset));
        return w == null || w.last() < offset + 7 ? null : w;
    }

    static ScifException noWindow(Call call, String side, long pos, long offset, long length) {
        return ScifException.of(call.text(), Errno.ENXIO, "no " + side + " window covers offset "
            // past 2^63 a range's offsets wrap negative: print them as the numbers they are
            + (offset >= 0 ? Long.toUnsignedString(pos) : Long.toString(pos)) + " of the "
            + length + " bytes at " + offset);
    }

    private static ScifException noAccess(Call call, String side, long window, int need, int has) {
        return ScifException.of(call.text(), Errno.EPERM, "the " + side + " window at " + window + " lacks "
            + protName(need) + " (it has " + protName(has) + ")");
    }

    private static String protName(int prot) {
        return prot == 0 ? "no access" : ((prot & Scif.PROT_READ) != 0 ? "PROT_READ" : "")
            + ((prot & 3) == 3 ? "|" : "") + ((prot & Scif.PROT_WRITE) != 0 ? "PROT_WRITE" : "");
    }
}
