package org.scif4j.bench.sweep;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Mapping;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifMemory;
import org.scif4j.ScifNode;
import org.scif4j.bench.Main;
import org.scif4j.bench.baseline.RawShmPingPong;
import org.scif4j.bench.pingpong.EchoLoop;
import org.scif4j.bench.pingpong.PeerProtocol;
import org.scif4j.bench.process.ChildJvm;
import org.scif4j.bench.process.CpuPinning;
import org.scif4j.bench.stats.LatencyStats;

/**
 * One connection of {@code scif bench} to a second JVM: node 0 attached here, node 1 in a
 * {@code pingpong-peer} child that carries out {@link PeerProtocol} commands; with an shm fabric
 * also the raw floor's flag file, which the same two processes ping-pong on. Every measurement
 * is one batch, timed here; a peer that dies closes node 0, which ends whatever call waits.
 */
final class PeerLink implements AutoCloseable {
    private static final long READY_TIMEOUT_SECONDS = 60;
    private static final long EXIT_TIMEOUT_SECONDS = 30;
    private static final int RW = Scif.PROT_READ | Scif.PROT_WRITE;

    private final String transport;
    private final ScifNode node;
    private final Thread closeOnExit;
    private final Endpoint listener;
    private final RawShmPingPong.Flags floor;
    private final ChildJvm peer;
    private final Endpoint ep;
    private final ByteBuffer command = ByteBuffer.allocateDirect(PeerProtocol.COMMAND_BYTES)
        .order(ByteOrder.nativeOrder());
    private final ByteBuffer out = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
    private final ByteBuffer in = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
    private volatile boolean finished;
    private long floorSequence = 1;
    private ScifMemory window;
    private long windowBytes;
    private long localOffset;
    private long remoteOffset;
    private ByteBuffer vector;
    /** This side's flag page of the round trip through mapped windows, or null before {@link #openMappedFlags}. */
    private ScifMemory ownFlags;
    private ByteBuffer ownFlagsBuffer;
    /** Node 1's flag page, mapped here. */
    private Mapping peerFlags;
    private long mappedSequence = 1;

    private PeerLink(String fabric, CpuPinning pinning, boolean withFloor, List<AutoCloseable> opened)
        throws IOException {
        transport = FabricUris.scheme(fabric);
        node = Scif.attach(FabricUris.withNode(fabric, 0));
        opened.add(node);
        closeOnExit = new Thread(node::close, "scif-bench-close-" + transport);
        Runtime.getRuntime().addShutdownHook(closeOnExit);
        listener = node.open();
        opened.add(listener);
        int port = listener.bind(0);
        listener.listen(1);
        floor = withFloor ? RawShmPingPong.create(BenchRun.SHM) : null;
        List<String> args = new ArrayList<>(List.of("pingpong-peer", "--fabric",
            FabricUris.withNode(fabric, 1), "--port", Integer.toString(port)));
        if (floor != null) {
            opened.add(floor);
            args.addAll(List.of("--floor-file", floor.file().toString()));
        }
        peer = ChildJvm.start(transport + " node 1", pinning.childPrefix(), Main.class, args);
        opened.add(peer);
        peer.onExit().thenRun(() -> {
            if (!finished) {
                node.close(); // wakes whatever call waits for the dead peer
            }
        });
        try {
            peer.awaitReady(READY_TIMEOUT_SECONDS);
            if (floor != null) {
                floor.unlink(); // both processes have it mapped now
            }
            ep = listener.accept(Scif.ACCEPT_SYNC);
        } catch (ScifException e) {
            throw peer.explain(e);
        }
    }

    /**
     * Attaches node 0, starts node 1 and accepts its connection.
     *
     * @param fabric    the fabric URI, without {@code node=}
     * @param pinning   where node 1 runs
     * @param withFloor whether to share a raw floor flag file with node 1 (shm fabrics)
     * @return the link
     * @throws IOException when the node cannot attach or node 1 does not connect
     */
    static PeerLink open(String fabric, CpuPinning pinning, boolean withFloor) throws IOException {
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            return new PeerLink(fabric, pinning, withFloor, opened);
        } catch (IOException | RuntimeException e) {
            for (int i = opened.size() - 1; i >= 0; i--) {
                try {
                    opened.get(i).close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /** @return the scheme, e.g. {@code native} */
    String transport() {
        return transport;
    }

    /** @return whether this link has a raw floor */
    boolean hasFloor() {
        return floor != null;
    }

    /**
     * {@code warmup + count} 8 B round trips, echoed by node 1; only the last {@code count} recorded.
     *
     * @return their latency
     * @throws ScifException when a call fails
     */
    LatencyStats roundTrips(long warmup, long count) throws ScifException {
        long total = warmup + count;
        Histogram h = LatencyStats.newHistogram();
        command(PeerProtocol.OP_ECHO, 8, total);
        EchoLoop.run(ep, out, in, warmup, count, h);
        return LatencyStats.of(h);
    }

    /**
     * The raw floor's round trips between the same two processes.
     *
     * @return their latency
     * @throws IOException when the peer dies or a call fails
     */
    LatencyStats floorRound(long warmup, long count) throws IOException {
        long first = floorSequence;
        floorSequence += warmup + count;
        command(PeerProtocol.OP_FLOOR, first, warmup + count);
        return RawShmPingPong.ping(floor.buffer(), first, warmup, count, peer::isAlive);
    }

    /**
     * Sets up the round trip through mapped windows: each side registers a page, maps the
     * other's with {@code mmap}, and from then on stores its flag into the other's page and
     * waits on its own, as a SCIF program polling its own memory does. Only for a link with a
     * raw floor (an shm fabric: its transport maps windows; node 1 fails on one that does not).
     *
     * @throws ScifException when a call fails
     */
    void openMappedFlags() throws ScifException {
        int rw = Scif.PROT_READ | Scif.PROT_WRITE;
        ownFlags = node.allocate(PeerProtocol.FLAG_PAGE);
        ownFlagsBuffer = ownFlags.buffer().order(ByteOrder.nativeOrder());
        long own = ep.register(ownFlags.buffer(), 0, rw, 0);
        command(PeerProtocol.OP_MAP_FLAGS, own, 0);
        peerFlags = ep.mmap(answer(), PeerProtocol.FLAG_PAGE, rw);
    }

    /**
     * Round trips through the mapped windows of {@link #openMappedFlags}, with the raw floor's
     * loop: the pings stored into node 1's page through this side's mapping, the pongs awaited
     * in this side's page.
     *
     * @return their latency
     * @throws IOException when the peer dies or a call fails
     */
    LatencyStats mappedRound(long warmup, long count) throws IOException {
        long first = mappedSequence;
        mappedSequence += warmup + count;
        command(PeerProtocol.OP_MAPPED, first, warmup + count);
        return RawShmPingPong.ping(peerFlags.buffer(), 0, ownFlagsBuffer, 0, first, warmup, count, peer::isAlive);
    }

    /**
     * Asks node 1 for {@code count} messages of {@code size} bytes and receives them.
     *
     * @param message a buffer of at least {@code size} bytes
     * @return GB/s
     * @throws ScifException when a call fails
     */
    double stream(ByteBuffer message, long size, long count) throws ScifException {
        return (double) size * count / receive(message, size, count);
    }

    /**
     * Asks node 1 for {@code count} messages of {@code size} bytes and receives them, as
     * {@link #stream} does.
     *
     * @param message a buffer of at least {@code size} bytes
     * @return messages per second, on this side (the receiver)
     * @throws ScifException when a call fails
     */
    double messages(ByteBuffer message, long size, long count) throws ScifException {
        return count * 1e9 / receive(message, size, count);
    }

    /** @return nanoseconds from asking node 1 for the messages to the last one received */
    private long receive(ByteBuffer message, long size, long count) throws ScifException {
        long t = System.nanoTime();
        command(PeerProtocol.OP_STREAM, size, count);
        for (long i = 0; i < count; i++) {
            message.clear().limit((int) size);
            ep.recv(message, Scif.RECV_BLOCK);
        }
        return System.nanoTime() - t;
    }

    /**
     * Registers a window of {@code max} bytes, rounded up to whole pages, on both sides.
     *
     * @return false when the transport has no RMA (EOPNOTSUPP)
     * @throws ScifException when a call fails otherwise
     */
    boolean openWindows(long max) throws ScifException {
        // windows are whole pages (SCIF registers and unregisters page multiples); RMAs use the first max bytes
        long pages = (max + 4095) & ~4095L;
        try {
            window = node.allocate(pages);
            windowBytes = pages;
            localOffset = ep.register(window.buffer(), 0, RW, 0);
        } catch (ScifException e) {
            if (e.errno() == Errno.EOPNOTSUPP) {
                return false;
            }
            throw e;
        }
        command(PeerProtocol.OP_WINDOW, pages, 0);
        remoteOffset = answer();
        // page-aligned like the windows, so vwriteTo copies from memory placed like writeTo's
        // (alignedSlice rounds both ends to pages: the window's pages, and one more to align)
        vector = ByteBuffer.allocateDirect((int) pages + 4096).alignedSlice(4096).limit((int) max);
        return true;
    }

    /**
     * One batch of an RMA path into node 1's window; a DMA batch ends with one fence over all of it.
     *
     * @param path  {@code writeTo cpu}, {@code readFrom dma}, {@code vwriteTo cpu}, ...
     * @param size  bytes per transfer
     * @param count transfers
     * @return GB/s
     * @throws ScifException when a call fails
     */
    double rma(String path, long size, long count) throws ScifException {
        boolean cpu = path.endsWith("cpu");
        int flags = cpu ? Scif.RMA_USECPU : 0;
        long t = System.nanoTime();
        if (path.startsWith("writeTo")) {
            for (long i = 0; i < count; i++) {
                ep.writeTo(localOffset, size, remoteOffset, flags);
            }
        } else if (path.startsWith("readFrom")) {
            for (long i = 0; i < count; i++) {
                ep.readFrom(localOffset, size, remoteOffset, flags);
            }
        } else {
            for (long i = 0; i < count; i++) {
                vector.clear().limit((int) size);
                ep.vwriteTo(vector, remoteOffset, flags);
            }
        }
        if (!cpu) {
            ep.fenceWait(ep.fenceMark(Scif.FENCE_INIT_SELF));
        }
        return (double) size * count / (System.nanoTime() - t);
    }

    /**
     * Tells node 1 to stop and waits for it to exit cleanly.
     *
     * @throws IOException when it does not
     */
    void finish() throws IOException {
        finished = true;
        if (window != null) {
            ep.unregister(localOffset, windowBytes);
        }
        command(PeerProtocol.OP_BYE, 0, 0);
        peer.awaitCleanExit(EXIT_TIMEOUT_SECONDS);
    }

    /** @return node 1's answer to {@link PeerProtocol#OP_WINDOW} or {@link PeerProtocol#OP_MAP_FLAGS}: an offset */
    private long answer() throws ScifException {
        ByteBuffer answer = ByteBuffer.allocateDirect(PeerProtocol.OFFSET_BYTES).order(ByteOrder.nativeOrder());
        ep.recv(answer, Scif.RECV_BLOCK);
        return answer.getLong(0);
    }

    private void command(long op, long size, long count) throws ScifException {
        PeerProtocol.put(command, op, size, count);
        ep.send(command, Scif.SEND_BLOCK);
    }

    /**
     * Explains a failed call by node 1's state (e.g. it died, with its output).
     *
     * @param e the failure
     * @return an exception that says why
     * @throws ScifException when node 1 is fine (the failure is this side's)
     */
    IOException explain(ScifException e) throws ScifException {
        return peer.explain(e);
    }

    @Override
    public void close() {
        finished = finished || !peer.isAlive();
        if (peerFlags != null) {
            peerFlags.close();
        }
        if (ownFlags != null) {
            ownFlags.close();
        }
        if (window != null) {
            window.close();
        }
        ep.close();
        peer.close();
        try {
            if (floor != null) {
                floor.close();
            }
        } catch (IOException e) {
            // the flag file was unlinked at start; only the mapping is released here
        }
        listener.close();
        node.close();
        try {
            Runtime.getRuntime().removeShutdownHook(closeOnExit);
        } catch (IllegalStateException e) {
            // shutting down: the hook runs anyway
        }
    }
}
