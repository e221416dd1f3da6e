package org.scif4j.bench.pingpong;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.Histogram;
import org.scif4j.Endpoint;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;
import org.scif4j.bench.Main;
import org.scif4j.bench.baseline.CopyBuffers;
import org.scif4j.bench.baseline.MemcpyBaseline;
import org.scif4j.bench.baseline.RawShmPingPong;
import org.scif4j.bench.process.ChildJvm;
import org.scif4j.bench.process.CpuPinning;
import org.scif4j.bench.stats.Allocation;
import org.scif4j.bench.stats.Interleave;
import org.scif4j.bench.stats.LatencyStats;

/**
 * Node 0 of {@code scif pingpong}: attaches, listens, starts the peer process (node 1),
 * accepts its connection and drives the measurements over it, each in rounds interleaved with
 * its baseline: 8 B round trips with the raw floor (served by the same peer, on the same
 * cores), 64 KiB streaming with a memcpy of the same bytes, then 64 B messages.
 */
final class ScifPingPong {
    private static final long READY_TIMEOUT_SECONDS = 60;
    private static final long EXIT_TIMEOUT_SECONDS = 30;

    private final PingPongConfig config;
    private final CpuPinning pinning;
    private final Path shm;
    private final ByteBuffer command = ByteBuffer.allocateDirect(PeerProtocol.COMMAND_BYTES)
        .order(ByteOrder.nativeOrder());
    private final double[] allocation = new double[3];
    private volatile boolean finished;
    private long floorSequence = 1;

    /**
     * What the run measured, per round.
     *
     * @param scif     8 B round trips
     * @param floor    the raw floor of the same rounds
     * @param stream   64 KiB streaming, GB/s
     * @param memcpy   64 KiB memcpy of the same bytes, GB/s
     * @param messages 64 B messages per second
     * @param allocation heap bytes node 0's thread allocated per operation in the last round:
     *                 round trip, 64 KiB message, 64 B message (0 is the goal)
     */
    record Measures(List<LatencyStats> scif, List<LatencyStats> floor, double[] stream, double[] memcpy,
                    double[] messages, double[] allocation) {
    }

    ScifPingPong(PingPongConfig config, CpuPinning pinning, Path shm) {
        this.config = config;
        this.pinning = pinning;
        this.shm = shm;
    }

    Measures run() throws IOException {
        ScifNode node = Scif.attach(config.fabricUri(0));
        Thread closeOnExit = new Thread(node::close, "scif-pingpong-close-node");
        Runtime.getRuntime().addShutdownHook(closeOnExit);
        try (node; Endpoint listener = node.open(); RawShmPingPong.Flags floor = RawShmPingPong.create(shm)) {
            int port = listener.bind(0);
            listener.listen(1);
            try (ChildJvm peer = ChildJvm.start("pingpong peer", pinning.childPrefix(),
                    Main.class, peerArgs(port, floor.file()))) {
                // If the peer dies, close our node: that wakes whatever call waits for it.
                peer.onExit().thenRun(() -> {
                    if (!finished) {
                        node.close();
                    }
                });
                try {
                    peer.awaitReady(READY_TIMEOUT_SECONDS);
                    floor.unlink(); // both processes have it mapped now
                    Measures m = measure(listener, peer, floor.buffer());
                    peer.awaitCleanExit(EXIT_TIMEOUT_SECONDS);
                    return m;
                } catch (ScifException e) {
                    throw peer.explain(e);
                }
            }
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(closeOnExit);
            } catch (IllegalStateException e) {
                // shutting down: the hook runs anyway
            }
        }
    }

    private List<String> peerArgs(int port, Path floorFile) {
        List<String> args = new ArrayList<>(List.of("pingpong-peer",
            "--fabric-name", config.fabricName(), "--wait", config.waitMode(),
            "--port", Integer.toString(port), "--floor-file", floorFile.toString()));
        if (config.ring() > 0) {
            args.add("--ring");
            args.add(Integer.toString(config.ring()));
        }
        return args;
    }

    private Measures measure(Endpoint listener, ChildJvm peer, ByteBuffer flags) throws IOException {
        try (Endpoint ep = listener.accept(Scif.ACCEPT_SYNC)) {
            long warm = config.warmupRoundTrips();
            long n = config.roundTripsPerRound();
            progress(String.format(Locale.ROOT, "8 B round trips: %d rounds of %,d (+%,d warm-up), each with"
                + " the raw floor", config.rounds(), n, warm));
            List<List<LatencyStats>> latency = Interleave.run(config.rounds(), List.of(
                () -> floorRound(ep, peer, flags, warm, n), () -> roundTrips(ep, warm, n)));

            ByteBuffer big = ByteBuffer.allocateDirect(PingPongConfig.STREAM_MESSAGE);
            long streamed = config.streamMessages();
            progress(String.format(Locale.ROOT, "64 KiB streaming: %d rounds of %,d bytes, each with a memcpy of"
                + " as many", config.rounds(), streamed * big.capacity()));
            CopyBuffers copy = CopyBuffers.map(shm, PingPongConfig.STREAM_MESSAGE);
            List<List<Double>> stream = Interleave.run(config.rounds(), List.of(
                () -> MemcpyBaseline.gigabytesPerSecond(copy, PingPongConfig.STREAM_MESSAGE, streamed),
                () -> receive(ep, big, streamed, 1)));

            ByteBuffer small = ByteBuffer.allocateDirect(PingPongConfig.SMALL_MESSAGE);
            long messages = config.messagesPerRound();
            progress(String.format(Locale.ROOT, "64 B messages: %d rounds of %,d", config.rounds(), messages));
            List<List<Double>> rates = Interleave.run(config.rounds(), List.of(
                () -> receive(ep, small, messages, 2)));

            finished = true;
            PeerProtocol.put(command, PeerProtocol.OP_BYE, 0, 0);
            ep.send(command, Scif.SEND_BLOCK);
            return new Measures(latency.get(1), latency.get(0), Interleave.doubles(stream.get(1)),
                Interleave.doubles(stream.get(0)), Interleave.doubles(rates.get(0)), allocation.clone());
        }
    }

    private LatencyStats floorRound(Endpoint ep, ChildJvm peer, ByteBuffer flags, long warm, long n)
        throws IOException {
        long first = floorSequence;
        floorSequence += warm + n;
        PeerProtocol.put(command, PeerProtocol.OP_FLOOR, first, warm + n);
        ep.send(command, Scif.SEND_BLOCK);
        return RawShmPingPong.ping(flags, first, warm, n, peer::isAlive);
    }

    private LatencyStats roundTrips(Endpoint ep, long warmup, long count) throws ScifException {
        long total = warmup + count;
        ByteBuffer out = ByteBuffer.allocateDirect(PingPongConfig.LATENCY_MESSAGE)
            .order(ByteOrder.nativeOrder());
        ByteBuffer in = ByteBuffer.allocateDirect(PingPongConfig.LATENCY_MESSAGE)
            .order(ByteOrder.nativeOrder());
        Histogram h = LatencyStats.newHistogram();
        PeerProtocol.put(command, PeerProtocol.OP_ECHO, out.capacity(), total);
        ep.send(command, Scif.SEND_BLOCK);
        long before = EchoLoop.run(ep, out, in, warmup, count, h);
        allocation[0] = Allocation.perOperation(before, count);
        return LatencyStats.of(h);
    }

    /**
     * Asks the peer for {@code count} messages of {@code message}'s size and receives them.
     *
     * @param slot where the allocation per message goes in {@link Measures#allocation()}
     * @return for 64 KiB messages GB/s, else messages per second
     */
    private double receive(Endpoint ep, ByteBuffer message, long count, int slot) throws ScifException {
        PeerProtocol.put(command, PeerProtocol.OP_STREAM, message.capacity(), count);
        long before = Allocation.currentThreadBytes();
        long start = System.nanoTime();
        ep.send(command, Scif.SEND_BLOCK);
        for (long i = 0; i < count; i++) {
            message.clear();
            ep.recv(message, Scif.RECV_BLOCK);
        }
        long nanos = System.nanoTime() - start;
        allocation[slot] = Allocation.perOperation(before, count);
        return message.capacity() == PingPongConfig.STREAM_MESSAGE ? (double) count * message.capacity() / nanos
            : count * 1e9 / nanos;
    }

    static void progress(String what) {
        System.err.println("scif pingpong: " + what);
    }
}
