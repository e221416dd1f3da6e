package org.scif4j.bench.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifMemory;
import org.scif4j.ScifNode;
import org.scif4j.bench.Main;
import org.scif4j.bench.baseline.CopyBuffers;
import org.scif4j.bench.baseline.MemcpyBaseline;
import org.scif4j.bench.baseline.NettyLoopback;
import org.scif4j.bench.baseline.NettyRma;
import org.scif4j.bench.baseline.TwoThreadCopy;
import org.scif4j.bench.stats.Interleave;
import org.scif4j.bench.stats.Rounds;
import org.scif4j.bench.stats.Target;
import org.scif4j.bench.stats.Verdict;
import org.scif4j.bench.sweep.FabricUris;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code scif rma}: one-sided RMA bandwidth by transfer size between two nodes attached in this
 * process. On shm: writeTo and readFrom with the CPU ({@code RMA_USECPU}) and with the DMA engine
 * (asynchronous, fenced once per batch) next to a plain copy of the same size measured in the
 * same run, and the cost of register/unregister as windows grow. On tcp: writeTo and readFrom
 * asynchronous (fenced once per batch) and {@code RMA_SYNC}, each next to plain Netty doing the
 * same over the same loopback in the same run ({@link NettyRma}).
 */
@Command(name = "rma", mixinStandardHelpOptions = true,
    description = "RMA bandwidth (writeTo/readFrom) by size: on shm (CPU and DMA) against a same-run"
        + " memcpy, and register/unregister cost; on tcp (asynchronous and RMA_SYNC) against plain"
        + " Netty doing the same over the same loopback. Two nodes attached in this one JVM; each"
        + " figure in rounds interleaved with its baseline; results to stdout, progress to stderr.",
    footer = {"", "Sizes take binary suffixes: 64k, 2m, 1g.",
        "Exit codes: 0 ok, 1 the run failed, 2 usage error."})
public final class RmaCommand implements Callable<Integer> {
    /** The transports {@code scif rma} measures. */
    enum Transport {
        /** Two shm nodes of a fabric private to this run. */
        SHM,
        /** Two tcp nodes on free ports of 127.0.0.1. */
        TCP
    }

    /** Sizes from which DMA figures are judged against the two-thread copy. */
    static final long TWO_THREAD_FROM = 16L << 20;
    /** Batches of RMA_SYNC calls stop at this many calls: each costs a loopback round trip. */
    static final long SYNC_CALLS = 2048;
    /**
     * At most this many calls per batch: a tiny size would otherwise move {@code --bytes} a few
     * bytes at a time (256 MiB in 3-byte calls is 89 million calls per batch).
     */
    static final long MAX_CALLS = 1 << 16;
    private static final long PAGE = 4096;
    private final Progress progress = Progress.onTerminal();

    @Spec
    CommandSpec spec;

    @Option(names = "--transport", paramLabel = "shm|tcp",
        description = "The transport to measure (default: shm).")
    Transport transport = Transport.SHM;

    @Option(names = "--sizes", split = ",", converter = SizeConverter.class, paramLabel = "SIZE",
        description = "Transfer sizes (default: 4k,64k,1m,16m,64m).")
    List<Long> sizes = List.of(4L << 10, 64L << 10, 1L << 20, 16L << 20, 64L << 20);

    @Option(names = "--dma", paramLabel = "K", description = "DMA engine threads, shm (default: ${DEFAULT-VALUE}).")
    int dma = 2;

    @Option(names = "--bytes", converter = SizeConverter.class, paramLabel = "BYTES",
        description = "Bytes moved per batch (default: 256m; RMA_SYNC batches stop at " + SYNC_CALLS
            + " calls).")
    Long bytes;

    @Option(names = "--rounds", paramLabel = "N",
        description = "Interleaved rounds (baseline, RMA) per figure, after a warm-up of each (at least one run and 250 ms); a verdict"
            + " needs at least 5 (default: ${DEFAULT-VALUE}).")
    int rounds = 9;

    /**
     * A figure measured in rounds with its baseline.
     *
     * @param base  the baseline's median GB/s
     * @param gbps  the RMA's median GB/s
     * @param ratio RMA / baseline per round
     */
    record Pair(double base, double gbps, Rounds ratio) {
        String cell() {
            return String.format(Locale.ROOT, "%8.2f %-16s", gbps, ratio.format());
        }
    }

    @Override
    public Integer call() throws Exception {
        if (rounds < 1 || rounds > 1000) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                "--rounds must be from 1 to 1000, not " + rounds);
        }
        PrintWriter out = spec.commandLine().getOut();
        String name = "rma-" + ProcessHandle.current().pid();
        // Windows are whole pages (registration is page-granular); transfers of any size
        // inside them are fine, so sizes below a page measure the call's own cost.
        long max = (sizes.stream().mapToLong(Long::longValue).max().orElse(PAGE) + PAGE - 1) & -PAGE;
        long bytes = this.bytes == null ? 256L << 20 : this.bytes;
        if (transport == Transport.TCP) {
            return tcp(out, name, max, bytes);
        }
        CopyBuffers copy = CopyBuffers.map(Path.of("/dev/shm"), max);
        List<Target.Judgement> judged;
        try (ScifNode host = Scif.attach("shm:" + name + "?node=0&dma=" + dma);
             ScifNode card = Scif.attach("shm:" + name + "?node=1&dma=" + dma)) {
            Endpoint[] pair = pair(host, card);
            Endpoint ep = pair[1];
            try (ScifMemory local = card.allocate(max); ScifMemory remote = host.allocate(max)) {
                long lo = ep.register(local.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
                long ro = pair[0].register(remote.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
                out.printf(Locale.ROOT, "RMA on shm (dma=%d): GB/s, then the ratio to a memcpy of the same size"
                    + " (dma from %s: a two-thread copy) between page-aligned /dev/shm mappings, interleaved with it"
                    + " (%s): the median of the per-round ratios and their spread (%s)%n",
                    dma, human(TWO_THREAD_FROM), Interleave.describe(rounds), Rounds.spreadName(rounds));
                out.printf(Locale.ROOT, "%10s %8s %8s %25s %25s %25s %25s%n", "size", "memcpy", "2-thr", "wr cpu",
                    "wr dma", "rd cpu", "rd dma");
                progress.show("rma: warming up");
                warmUp(copy, ep, lo, ro, sizes.stream().mapToLong(Long::longValue).min().orElse(PAGE));
                Map<String, Map<Long, Rounds>> ratios = new TreeMap<>();
                for (int i = 0; i < sizes.size(); i++) {
                    long size = sizes.get(i);
                    long reps = reps(bytes, size);
                    progress.show("rma: measuring " + human(size) + " (" + (i + 1) + " of " + sizes.size() + ")");
                    Pair wc = shmPair(copy, ep, true, Scif.RMA_USECPU, lo, ro, size, reps);
                    Pair wd = shmPair(copy, ep, true, 0, lo, ro, size, reps);
                    Pair rc = shmPair(copy, ep, false, Scif.RMA_USECPU, lo, ro, size, reps);
                    Pair rd = shmPair(copy, ep, false, 0, lo, ro, size, reps);
                    put(ratios, "writeTo cpu", size, wc);
                    put(ratios, "writeTo dma", size, wd);
                    put(ratios, "readFrom cpu", size, rc);
                    put(ratios, "readFrom dma", size, rd);
                    boolean two = size >= TWO_THREAD_FROM;
                    progress.clear();
                    out.printf(Locale.ROOT, "%10s %8.2f %8s %s %s %s %s%n", human(size), wc.base(),
                        two ? String.format(Locale.ROOT, "%.2f", wd.base()) : "-", wc.cell(), wd.cell(), rc.cell(),
                        rd.cell());
                    out.flush();
                }
                judged = shmTargets(ratios);
                ep.unregister(lo, max);
                pair[0].unregister(ro, max);
                registerCost(out, ep, card);
            }
        }
        printTargets(out, judged);
        return Main.OK;
    }

    private static void put(Map<String, Map<Long, Rounds>> ratios, String path, long size, Pair p) {
        ratios.computeIfAbsent(path, k -> new TreeMap<>()).put(size, p.ratio());
    }

    private static void printTargets(PrintWriter out, List<Target.Judgement> judged) {
        out.printf(Locale.ROOT, "%nscif4j's targets, this run (%s):%n", Verdict.RULE);
        for (Target.Judgement j : judged) {
            out.println(j.line());
        }
    }

    /** scif4j's targets for shm RMA, judged on this run's ratios. */
    static List<Target.Judgement> shmTargets(Map<String, Map<Long, Rounds>> ratios) {
        List<Target.Judgement> out = new ArrayList<>();
        for (String path : List.of("writeTo cpu", "readFrom cpu")) {
            out.add(from(ratios.get(path), "shm " + path + " from 64 KiB >= 0.9x memcpy", 64 << 10, Long.MAX_VALUE, 0.9));
            out.add(from(ratios.get(path), "shm " + path + " 16 KiB >= 0.75x memcpy", 16 << 10, 16 << 10, 0.75));
            out.add(from(ratios.get(path), "shm " + path + " 4 KiB >= 0.5x memcpy", 4 << 10, 4 << 10, 0.5));
        }
        out.add(from(ratios.get("writeTo dma"), "shm writeTo dma + fence 64 KiB >= 0.8x memcpy", 64 << 10, 64 << 10,
            0.8));
        out.add(from(ratios.get("writeTo dma"), "shm writeTo dma from 16 MiB >= 0.8x two-thread copy", TWO_THREAD_FROM,
            Long.MAX_VALUE, 0.8));
        return out;
    }

    /** A "ratio >= goal at every size from {@code lo} to {@code hi}" target over the sizes measured. */
    private static Target.Judgement from(Map<Long, Rounds> bySize, String what, long lo, long hi, double goal) {
        List<Rounds> ratios = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        if (bySize != null) {
            for (Map.Entry<Long, Rounds> e : bySize.entrySet()) {
                if (e.getKey() >= lo && e.getKey() <= hi) {
                    ratios.add(e.getValue());
                    labels.add("at " + human(e.getKey()));
                }
            }
        }
        return new Target(what, goal, true).judgeAll(ratios, labels);
    }

    private static Endpoint[] pair(ScifNode host, ScifNode card) throws ScifException {
        try (Endpoint listener = host.open()) {
            listener.bind(0);
            listener.listen(1);
            Endpoint c = card.open();
            return new Endpoint[] {LocalPair.connect(c, listener), c};
        }
    }

    /** One shm RMA figure in rounds with a memcpy (DMA from 16 MiB: the two-thread copy). */
    private Pair shmPair(CopyBuffers copy, Endpoint ep, boolean write, int flags, long lo, long ro, long size,
                         long reps) throws IOException {
        boolean two = flags == 0 && size >= TWO_THREAD_FROM;
        Interleave.Trial<Double> base = two ? () -> TwoThreadCopy.gigabytesPerSecond(copy, (int) size, reps)
            : () -> MemcpyBaseline.gigabytesPerSecond(copy, (int) size, reps);
        return paired(base, () -> timed(ep, write, flags, lo, ro, size, reps));
    }

    /** How long {@link #warmUp} runs each path. */
    private static final long WARM_UP_NANOS = 250_000_000L;

    /**
     * Runs the memcpy and every RMA path at the smallest size for a while before the first
     * row: the per-figure warm-up round alone left the JIT compiling the call path during the
     * first row's rounds (its small sizes read low, later rows did not).
     */
    private static void warmUp(CopyBuffers copy, Endpoint ep, long lo, long ro, long size) throws ScifException {
        long reps = Math.min(MAX_CALLS, Math.max(4, (16L << 20) / size));
        for (int path = 0; path < 5; path++) {
            long end = System.nanoTime() + WARM_UP_NANOS;
            do {
                if (path == 4) {
                    MemcpyBaseline.gigabytesPerSecond(copy, (int) size, reps);
                } else {
                    batch(ep, path < 2, (path & 1) == 0 ? Scif.RMA_USECPU : 0, lo, ro, size, reps);
                }
            } while (System.nanoTime() - end < 0);
        }
    }

    /** The baseline and the RMA in turn, round by round, after a warm-up round. */
    private Pair paired(Interleave.Trial<Double> base, Interleave.Trial<Double> rma) throws IOException {
        List<List<Double>> r = Interleave.run(rounds, List.of(base, rma));
        double[] b = Interleave.doubles(r.get(0));
        double[] s = Interleave.doubles(r.get(1));
        return new Pair(Rounds.median(b), Rounds.median(s), Rounds.ratios(s, b));
    }

    /** An asynchronous batch is fenced once at its end. */
    private static double timed(Endpoint ep, boolean write, int flags, long lo, long ro, long size, long n)
        throws ScifException {
        long t = System.nanoTime();
        batch(ep, write, flags, lo, ro, size, n);
        return (double) size * n / (System.nanoTime() - t);
    }

    private static void batch(Endpoint ep, boolean write, int flags, long lo, long ro, long size, long reps)
        throws ScifException {
        for (long i = 0; i < reps; i++) {
            if (write) {
                ep.writeTo(lo, size, ro, flags);
            } else {
                ep.readFrom(lo, size, ro, flags);
            }
        }
        if ((flags & (Scif.RMA_USECPU | Scif.RMA_SYNC)) == 0) {
            ep.fenceWait(ep.fenceMark(Scif.FENCE_INIT_SELF));
        }
    }

    /**
     * The tcp table: two nodes of this JVM on free loopback ports, and the Netty baseline of
     * every column measured just before it, on the same loopback, with the same batches.
     */
    private int tcp(PrintWriter out, String name, long max, long bytes) throws Exception {
        String fabric = FabricUris.defaultFabric("tcp", name, dma);
        ByteBuffer src = ByteBuffer.allocateDirect((int) max);
        ByteBuffer dst = ByteBuffer.allocateDirect((int) max);
        ScifException unsupported = null;
        try (ScifNode host = Scif.attach(FabricUris.withNode(fabric, 0));
             ScifNode card = Scif.attach(FabricUris.withNode(fabric, 1));
             NettyLoopback loopback = new NettyLoopback()) {
            NettyRma netty = new NettyRma(loopback);
            Endpoint[] pair = pair(host, card);
            Endpoint ep = pair[1];
            try (ScifMemory local = card.allocate(max); ScifMemory remote = host.allocate(max)) {
                long[] offsets = null;
                try {
                    offsets = new long[] {ep.register(local.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0),
                        pair[0].register(remote.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0)};
                } catch (ScifException e) {
                    if (e.errno() != Errno.EOPNOTSUPP) {
                        throw e;
                    }
                    unsupported = e; // still measure the baseline, the half of the table we can
                }
                out.printf(Locale.ROOT, "RMA on tcp (two nodes of this JVM over 127.0.0.1), GB/s; netty = plain Netty"
                    + " doing the same over the same loopback, batch for batch in turn with the RMA (%s); then"
                    + " RMA / netty: the median of the per-round ratios and their spread (%s)%n"
                    + "async: flags 0, one fenceMark(INIT_SELF)+fenceWait per batch; sync: RMA_SYNC, batches of at"
                    + " most %d calls%n", Interleave.describe(rounds), Rounds.spreadName(rounds), SYNC_CALLS);
                String[] columns = {"writeTo", "wr sync", "readFrom", "rd sync"};
                StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%10s", "size"));
                for (String c : columns) {
                    head.append(String.format(Locale.ROOT, " | %8s %25s", "netty", c));
                }
                out.println(head);
                Map<String, Map<Long, Rounds>> ratios = new TreeMap<>();
                for (int i = 0; i < sizes.size(); i++) {
                    long size = sizes.get(i);
                    long reps = reps(bytes, size);
                    progress.show("rma: measuring " + human(size) + " (" + (i + 1) + " of " + sizes.size() + ")");
                    ByteBuffer message = src.slice(0, (int) size);
                    StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%10s", human(size)));
                    int column = 0;
                    for (boolean write : new boolean[] {true, false}) {
                        for (int flags : new int[] {0, Scif.RMA_SYNC}) {
                            boolean sync = flags != 0;
                            try (NettyRma.Session baseline = write ? netty.openWrites(message, dst, sync)
                                : netty.openReads(message, dst, sync)) {
                                Pair p = tcpColumn(ep, offsets, write, flags, size,
                                    sync ? Math.min(reps, SYNC_CALLS) : reps, baseline);
                                row.append(String.format(Locale.ROOT, " | %8.2f %s", p.base(),
                                    p.ratio() == null ? String.format(Locale.ROOT, "%25s", "-") : p.cell()));
                                if (p.ratio() != null) {
                                    ratios.computeIfAbsent(columns[column], k -> new TreeMap<>()).put(size, p.ratio());
                                }
                            }
                            column++;
                        }
                    }
                    progress.clear();
                    out.println(row);
                    out.flush();
                }
                List<Target.Judgement> judged = new ArrayList<>();
                for (String c : columns) {
                    judged.add(from(ratios.get(c), "tcp " + c + " from 64 KiB >= 0.8x plain Netty", 64 << 10,
                        Long.MAX_VALUE, 0.8));
                }
                printTargets(out, judged);
                if (offsets != null) {
                    ep.unregister(offsets[0], max);
                    pair[0].unregister(offsets[1], max);
                }
            }
        }
        if (unsupported != null) {
            throw new IOException("tcp RMA is not served by this build, only the Netty baseline was measured: "
                + unsupported.getMessage(), unsupported);
        }
        return Main.OK;
    }

    /**
     * @param offsets the local and the remote window, or null when the transport has no RMA
     * @return the baseline's and the RMA's medians and their ratios (without {@code offsets}: the
     *         baseline alone, NaN and null)
     */
    private Pair tcpColumn(Endpoint ep, long[] offsets, boolean write, int flags, long size, long reps,
        NettyRma.Session baseline) throws IOException {
        if (offsets == null) {
            List<List<Double>> r = Interleave.run(rounds, List.of(() -> baseline.batch(reps)));
            return new Pair(Rounds.median(Interleave.doubles(r.get(0))), Double.NaN, null);
        }
        return paired(() -> baseline.batch(reps), () -> timed(ep, write, flags, offsets[0], offsets[1], size, reps));
    }

    private static void registerCost(PrintWriter out, Endpoint ep, ScifNode node) throws ScifException {
        out.printf(Locale.ROOT, "%nregister + unregister, microseconds (median of 21)%n%10s %12s %12s %12s%n", "window",
            "allocate", "direct buf", "per MiB");
        for (long size : new long[] {4 << 10, 64 << 10, 1 << 20, 16 << 20, 64 << 20}) {
            try (ScifMemory m = node.allocate(size)) {
                double alloc = cycle(ep, m.buffer(), 21);
                ByteBuffer direct = ByteBuffer.allocateDirect((int) size + 4096).alignedSlice(4096);
                double dir = cycle(ep, direct, 21);
                out.printf(Locale.ROOT, "%10s %12.1f %12.1f %12.1f%n", human(size), alloc, dir,
                    dir / Math.max(1.0, size / (double) (1 << 20)));
            }
        }
    }

    private static double cycle(Endpoint ep, ByteBuffer b, int n) throws ScifException {
        double[] us = new double[n];
        for (int i = 0; i < n; i++) {
            long t = System.nanoTime();
            long off = ep.register(b, 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
            ep.unregister(off, b.remaining());
            us[i] = (System.nanoTime() - t) / 1e3;
        }
        Arrays.sort(us);
        return us[n / 2];
    }

    /** The calls of one batch: {@code bytes} worth, at least 4, at most {@link #MAX_CALLS}. */
    static long reps(long bytes, long size) {
        return Math.max(4, Math.min(MAX_CALLS, bytes / size));
    }

    static String human(long size) {
        if (size >= 1 << 20 && size % (1 << 20) == 0) {
            return (size >> 20) + " MiB";
        }
        return size >= 1 << 10 && size % (1 << 10) == 0 ? (size >> 10) + " KiB" : size + " B";
    }
}
