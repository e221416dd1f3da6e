package org.scif4j.bench.sweep;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Locale;
import org.scif4j.ScifException;
import org.scif4j.bench.process.CpuPinning;
import org.scif4j.bench.stats.Interleave;
import org.scif4j.bench.stats.LatencyStats;

/**
 * The native transport in {@code scif bench}, judged against the Java shm transport in the same
 * rounds: two links at once, {@code native:} (JNA over scif4j's libscif) and {@code shm:} with the
 * same fabric options (the {@link FabricUris#nativeBaseline baseline}), each node 1 in a JVM of
 * its own. Every figure alternates shm then native, round after round, so that the ratio
 * native / shm prices JNA and the C library on the same moments of the machine: 8 B round trips
 * (with the raw floor of the shm link's two processes), streaming and every RMA path by size.
 */
final class NativeSweep {
    private final String fabric;
    private final BenchConfig config;
    private final CpuPinning pinning;
    private final BenchResult result;
    private final PairedRounds paired;

    NativeSweep(String fabric, BenchConfig config, CpuPinning pinning, BenchResult result) {
        this.fabric = fabric;
        this.config = config;
        this.pinning = pinning;
        this.result = result;
        this.paired = new PairedRounds(config, result);
    }

    void run() throws IOException {
        String baseline = FabricUris.nativeBaseline(fabric);
        try (PeerLink shm = PeerLink.open(baseline, pinning, true);
             PeerLink own = PeerLink.open(fabric, pinning, false)) {
            try {
                measure(shm, own);
            } catch (ScifException e) {
                throw explain(e, shm, own);
            }
        }
    }

    /** @return why a call failed when either node 1 died; else throws {@code e} */
    private static IOException explain(ScifException e, PeerLink shm, PeerLink own) throws ScifException {
        try {
            return own.explain(e);
        } catch (ScifException nativeAlive) {
            return shm.explain(e);
        }
    }

    private void measure(PeerLink shm, PeerLink own) throws IOException {
        pinning.pinSelf();
        latency(shm, own);
        ByteBuffer message = ByteBuffer.allocateDirect((int) config.maxSize());
        for (long size : config.sizes()) {
            BenchRun.progress("native: send/recv streaming, " + Series.human(size) + " messages, each round"
                + " with shm's");
            paired.measure(Series.of("native", "send/recv"), Series.of(Series.NATIVE_BASELINE, "send/recv"), size,
                n -> () -> shm.stream(message, size, n), n -> () -> own.stream(message, size, n));
        }
        pinning.unpinSelf(); // the DMA engine's threads may use every core
        if (!shm.openWindows(config.maxSize()) || !own.openWindows(config.maxSize())) {
            throw new IOException("native: no RMA (EOPNOTSUPP) on " + fabric + " or " + shm.transport());
        }
        for (long size : config.sizes()) {
            BenchRun.progress("native: writeTo, readFrom, vwriteTo (cpu, dma), " + Series.human(size)
                + ", each round with shm's");
            for (String path : Series.RMA_PATHS) {
                paired.measure(Series.of("native", path), Series.of(Series.NATIVE_BASELINE, path), size,
                    n -> () -> shm.rma(path, size, n), n -> () -> own.rma(path, size, n));
            }
        }
        own.finish();
        shm.finish();
    }

    /** 8 B round trips: the raw floor, shm and native in turn, round after round. */
    private void latency(PeerLink shm, PeerLink own) throws IOException {
        long warm = config.warmupRoundTrips();
        long n = config.perRound(config.roundTrips());
        BenchRun.progress(String.format(Locale.ROOT, "native: 8 B round trips, %d rounds of %,d (+%,d warm-up),"
            + " each with the raw floor and shm", config.rounds(), n, warm));
        String floor = Series.FLOOR_BESIDE_NATIVE;
        String base = Series.roundTrip(Series.NATIVE_BASELINE);
        String row = Series.roundTrip("native");
        List<Interleave.Trial<LatencyStats>> trials = List.of(() -> shm.floorRound(warm, n),
            () -> shm.roundTrips(warm, n), () -> own.roundTrips(warm, n));
        List<List<LatencyStats>> rounds = Interleave.run(config.rounds(), trials);
        result.latency(floor, rounds.get(0));
        result.latency(base, rounds.get(1));
        result.latency(row, rounds.get(2));
        result.addLatencyRatio(row, base);
        result.addLatencyRatio(row, floor);
        result.addLatencyRatio(base, floor);
    }
}
