package org.scif4j.bench.sweep;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongFunction;
import org.HdrHistogram.Histogram;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifMemory;
import org.scif4j.ScifNode;
import org.scif4j.bench.Main;
import org.scif4j.bench.baseline.AeronIpc;
import org.scif4j.bench.baseline.MemcpyBaseline;
import org.scif4j.bench.baseline.RawShmPingPong;
import org.scif4j.bench.baseline.TwoThreadCopy;
import org.scif4j.bench.pingpong.PeerProtocol;
import org.scif4j.bench.process.ChildJvm;
import org.scif4j.bench.process.CpuPinning;
import org.scif4j.bench.stats.Interleave;
import org.scif4j.bench.stats.LatencyStats;

/**
 * One transport of {@code scif bench}: node 0 in this JVM, node 1 in a second one (the
 * {@code pingpong} peer, which echoes, streams, registers a window and answers the raw floor
 * on command). Node 0 drives everything over one connection, each figure in rounds interleaved
 * with its baseline's: 8 B round trips (pinned) with the raw floor (shm, in these very two
 * processes) and Aeron IPC, or plain Netty (tcp); streaming by size with Aeron IPC (shm) or
 * plain Netty (tcp); then writeTo / readFrom / vwriteTo into node 1's window, with the CPU and
 * with the DMA engine, each with a memcpy (DMA from 16 MiB: a two-thread copy).
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
    private final Baselines baselines;
    private final ByteBuffer command = ByteBuffer.allocateDirect(PeerProtocol.COMMAND_BYTES)
        .order(ByteOrder.nativeOrder());
    private volatile boolean finished;
    private long floorSequence = 1;

    ScifSweep(String fabric, BenchConfig config, CpuPinning pinning, BenchResult result, Baselines baselines) {
        this.transport = FabricUris.scheme(fabric);
        this.fabric = fabric;
        this.config = config;
        this.pinning = pinning;
        this.result = result;
        this.baselines = baselines;
    }

    private boolean shm() {
        return transport.equals("shm");
    }

    void run() throws IOException {
        ScifNode node = Scif.attach(FabricUris.withNode(fabric, 0));
        Thread closeOnExit = new Thread(node::close, "scif-bench-close-node");
        Runtime.getRuntime().addShutdownHook(closeOnExit);
        try (node; Endpoint listener = node.open();
             RawShmPingPong.Flags floor = shm() ? RawShmPingPong.create(BenchRun.SHM) : null) {
            int port = listener.bind(0);
            listener.listen(1);
            List<String> args = new ArrayList<>(List.of("pingpong-peer", "--fabric",
                FabricUris.withNode(fabric, 1), "--port", Integer.toString(port)));
            if (floor != null) {
                args.addAll(List.of("--floor-file", floor.file().toString()));
            }
            try (ChildJvm peer = ChildJvm.start(transport + " node 1", pinning.childPrefix(),
                    Main.class, args)) {
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
                    try (Endpoint ep = listener.accept(Scif.ACCEPT_SYNC)) {
                        measure(node, ep, peer, floor);
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

    private void measure(ScifNode node, Endpoint ep, ChildJvm peer, RawShmPingPong.Flags floor)
        throws IOException {
        pinning.pinSelf();
        latency(ep, peer, floor);
        pinning.unpinSelf(); // the DMA engine's threads may use every core
        ByteBuffer message = ByteBuffer.allocateDirect((int) config.maxSize());
        for (long size : config.sizes()) {
            BenchRun.progress(transport + ": send/recv streaming, " + Series.human(size) + " messages");
            streaming(ep, message, size);
        }
        rma(node, ep);
        finished = true;
        PeerProtocol.put(command, PeerProtocol.OP_BYE, 0, 0);
        ep.send(command, Scif.SEND_BLOCK);
    }

    /** 8 B round trips, in rounds with the raw floor and Aeron (shm) or plain Netty (tcp). */
    private void latency(Endpoint ep, ChildJvm peer, RawShmPingPong.Flags floor) throws IOException {
        long warm = config.warmupRoundTrips();
        long n = config.perRound(shm() ? config.roundTrips() : config.nettyRoundTrips());
        BenchRun.progress(String.format(Locale.ROOT, "%s: 8 B round trips, %d rounds of %,d (+%,d warm-up)%s",
            transport, config.rounds(), n, warm, shm() ? ", each with the raw floor"
                + (baselines.aeron() != null ? " and Aeron IPC" : "") : baselines.netty() != null
                ? ", each with plain Netty" : ""));
        List<String> rows = new ArrayList<>();
        List<Interleave.Trial<LatencyStats>> trials = new ArrayList<>();
        if (floor != null) {
            rows.add(Series.FLOOR);
            trials.add(() -> floorRound(ep, peer, floor, warm, n));
        } else if (baselines.netty() != null) {
            rows.add(Series.NETTY_STREAM);
            trials.add(() -> baselines.netty().roundTrips(warm, n));
        }
        rows.add(Series.roundTrip(transport));
        trials.add(() -> roundTrips(ep, warm, n));
        if (floor != null && baselines.aeron() != null) {
            rows.add(Series.AERON_STREAM);
            trials.add(() -> baselines.aeron().roundTrips(warm, n));
        }
        List<List<LatencyStats>> rounds = Interleave.run(config.rounds(), trials);
        for (int i = 0; i < rows.size(); i++) {
            result.latency(rows.get(i), rounds.get(i));
        }
        String own = Series.roundTrip(transport);
        if (rows.size() > 1) {
            result.addLatencyRatio(own, rows.get(0));
        }
        if (rows.contains(Series.AERON_STREAM)) {
            result.addLatencyRatio(Series.AERON_STREAM, Series.FLOOR);
            result.addLatencyRatio(own, Series.AERON_STREAM);
        }
    }

    private LatencyStats floorRound(Endpoint ep, ChildJvm peer, RawShmPingPong.Flags floor, long warm, long n)
        throws IOException {
        long first = floorSequence;
        floorSequence += warm + n;
        PeerProtocol.put(command, PeerProtocol.OP_FLOOR, first, warm + n);
        ep.send(command, Scif.SEND_BLOCK);
        return RawShmPingPong.ping(floor.buffer(), first, warm, n, peer::isAlive);
    }

    /** Streaming of one size, in rounds with Aeron IPC (shm, up to its largest message) or Netty (tcp). */
    private void streaming(Endpoint ep, ByteBuffer message, long size) throws IOException {
        String vs;
        LongFunction<Interleave.Trial<Double>> base;
        if (shm() && baselines.aeron() != null && size <= AeronIpc.MAX_MESSAGE) {
            vs = Series.AERON_STREAM;
            base = n -> () -> baselines.aeron().stream(size, n)[0];
        } else if (!shm() && baselines.netty() != null) {
            vs = Series.NETTY_STREAM;
            base = n -> () -> baselines.netty().streamGbps((int) size, n * size);
        } else {
            vs = Series.MEMCPY;
            base = n -> memcpy(size, n);
        }
        paired(Series.of(transport, "send/recv"), vs, size, base,
            n -> () -> timed(size, n, (s, c) -> receive(ep, message, s, c)));
    }

    /**
     * A subject and its baseline in interleaved rounds, moving the same bytes per batch:
     * {@link BenchConfig#transfers} of them, or more when the slower of the two would take less
     * than {@link BenchConfig#MIN_BATCH_NANOS} (measured in a first, unrecorded round), so that
     * one hiccup of the machine weighs little in a batch.
     */
    private void paired(String subject, String vs, long size, LongFunction<Interleave.Trial<Double>> base,
                        LongFunction<Interleave.Trial<Double>> own) throws IOException {
        long n = config.transfers(size);
        double slowest = Math.min(base.apply(n).run(), own.apply(n).run());
        double nanos = size * n / slowest;
        if (nanos < BenchConfig.MIN_BATCH_NANOS) {
            n = (long) Math.ceil(n * BenchConfig.MIN_BATCH_NANOS / nanos);
        }
        List<List<Double>> r = Interleave.run(config.rounds(), List.of(base.apply(n), own.apply(n)));
        result.pair(subject, vs, size, r.get(1), r.get(0));
    }

    private Interleave.Trial<Double> memcpy(long size, long n) {
        return () -> MemcpyBaseline.gigabytesPerSecond(baselines.copy(), (int) size, n);
    }

    private void rma(ScifNode node, Endpoint ep) throws IOException {
        long max = config.maxSize();
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
            long remote = answer.getLong(0);
            // page-aligned like the windows, so vwriteTo copies from memory placed like writeTo's
            ByteBuffer v = ByteBuffer.allocateDirect((int) max + 4096).alignedSlice(4096).limit((int) max);
            for (long size : config.sizes()) {
                BenchRun.progress(transport + ": writeTo, readFrom, vwriteTo (cpu, dma), " + Series.human(size)
                    + ", each in rounds with " + (size >= Series.TWO_THREAD_FROM ? "memcpy (dma: the two-thread copy)"
                    : "memcpy"));
                for (int cpu = 1; cpu >= 0; cpu--) {
                    int flags = cpu == 1 ? Scif.RMA_USECPU : 0;
                    String how = cpu == 1 ? " cpu" : " dma";
                    rmaPoint("writeTo" + how, size, (s, n) -> {
                        for (long i = 0; i < n; i++) {
                            ep.writeTo(lo, s, remote, flags);
                        }
                        fence(ep, flags);
                    });
                    rmaPoint("readFrom" + how, size, (s, n) -> {
                        for (long i = 0; i < n; i++) {
                            ep.readFrom(lo, s, remote, flags);
                        }
                        fence(ep, flags);
                    });
                    rmaPoint("vwriteTo" + how, size, (s, n) -> {
                        for (long i = 0; i < n; i++) {
                            v.clear().limit((int) s);
                            ep.vwriteTo(v, remote, flags);
                        }
                        fence(ep, flags);
                    });
                }
            }
            ep.unregister(lo, max);
        }
    }

    /** One RMA path at one size, in rounds with memcpy (DMA from 16 MiB: the two-thread copy). */
    private void rmaPoint(String path, long size, Batch batch) throws IOException {
        boolean two = path.endsWith("dma") && size >= Series.TWO_THREAD_FROM;
        LongFunction<Interleave.Trial<Double>> base = two
            ? n -> () -> TwoThreadCopy.gigabytesPerSecond(baselines.copy(), (int) size, n) : n -> memcpy(size, n);
        paired(Series.of(transport, path), two ? Series.TWO_THREAD_COPY : Series.MEMCPY, size, base,
            n -> () -> timed(size, n, batch));
    }

    /** A DMA batch ends with one fence over all of it; a CPU batch is complete already. */
    private static void fence(Endpoint ep, int flags) throws ScifException {
        if ((flags & Scif.RMA_USECPU) == 0) {
            ep.fenceWait(ep.fenceMark(Scif.FENCE_INIT_SELF));
        }
    }

    /** @return GB/s of one batch */
    private static double timed(long size, long n, Batch batch) throws ScifException {
        long t = System.nanoTime();
        batch.run(size, n);
        return (double) size * n / (System.nanoTime() - t);
    }

    private LatencyStats roundTrips(Endpoint ep, long warmup, long count) throws ScifException {
        long total = warmup + count;
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
