package org.scif4j.bench.sweep;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongFunction;
import org.scif4j.ScifException;
import org.scif4j.bench.baseline.AeronIpc;
import org.scif4j.bench.baseline.MemcpyBaseline;
import org.scif4j.bench.baseline.TwoThreadCopy;
import org.scif4j.bench.process.CpuPinning;
import org.scif4j.bench.stats.Interleave;
import org.scif4j.bench.stats.LatencyStats;

/**
 * One transport of {@code scif bench}: node 0 in this JVM, node 1 in a second one
 * ({@link PeerLink}). Node 0 drives everything over one connection, each figure in rounds
 * interleaved with its baseline's: 8 B round trips (pinned) with the raw floor (shm, in these
 * very two processes), Aeron IPC and the floor's loop through windows mapped with {@code mmap},
 * or plain Netty (tcp); streaming by size with Aeron IPC (shm)
 * or plain Netty (tcp); 64 B messages per second with Aeron IPC's (shm); then writeTo / readFrom /
 * vwriteTo into node 1's window, with the CPU and with the DMA engine, each with a memcpy (DMA from
 * 16 MiB: a two-thread copy).
 */
final class ScifSweep {
    private final String transport;
    private final String fabric;
    private final BenchConfig config;
    private final CpuPinning pinning;
    private final BenchResult result;
    private final Baselines baselines;
    private final PairedRounds paired;

    ScifSweep(String fabric, BenchConfig config, CpuPinning pinning, BenchResult result, Baselines baselines) {
        this.transport = FabricUris.scheme(fabric);
        this.fabric = fabric;
        this.config = config;
        this.pinning = pinning;
        this.result = result;
        this.baselines = baselines;
        this.paired = new PairedRounds(config, result);
    }

    private boolean shm() {
        return transport.equals("shm");
    }

    void run() throws IOException {
        try (PeerLink link = PeerLink.open(fabric, pinning, shm())) {
            try {
                measure(link);
            } catch (ScifException e) {
                throw link.explain(e);
            }
        }
    }

    private void measure(PeerLink link) throws IOException {
        pinning.pinSelf();
        latency(link);
        ByteBuffer message = ByteBuffer.allocateDirect((int) Math.max(config.maxSize(), Series.MESSAGE));
        for (long size : config.sizes()) {
            BenchRun.progress(transport + ": send/recv streaming, " + Series.human(size) + " messages");
            streaming(link, message, size);
        }
        if (shm() && baselines.aeron() != null) {
            messageRate(link, message);
        }
        pinning.unpinSelf(); // the DMA engine's threads may use every core
        if (link.openWindows(config.maxSize())) {
            for (long size : config.sizes()) {
                BenchRun.progress(transport + ": writeTo, readFrom, vwriteTo (cpu, dma), " + Series.human(size)
                    + ", each in rounds with " + (size >= Series.TWO_THREAD_FROM ? "memcpy (dma: the two-thread copy)"
                    : "memcpy"));
                for (String path : Series.RMA_PATHS) {
                    rmaPoint(link, path, size);
                }
            }
        } else {
            result.notes().add(transport + ": no RMA (EOPNOTSUPP); RMA paths skipped");
        }
        link.finish();
    }

    /**
     * 8 B round trips, in rounds with the raw floor, Aeron and the floor's loop over windows
     * mapped with {@code mmap} (shm), or with plain Netty (tcp).
     */
    private void latency(PeerLink link) throws IOException {
        long warm = config.warmupRoundTrips();
        long n = config.perRound(shm() ? config.roundTrips() : config.nettyRoundTrips());
        if (link.hasFloor()) {
            link.openMappedFlags();
        }
        BenchRun.progress(String.format(Locale.ROOT, "%s: 8 B round trips, %d rounds of %,d (+%,d warm-up)%s",
            transport, config.rounds(), n, warm, shm() ? ", each with the raw floor"
                + (baselines.aeron() != null ? ", Aeron IPC" : "") + ", flags in mmap'ed windows"
                : baselines.netty() != null ? ", each with plain Netty" : ""));
        List<String> rows = new ArrayList<>();
        List<Interleave.Trial<LatencyStats>> trials = new ArrayList<>();
        if (link.hasFloor()) {
            rows.add(Series.FLOOR);
            trials.add(() -> link.floorRound(warm, n));
        } else if (baselines.netty() != null) {
            rows.add(Series.NETTY_STREAM);
            trials.add(() -> baselines.netty().roundTrips(warm, n));
        }
        rows.add(Series.roundTrip(transport));
        trials.add(() -> link.roundTrips(warm, n));
        if (link.hasFloor() && baselines.aeron() != null) {
            rows.add(Series.AERON_STREAM);
            trials.add(() -> baselines.aeron().roundTrips(warm, n));
        }
        String mapped = Series.mappedRoundTrip(transport);
        if (link.hasFloor()) {
            rows.add(mapped);
            trials.add(() -> link.mappedRound(warm, n));
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
        if (rows.contains(mapped)) {
            result.addLatencyRatio(mapped, Series.FLOOR);
        }
    }

    /** Streaming of one size, in rounds with Aeron IPC (shm, up to its largest message) or Netty (tcp). */
    private void streaming(PeerLink link, ByteBuffer message, long size) throws IOException {
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
        paired.measure(Series.of(transport, "send/recv"), vs, size, base,
            n -> () -> link.stream(message, size, n));
    }

    /**
     * 64 B messages, node 1 sending and node 0 receiving, in rounds with Aeron IPC's (its sending
     * thread beside node 1, its receiving one, which copies each message out, beside node 0):
     * messages per second on the receiver.
     */
    private void messageRate(PeerLink link, ByteBuffer message) throws IOException {
        long n = config.perRound(config.messages());
        BenchRun.progress(String.format(Locale.ROOT, "%s: send/recv %s messages, %d rounds of %,d, each with"
            + " Aeron IPC's", transport, Series.human(Series.MESSAGE), config.rounds(), n));
        List<List<Double>> r = Interleave.run(config.rounds(), List.of(
            () -> baselines.aeron().stream(Series.MESSAGE, n)[1],
            () -> link.messages(message, Series.MESSAGE, n)));
        result.pairRates(Series.messages(Series.of(transport, "send/recv")), Series.messages(Series.AERON_STREAM),
            r.get(1), r.get(0));
    }

    private Interleave.Trial<Double> memcpy(long size, long n) {
        return () -> MemcpyBaseline.gigabytesPerSecond(baselines.copy(), (int) size, n);
    }

    /** One RMA path at one size, in rounds with memcpy (DMA from 16 MiB: the two-thread copy). */
    private void rmaPoint(PeerLink link, String path, long size) throws IOException {
        boolean two = path.endsWith("dma") && size >= Series.TWO_THREAD_FROM;
        LongFunction<Interleave.Trial<Double>> base = two
            ? n -> () -> TwoThreadCopy.gigabytesPerSecond(baselines.copy(), (int) size, n) : n -> memcpy(size, n);
        paired.measure(Series.of(transport, path), two ? Series.TWO_THREAD_COPY : Series.MEMCPY, size, base,
            n -> () -> link.rma(path, size, n));
    }
}
