package org.scif4j.bench.sweep;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.scif4j.Scif;
import org.scif4j.bench.baseline.AeronIpc;
import org.scif4j.bench.baseline.MemcpyBaseline;
import org.scif4j.bench.baseline.NettyLoopback;
import org.scif4j.bench.baseline.RawShmPingPong;
import org.scif4j.bench.baseline.TwoThreadCopy;
import org.scif4j.bench.pingpong.PingPongRun;
import org.scif4j.bench.process.ChildJvm;
import org.scif4j.bench.process.CpuPinning;
import org.scif4j.bench.stats.LatencyStats;

/**
 * One {@code scif bench}: the raw floor, each transport's sweep, then the baselines and peers,
 * all in this run on the same machine, so that every figure can be quoted as a ratio.
 */
public final class BenchRun {
    /** Where the shared-memory files live. */
    static final Path SHM = Path.of("/dev/shm");

    private final BenchConfig config;

    /** @param config what to measure */
    public BenchRun(BenchConfig config) {
        this.config = config;
    }

    /**
     * Pinning is for shm, whose node is one thread that spins: two processes on two cores is
     * its best case. A tcp node hands every frame between its caller and its event loop, which
     * on one core become context switches (PERF.md: Netty itself goes from 26 to 92 µs pinned),
     * and its Netty baseline runs unpinned; so tcp runs unpinned, and the report says so.
     */
    private static CpuPinning pinningFor(String transport, CpuPinning pinning, BenchResult r) {
        if (transport.equals("shm") || !pinning.pinned()) {
            return pinning;
        }
        r.notes().add(transport + ": unpinned, like its Netty baseline (an event loop and the caller share a"
            + " core when pinned)");
        return CpuPinning.unpinned(transport + " hands frames between threads");
    }

    /**
     * Measures everything.
     *
     * @return the results
     * @throws IOException when the floor or a baseline fails, or no transport could be measured
     */
    public BenchResult run() throws IOException {
        long start = System.nanoTime();
        BenchResult r = new BenchResult(config);
        CpuPinning pinning = CpuPinning.plan(config.pin());
        r.pinning(pinning.note());
        progress(pinning.note() + " for the round trips; each bandwidth point: 1 warm-up + "
            + config.batches() + " measured batches of up to " + Series.human(config.bytes())
            + " (at most " + BenchConfig.MAX_OPERATIONS + " transfers), median");

        pinning.pinSelf();
        progress(String.format(Locale.ROOT, "floor: raw shared-memory ping-pong, %,d warm-up, %,d recorded",
            config.warmupRoundTrips(), config.roundTrips()));
        r.latency().put(Series.FLOOR, new RawShmPingPong(SHM, pinning.childPrefix())
            .run(config.warmupRoundTrips(), config.roundTrips()));
        pinning.unpinSelf();

        for (String fabric : config.fabrics()) {
            String transport = FabricUris.scheme(fabric);
            if (!Scif.transports().containsKey(transport)) {
                r.notes().add(transport + ": skipped, not on the class path (known: "
                    + Scif.transports().keySet() + ")");
                continue;
            }
            try {
                new ScifSweep(fabric, config, pinningFor(transport, pinning, r), r).run();
                r.transports().add(transport);
            } catch (IOException | RuntimeException e) {
                progress(transport + ": cannot run: " + e.getMessage());
                r.notes().add(transport + ": skipped, cannot run: " + e.getMessage());
                pinning.unpinSelf();
            }
        }
        if (r.transports().isEmpty()) {
            throw new IOException("no transport could be measured: " + String.join("; ", r.notes()));
        }
        baselines(r);
        if (config.peers().contains("aeron")) {
            aeron(r);
        }
        List<String> left = new ArrayList<>();
        for (String fabric : config.fabrics()) {
            String name = FabricUris.shmName(fabric);
            if (name != null) {
                left.addAll(PingPongRun.leftBehind(name));
            }
        }
        left.addAll(PingPongRun.leftBehind(aeronDirName()));
        r.leftBehind(left);
        r.elapsedNanos(System.nanoTime() - start);
        return r;
    }

    private void baselines(BenchResult r) throws IOException {
        for (long size : config.sizes()) {
            progress("baseline: memcpy " + Series.human(size)
                + (size >= Series.TWO_THREAD_FROM ? ", two-thread copy" : ""));
            r.put(Series.MEMCPY, size, MemcpyBaseline.gigabytesPerSecond((int) size,
                config.transfers(size) * size));
            if (size >= Series.TWO_THREAD_FROM) {
                try {
                    r.put(Series.TWO_THREAD_COPY, size, TwoThreadCopy.gigabytesPerSecond((int) size,
                        config.transfers(size), config.batches()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
        }
        try (NettyLoopback netty = new NettyLoopback()) {
            long warm = Math.min(config.warmupRoundTrips(), config.nettyRoundTrips());
            progress(String.format(Locale.ROOT, "baseline: Netty NIO loopback 8 B round trips, %,d warm-up,"
                + " %,d recorded", warm, config.nettyRoundTrips()));
            r.latency().put(Series.NETTY_STREAM, netty.roundTrips(warm, config.nettyRoundTrips()));
            for (long size : config.sizes()) {
                progress("baseline: Netty NIO loopback streaming, " + Series.human(size) + " writes");
                r.put(Series.NETTY_STREAM, size, netty.streamGbps((int) size,
                    config.transfers(size) * size, config.batches()));
            }
        }
    }

    private void aeron(BenchResult r) throws IOException {
        List<String> args = new ArrayList<>(List.of(aeronDir().toString(),
            Long.toString(config.warmupRoundTrips()), Long.toString(config.roundTrips()),
            Long.toString(config.bytes()), Integer.toString(config.batches()), "64"));
        for (long size : config.sizes()) {
            if (size <= AeronIpc.MAX_MESSAGE && size != 64) {
                args.add(Long.toString(size));
            }
        }
        progress(String.format(Locale.ROOT, "peer: Aeron IPC (embedded media driver, second JVM): %,d"
            + " round trips, then streaming by size", config.roundTrips()));
        Thread cleanup = new Thread(BenchRun::deleteAeronDir, "scif-bench-aeron-dir");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try (ChildJvm child = ChildJvm.start("aeron peer", List.of(), AeronIpc.JVM_FLAGS,
                AeronIpc.class, args, line -> aeronLine(r, line))) {
            child.awaitReady(60);
            int code = child.awaitExit(Math.max(60, config.timeoutSeconds()));
            if (code != 0) {
                r.notes().add("aeron: " + child.describe() + " (its stderr is above)");
            }
        } catch (IOException e) {
            r.notes().add("aeron: skipped, cannot run: " + e.getMessage());
        } finally {
            deleteAeronDir();
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException e) {
                // shutting down: the hook runs anyway
            }
        }
    }

    private static synchronized void aeronLine(BenchResult r, String line) {
        String[] f = line.trim().split("\\s+");
        try {
            switch (f[0]) {
                case "rtt" -> r.latency().put(Series.AERON_STREAM, new LatencyStats(Long.parseLong(f[1]),
                    Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]),
                    Long.parseLong(f[5]), Long.parseLong(f[6])));
                case "gbps" -> {
                    long size = Long.parseLong(f[1]);
                    if (size != 64 || r.config().sizes().contains(64L)) {
                        r.put(Series.AERON_STREAM, size, Double.parseDouble(f[2]));
                    }
                }
                case "rate" -> {
                    if (Long.parseLong(f[1]) == 64) {
                        r.rates().put(Series.AERON_STREAM + " 64 B messages", Double.parseDouble(f[2]));
                    }
                }
                default -> System.err.println("[aeron peer] " + line);
            }
        } catch (RuntimeException e) {
            System.err.println("[aeron peer] " + line);
        }
    }

    private static String aeronDirName() {
        return "scif4j-bench-aeron-" + ProcessHandle.current().pid();
    }

    private static Path aeronDir() {
        return SHM.resolve(aeronDirName());
    }

    private static void deleteAeronDir() {
        Path dir = aeronDir();
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.err.println("scif bench: cannot remove " + dir + ": " + e.getMessage());
        }
    }

    static void progress(String what) {
        System.err.println("scif bench: " + what);
    }
}
