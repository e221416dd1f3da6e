package org.scif4j.bench.sweep;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.Histogram;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifMemory;
import org.scif4j.ScifNode;
import org.scif4j.bench.Main;
import org.scif4j.bench.pingpong.PeerProtocol;
import org.scif4j.bench.process.ChildJvm;
import org.scif4j.bench.process.CpuPinning;
import org.scif4j.bench.stats.LatencyStats;

/**
 * One transport of {@code scif bench}: node 0 in this JVM, node 1 in a second one (the
 * {@code pingpong} peer, which echoes, streams and registers a window on command). Node 0
 * drives everything over one connection: 8 B round trips (pinned), streaming by size, then
 * writeTo / readFrom / vwriteTo into node 1's window, with the CPU and with the DMA engine.
 */
final class ScifSweep {
    private static final long READY_TIMEOUT_SECONDS = 60;
    private static final long EXIT_TIMEOUT_SECONDS = 30;
    private static final int RW = Scif.PROT_READ | Scif.PROT_WRITE;

    /** A batch of transfers of one size. */
    private interface Batch {
        void run(long size, long count) throws ScifException;
    }

    private final String transport;
    private final String fabric;
    private final BenchConfig config;
    private final CpuPinning pinning;
    private final BenchResult result;
    private final ByteBuffer command = ByteBuffer.allocateDirect(PeerProtocol.COMMAND_BYTES)
        .order(ByteOrder.nativeOrder());
    private volatile boolean finished;

    ScifSweep(String fabric, BenchConfig config, CpuPinning pinning, BenchResult result) {
        this.transport = FabricUris.scheme(fabric);
        this.fabric = fabric;
        this.config = config;
        this.pinning = pinning;
        this.result = result;
    }

    void run() throws IOException {
        ScifNode node = Scif.attach(FabricUris.withNode(fabric, 0));
        Thread closeOnExit = new Thread(node::close, "scif-bench-close-node");
        Runtime.getRuntime().addShutdownHook(closeOnExit);
        try (node; Endpoint listener = node.open()) {
            int port = listener.bind(0);
            listener.listen(1);
            List<String> args = List.of("pingpong-peer", "--fabric", FabricUris.withNode(fabric, 1),
                "--port", Integer.toString(port));
            try (ChildJvm peer = ChildJvm.start(transport + " node 1", pinning.childPrefix(),
                    Main.class, args)) {
                peer.onExit().thenRun(() -> {
                    if (!finished) {
                        node.close(); // wakes whatever call waits for the dead peer
                    }
                });
                try {
                    peer.awaitReady(READY_TIMEOUT_SECONDS);
                    try (Endpoint ep = listener.accept(Scif.ACCEPT_SYNC)) {
                        measure(node, ep);
                    }
                    peer.awaitCleanExit(EXIT_TIMEOUT_SECONDS);
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

    private void measure(ScifNode node, Endpoint ep) throws IOException {
        pinning.pinSelf();
        BenchRun.progress(String.format(Locale.ROOT, "%s: 8 B round trips, %,d warm-up, %,d recorded",
            transport, config.warmupRoundTrips(), config.roundTrips()));
        result.latency().put(Series.roundTrip(transport), roundTrips(ep));
        pinning.unpinSelf(); // the DMA engine's threads may use every core
        ByteBuffer message = ByteBuffer.allocateDirect((int) config.maxSize());
        for (long size : config.sizes()) {
            BenchRun.progress(transport + ": send/recv streaming, " + Series.human(size) + " messages");
            result.put(Series.of(transport, "send/recv"), size,
                point(size, (s, n) -> receive(ep, message, s, n)));
        }
        rma(node, ep);
        finished = true;
        PeerProtocol.put(command, PeerProtocol.OP_BYE, 0, 0);
        ep.send(command, Scif.SEND_BLOCK);
    }

    private void rma(ScifNode node, Endpoint ep) throws ScifException {
        long max = config.maxSize();
        long remote;
        ScifMemory local;
        long lo;
        try {
            local = node.allocate(max);
            lo = ep.register(local.buffer(), 0, RW, 0);
        } catch (ScifException e) {
            if (e.errno() == Errno.EOPNOTSUPP) {
                result.notes().add(transport + ": no RMA (" + e.getMessage() + "); RMA paths skipped");
                return;
            }
            throw e;
        }
        try (local) {
            PeerProtocol.put(command, PeerProtocol.OP_WINDOW, max, 0);
            ep.send(command, Scif.SEND_BLOCK);
            ByteBuffer answer = ByteBuffer.allocateDirect(PeerProtocol.OFFSET_BYTES)
                .order(ByteOrder.nativeOrder());
            ep.recv(answer, Scif.RECV_BLOCK);
            remote = answer.getLong(0);
            ByteBuffer v = ByteBuffer.allocateDirect((int) max);
            for (long size : config.sizes()) {
                BenchRun.progress(transport + ": writeTo, readFrom, vwriteTo (cpu, dma), " + Series.human(size));
                for (int cpu = 1; cpu >= 0; cpu--) {
                    int flags = cpu == 1 ? Scif.RMA_USECPU : 0;
                    String how = cpu == 1 ? " cpu" : " dma";
                    result.put(Series.of(transport, "writeTo" + how), size, point(size, (s, n) -> {
                        for (long i = 0; i < n; i++) {
                            ep.writeTo(lo, s, remote, flags);
                        }
                        fence(ep, flags);
                    }));
                    result.put(Series.of(transport, "readFrom" + how), size, point(size, (s, n) -> {
                        for (long i = 0; i < n; i++) {
                            ep.readFrom(lo, s, remote, flags);
                        }
                        fence(ep, flags);
                    }));
                    result.put(Series.of(transport, "vwriteTo" + how), size, point(size, (s, n) -> {
                        for (long i = 0; i < n; i++) {
                            v.clear().limit((int) s);
                            ep.vwriteTo(v, remote, flags);
                        }
                        fence(ep, flags);
                    }));
                }
            }
            ep.unregister(lo, max);
        }
    }

    /** A DMA batch ends with one fence over all of it; a CPU batch is complete already. */
    private static void fence(Endpoint ep, int flags) throws ScifException {
        if ((flags & Scif.RMA_USECPU) == 0) {
            ep.fenceWait(ep.fenceMark(Scif.FENCE_INIT_SELF));
        }
    }

    /** One warm-up batch, then the configured batches; the median in GB/s. */
    private double point(long size, Batch batch) throws ScifException {
        long n = config.transfers(size);
        batch.run(size, n);
        double[] gbs = new double[config.batches()];
        for (int r = 0; r < gbs.length; r++) {
            long t = System.nanoTime();
            batch.run(size, n);
            gbs[r] = (double) size * n / (System.nanoTime() - t);
        }
        Arrays.sort(gbs);
        return gbs[gbs.length / 2];
    }

    private LatencyStats roundTrips(Endpoint ep) throws ScifException {
        long warmup = config.warmupRoundTrips();
        long total = warmup + config.roundTrips();
        ByteBuffer out = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
        ByteBuffer in = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
        Histogram h = LatencyStats.newHistogram();
        PeerProtocol.put(command, PeerProtocol.OP_ECHO, 8, total);
        ep.send(command, Scif.SEND_BLOCK);
        for (long i = 0; i < total; i++) {
            out.clear();
            out.putLong(0, i);
            in.clear();
            long start = System.nanoTime();
            ep.send(out, Scif.SEND_BLOCK);
            ep.recv(in, Scif.RECV_BLOCK);
            long end = System.nanoTime();
            if (in.getLong(0) != i) {
                throw new IllegalStateException("round trip " + i + " came back as " + in.getLong(0)
                    + ": send/recv lost or reordered bytes");
            }
            if (i >= warmup) {
                LatencyStats.record(h, end - start);
            }
        }
        return LatencyStats.of(h);
    }

    /** Asks node 1 for {@code count} messages of {@code size} bytes and receives them. */
    private void receive(Endpoint ep, ByteBuffer message, long size, long count) throws ScifException {
        PeerProtocol.put(command, PeerProtocol.OP_STREAM, size, count);
        ep.send(command, Scif.SEND_BLOCK);
        for (long i = 0; i < count; i++) {
            message.clear().limit((int) size);
            ep.recv(message, Scif.RECV_BLOCK);
        }
    }
}
