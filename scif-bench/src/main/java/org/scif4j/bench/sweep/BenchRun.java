package org.scif4j.bench.sweep;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.scif4j.Scif;
import org.scif4j.bench.baseline.AeronPeer;
import org.scif4j.bench.baseline.CopyBuffers;
import org.scif4j.bench.baseline.NettyLoopback;
import org.scif4j.bench.pingpong.PingPongRun;
import org.scif4j.bench.process.CpuPinning;
import org.scif4j.bench.stats.Interleave;

/**
 * One {@code scif bench}: each transport's sweep, every figure in rounds interleaved with the
 * baseline that judges it (the raw floor, memcpy, the two-thread copy, Aeron IPC, plain Netty),
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
     * Pinning is for shm (and native, over scif4j's libscif on an shm fabric), whose node is one
     * thread that spins: two processes on two cores is
     * its best case. A tcp node hands every frame between its caller and its event loop, which
     * on one core become context switches (Netty itself goes from 26 to 92 µs pinned on a 2-vCPU VM),
     * and its Netty baseline runs unpinned; so tcp runs unpinned, and the report says so.
     */
    private static CpuPinning pinningFor(String transport, CpuPinning pinning, BenchResult r) {
        if (transport.equals("shm") || transport.equals("native") || !pinning.pinned()) {
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
     * @throws IOException when a baseline fails, or no transport could be measured
     */
    public BenchResult run() throws IOException {
        long start = System.nanoTime();
        BenchResult r = new BenchResult(config);
        CpuPinning pinning = CpuPinning.plan(config.pin());
        r.pinning(pinning.note());
        progress(pinning.note() + " for the round trips and streaming; every figure and its baseline: "
            + Interleave.describe(config.rounds()) + " interleaved, batches of up to " + Series.human(config.bytes())
            + " (at most " + BenchConfig.MAX_OPERATIONS + " transfers)");
        boolean shm = config.fabrics().stream().anyMatch(f -> FabricUris.scheme(f).equals("shm"));
        boolean tcp = config.fabrics().stream().anyMatch(f -> FabricUris.scheme(f).equals("tcp"));
        AeronPeer aeron = null;
        NettyLoopback netty = null;
        try {
            CopyBuffers copy = CopyBuffers.map(SHM, config.maxSize());
            if (shm && config.peers().contains("aeron")) {
                aeron = startAeron(r, pinning);
            }
            netty = tcp ? new NettyLoopback() : null;
            Baselines baselines = new Baselines(copy, aeron, netty);
            for (String fabric : config.fabrics()) {
                sweep(fabric, pinning, r, baselines);
            }
            if (r.transports().isEmpty()) {
                throw new IOException("no transport could be measured: " + String.join("; ", r.notes()));
            }
        } finally {
            if (aeron != null) {
                aeron.close();
            }
            if (netty != null) {
                netty.close();
            }
        }
        List<String> left = new ArrayList<>();
        for (String fabric : config.fabrics()) {
            String name = FabricUris.shmName(fabric);
            if (name != null) {
                left.addAll(PingPongRun.leftBehind(name));
            }
            // native's baseline fabric, NAME-shm, is found by NAME too
        }
        left.addAll(PingPongRun.leftBehind(aeronDirName()));
        r.leftBehind(left);
        r.elapsedNanos(System.nanoTime() - start);
        return r;
    }

    private void sweep(String fabric, CpuPinning pinning, BenchResult r, Baselines baselines) throws IOException {
        String transport = FabricUris.scheme(fabric);
        if (!Scif.transports().containsKey(transport)) {
            r.notes().add(transport + ": skipped, not on the class path (known: "
                + Scif.transports().keySet() + ")");
            return;
        }
        try {
            if (transport.equals("native")) {
                new NativeSweep(fabric, config, pinningFor(transport, pinning, r), r).run();
            } else {
                new ScifSweep(fabric, config, pinningFor(transport, pinning, r), r, baselines).run();
            }
            r.transports().add(transport);
        } catch (IOException | RuntimeException e) {
            progress(transport + ": cannot run: " + e.getMessage());
            r.notes().add(transport + ": skipped, cannot run: " + e.getMessage());
            pinning.unpinSelf();
        }
    }

    private static AeronPeer startAeron(BenchResult r, CpuPinning pinning) {
        progress("peer: Aeron IPC (embedded media driver, a JVM of its own), driven round by round");
        AeronPeer aeron;
        try {
            aeron = new AeronPeer(SHM.resolve(aeronDirName()));
        } catch (IOException e) {
            r.notes().add("aeron: skipped, cannot run: " + e.getMessage());
            return null;
        }
        if (pinning.pinned()) {
            try {
                // its pinging (receiving) thread where node 0 runs, its echoing (sending) one where node 1 does
                aeron.pin(pinning.parentCpu(), pinning.childCpu());
            } catch (IOException e) {
                r.notes().add("aeron: its threads run unpinned: " + e.getMessage());
            }
        }
        return aeron;
    }

    private static String aeronDirName() {
        return "scif4j-bench-aeron-" + ProcessHandle.current().pid();
    }

    static void progress(String what) {
        System.err.println("scif bench: " + what);
    }
}
