package org.scif4j.bench.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
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
import org.scif4j.bench.baseline.MemcpyBaseline;
import org.scif4j.bench.baseline.NettyLoopback;
import org.scif4j.bench.baseline.NettyRma;
import org.scif4j.bench.baseline.TwoThreadCopy;
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
        + " Netty doing the same over the same loopback.")
public final class RmaCommand implements Callable<Integer> {
    /** The transports {@code scif rma} measures. */
    enum Transport {
        /** Two shm nodes of a fabric private to this run. */
        SHM,
        /** Two tcp nodes on free ports of 127.0.0.1. */
        TCP
    }

    /** Batches of RMA_SYNC calls stop at this many calls: each costs a loopback round trip. */
    static final long SYNC_CALLS = 2048;
    /** Measured batches per figure; the median is shown. */
    private static final int BATCHES = 5;

    @Spec
    CommandSpec spec;

    @Option(names = "--transport", paramLabel = "shm|tcp",
        description = "the transport to measure (default: shm)")
    Transport transport = Transport.SHM;

    @Option(names = "--sizes", split = ",", converter = SizeConverter.class, paramLabel = "SIZE",
        description = "transfer sizes (default: 4k,64k,1m,16m,64m)")
    List<Long> sizes = List.of(4L << 10, 64L << 10, 1L << 20, 16L << 20, 64L << 20);

    @Option(names = "--dma", description = "DMA engine threads, shm (default: ${DEFAULT-VALUE})")
    int dma = 2;

    @Option(names = "--bytes", converter = SizeConverter.class, paramLabel = "BYTES",
        description = "bytes moved per measurement (default: 1g on shm, 256m on tcp; RMA_SYNC"
            + " batches stop at " + SYNC_CALLS + " calls)")
    Long bytes;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        String name = "rma-" + ProcessHandle.current().pid();
        long max = sizes.stream().mapToLong(Long::longValue).max().orElse(4096);
        if (transport == Transport.TCP) {
            return tcp(out, name, max, bytes == null ? 256L << 20 : bytes);
        }
        long bytes = this.bytes == null ? 1L << 30 : this.bytes;
        try (ScifNode host = Scif.attach("shm:" + name + "?node=0&dma=" + dma);
             ScifNode card = Scif.attach("shm:" + name + "?node=1&dma=" + dma)) {
            Endpoint[] pair = pair(host, card);
            Endpoint ep = pair[1];
            try (ScifMemory local = card.allocate(max); ScifMemory remote = host.allocate(max)) {
                long lo = ep.register(local.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
                long ro = pair[0].register(remote.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
                out.printf(Locale.ROOT, "RMA on shm (dma=%d), GB/s; ratio = RMA / plain copy of the same size%n", dma);
                out.printf(Locale.ROOT, "%10s %9s %9s %9s %9s %9s %8s %8s%n", "size", "memcpy", "wr cpu", "wr dma",
                    "rd cpu", "rd dma", "wr dma/", "wr cpu/");
                for (long size : sizes) {
                    long reps = Math.max(4, bytes / size);
                    double copy = MemcpyBaseline.gigabytesPerSecond((int) size, bytes);
                    double wc = measure(ep, true, Scif.RMA_USECPU, lo, ro, size, reps);
                    double wd = measure(ep, true, 0, lo, ro, size, reps);
                    double rc = measure(ep, false, Scif.RMA_USECPU, lo, ro, size, reps);
                    double rd = measure(ep, false, 0, lo, ro, size, reps);
                    out.printf(Locale.ROOT, "%10s %9.2f %9.2f %9.2f %9.2f %9.2f %7.2fx %7.2fx%n", human(size), copy, wc, wd,
                        rc, rd, wd / copy, wc / copy);
                    out.flush();
                }
                out.printf(Locale.ROOT, "two-thread copy of 64 MiB halves: %.2f GB/s%n", TwoThreadCopy.gigabytesPerSecond(64 << 20, 4, 5));
                ep.unregister(lo, max);
                pair[0].unregister(ro, max);
                registerCost(out, ep, card);
            }
        }
        return Main.OK;
    }

    private static Endpoint[] pair(ScifNode host, ScifNode card) throws ScifException {
        try (Endpoint listener = host.open()) {
            listener.bind(0);
            listener.listen(1);
            Endpoint c = card.open();
            return new Endpoint[] {LocalPair.connect(c, listener), c};
        }
    }

    /** Median of {@value #BATCHES} batches of {@code reps} RMAs (see {@link #medians}). */
    private static double measure(Endpoint ep, boolean write, int flags, long lo, long ro, long size, long reps)
        throws Exception {
        return medians(reps, n -> timed(ep, write, flags, lo, ro, size, n))[0];
    }

    /** One timed batch of {@code n} transfers. */
    @FunctionalInterface
    private interface Batch {
        /** @return GB/s */
        double gbps(long n) throws Exception;
    }

    /**
     * Medians of {@value #BATCHES} batches of {@code reps} transfers of each kind, after a warm-up
     * batch of a quarter as many (NettyRma's alike); the kinds take turns batch by batch, so that
     * an RMA and the baseline judging it see the same moments of a noisy machine.
     */
    private static double[] medians(long reps, Batch... kinds) throws Exception {
        double[][] gbs = new double[kinds.length][BATCHES];
        for (Batch k : kinds) {
            k.gbps(Math.max(1, reps / 4));
        }
        for (int r = 0; r < BATCHES; r++) {
            for (int k = 0; k < kinds.length; k++) {
                gbs[k][r] = kinds[k].gbps(reps);
            }
        }
        double[] medians = new double[kinds.length];
        for (int k = 0; k < kinds.length; k++) {
            Arrays.sort(gbs[k]);
            medians[k] = gbs[k][BATCHES / 2];
        }
        return medians;
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
                    + " doing the same over the same loopback, batch for batch in turn with the RMA; x = RMA / netty%n"
                    + "async: flags 0, one fenceMark(INIT_SELF)+fenceWait per batch; sync: RMA_SYNC, batches of at"
                    + " most %d calls%n", SYNC_CALLS);
                out.printf(Locale.ROOT, "%10s | %8s %8s %6s | %8s %8s %6s | %8s %8s %6s | %8s %8s %6s%n", "size",
                    "netty", "writeTo", "x", "netty", "wr sync", "x", "netty", "readFrom", "x", "netty", "rd sync", "x");
                for (long size : sizes) {
                    long reps = Math.max(4, bytes / size);
                    ByteBuffer message = src.slice(0, (int) size);
                    StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%10s", human(size)));
                    for (boolean write : new boolean[] {true, false}) {
                        for (int flags : new int[] {0, Scif.RMA_SYNC}) {
                            boolean sync = flags != 0;
                            try (NettyRma.Session baseline = write ? netty.openWrites(message, dst, sync)
                                : netty.openReads(message, dst, sync)) {
                                double[] m = tcpColumn(ep, offsets, write, flags, size,
                                    sync ? Math.min(reps, SYNC_CALLS) : reps, baseline);
                                row.append(String.format(Locale.ROOT, " | %8.2f %8s %6s", m[0], cell(m[1], "%8.2f"),
                                    cell(m[1] / m[0], "%5.2fx")));
                            }
                        }
                    }
                    out.println(row);
                    out.flush();
                }
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
     * @return the medians of the baseline and of the RMA (NaN without {@code offsets})
     */
    private static double[] tcpColumn(Endpoint ep, long[] offsets, boolean write, int flags, long size, long reps,
        NettyRma.Session baseline) throws Exception {
        if (offsets == null) {
            return new double[] {medians(reps, baseline::batch)[0], Double.NaN};
        }
        return medians(reps, baseline::batch, n -> timed(ep, write, flags, offsets[0], offsets[1], size, n));
    }

    private static String cell(double value, String format) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, format, value);
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

    private static String human(long size) {
        return size >= 1 << 20 ? (size >> 20) + " MiB" : (size >> 10) + " KiB";
    }
}
