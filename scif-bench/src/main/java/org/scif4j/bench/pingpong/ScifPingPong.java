package org.scif4j.bench.pingpong;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.scif4j.Endpoint;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;
import org.scif4j.bench.Main;
import org.scif4j.bench.process.ChildJvm;
import org.scif4j.bench.process.CpuPinning;
import org.scif4j.bench.stats.Allocation;
import org.scif4j.bench.stats.LatencyStats;

/**
 * Node 0 of {@code scif pingpong}: attaches, listens, starts the peer process (node 1),
 * accepts its connection and drives the three measurements over it.
 */
final class ScifPingPong {
    private static final long READY_TIMEOUT_SECONDS = 60;
    private static final long EXIT_TIMEOUT_SECONDS = 30;

    private final PingPongConfig config;
    private final CpuPinning pinning;
    private final ByteBuffer command = ByteBuffer.allocateDirect(PeerProtocol.COMMAND_BYTES)
        .order(ByteOrder.nativeOrder());
    private volatile boolean finished;

    /**
     * What the SCIF side measured.
     *
     * @param latency     8 B round trips
     * @param streamBytes bytes in the measured 64 KiB pass
     * @param streamNanos its duration on the receiver
     * @param messages    64 B messages in the measured pass
     * @param messageNanos its duration on the receiver
     * @param allocation  heap bytes node 0's thread allocated per operation in the measured
     *                    passes: round trip, 64 KiB message, 64 B message (0 is the goal)
     */
    record Measures(LatencyStats latency, long streamBytes, long streamNanos, long messages,
                    long messageNanos, double[] allocation) {
    }

    ScifPingPong(PingPongConfig config, CpuPinning pinning) {
        this.config = config;
        this.pinning = pinning;
    }

    Measures run() throws IOException {
        ScifNode node = Scif.attach(config.fabricUri(0));
        Thread closeOnExit = new Thread(node::close, "scif-pingpong-close-node");
        Runtime.getRuntime().addShutdownHook(closeOnExit);
        try (node; Endpoint listener = node.open()) {
            int port = listener.bind(0);
            listener.listen(1);
            try (ChildJvm peer = ChildJvm.start("pingpong peer", pinning.childPrefix(),
                    Main.class, peerArgs(port))) {
                // If the peer dies, close our node: that wakes whatever call waits for it.
                peer.onExit().thenRun(() -> {
                    if (!finished) {
                        node.close();
                    }
                });
                try {
                    peer.awaitReady(READY_TIMEOUT_SECONDS);
                    Measures m = measure(listener);
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

    private List<String> peerArgs(int port) {
        List<String> args = new ArrayList<>(List.of("pingpong-peer",
            "--fabric-name", config.fabricName(), "--wait", config.waitMode(),
            "--port", Integer.toString(port)));
        if (config.ring() > 0) {
            args.add("--ring");
            args.add(Integer.toString(config.ring()));
        }
        return args;
    }

    private Measures measure(Endpoint listener) throws ScifException {
        try (Endpoint ep = listener.accept(Scif.ACCEPT_SYNC)) {
            progress(String.format(java.util.Locale.ROOT, "8 B round trips: %,d warm-up, %,d"
                + " recorded", config.warmupRoundTrips(), config.roundTrips()));
            double[] allocation = new double[3];
            LatencyStats latency = roundTrips(ep, allocation);

            ByteBuffer big = ByteBuffer.allocateDirect(PingPongConfig.STREAM_MESSAGE);
            progress(String.format(java.util.Locale.ROOT, "64 KiB streaming: %,d bytes",
                config.streamMessages() * big.capacity()));
            receive(ep, big, config.streamWarmupMessages());
            long before = Allocation.currentThreadBytes();
            long streamNanos = receive(ep, big, config.streamMessages());
            allocation[1] = Allocation.perOperation(before, config.streamMessages());

            ByteBuffer small = ByteBuffer.allocateDirect(PingPongConfig.SMALL_MESSAGE);
            progress(String.format(java.util.Locale.ROOT, "64 B messages: %,d", config.messages()));
            receive(ep, small, config.messageWarmup());
            before = Allocation.currentThreadBytes();
            long messageNanos = receive(ep, small, config.messages());
            allocation[2] = Allocation.perOperation(before, config.messages());

            finished = true;
            PeerProtocol.put(command, PeerProtocol.OP_BYE, 0, 0);
            ep.send(command, Scif.SEND_BLOCK);
            return new Measures(latency, config.streamMessages() * big.capacity(), streamNanos,
                config.messages(), messageNanos, allocation);
        }
    }

    private LatencyStats roundTrips(Endpoint ep, double[] allocation) throws ScifException {
        long warmup = config.warmupRoundTrips();
        long total = warmup + config.roundTrips();
        ByteBuffer out = ByteBuffer.allocateDirect(PingPongConfig.LATENCY_MESSAGE)
            .order(ByteOrder.nativeOrder());
        ByteBuffer in = ByteBuffer.allocateDirect(PingPongConfig.LATENCY_MESSAGE)
            .order(ByteOrder.nativeOrder());
        Histogram h = LatencyStats.newHistogram();
        PeerProtocol.put(command, PeerProtocol.OP_ECHO, out.capacity(), total);
        ep.send(command, Scif.SEND_BLOCK);
        long before = 0;
        for (long i = 0; i < total; i++) {
            if (i == warmup) {
                before = Allocation.currentThreadBytes();
            }
            out.clear();
            out.putLong(0, i);
            in.clear();
            long start = System.nanoTime();
            ep.send(out, Scif.SEND_BLOCK);
            ep.recv(in, Scif.RECV_BLOCK);
            long end = System.nanoTime();
            if (in.getLong(0) != i) {
                throw new IllegalStateException("round trip " + i + " came back as "
                    + in.getLong(0) + ": send/recv lost or reordered bytes");
            }
            if (i >= warmup) {
                LatencyStats.record(h, end - start);
            }
        }
        allocation[0] = Allocation.perOperation(before, config.roundTrips());
        return LatencyStats.of(h);
    }

    /** Asks the peer for {@code count} messages of {@code message}'s size; returns nanoseconds. */
    private long receive(Endpoint ep, ByteBuffer message, long count) throws ScifException {
        PeerProtocol.put(command, PeerProtocol.OP_STREAM, message.capacity(), count);
        long start = System.nanoTime();
        ep.send(command, Scif.SEND_BLOCK);
        for (long i = 0; i < count; i++) {
            message.clear();
            ep.recv(message, Scif.RECV_BLOCK);
        }
        return System.nanoTime() - start;
    }

    static void progress(String what) {
        System.err.println("scif pingpong: " + what);
    }
}
