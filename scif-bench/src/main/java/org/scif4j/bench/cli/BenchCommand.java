package org.scif4j.bench.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.scif4j.bench.Main;
import org.scif4j.bench.sweep.BenchChart;
import org.scif4j.bench.sweep.BenchConfig;
import org.scif4j.bench.sweep.BenchReport;
import org.scif4j.bench.sweep.BenchResult;
import org.scif4j.bench.sweep.BenchRun;
import org.scif4j.bench.sweep.FabricUris;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code scif bench}: the benchmark users come for. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Bandwidth and latency of every SCIF path, against baselines measured in the same run.",
        "",
        "Runs node 0 here and node 1 in a second JVM (two shm nodes by default), sweeps"
            + " transfer sizes for writeTo, readFrom and vwriteTo (with the CPU, RMA_USECPU, and with"
            + " the DMA engine, fenced once per batch) and send/recv streaming, and takes 8-byte"
            + " round trips (HdrHistogram). Every figure is taken in rounds interleaved with its"
            + " baseline's (baseline, subject, baseline, ...): a memcpy of the same size between"
            + " page-aligned /dev/shm mappings, a two-thread copy (DMA from 16 MiB), the raw"
            + " shared-memory ping-pong floor in the same two processes (shm), Aeron IPC (shm, --peers"
            + " aeron), plain Netty NIO on 127.0.0.1 (tcp), the Java shm transport between two more JVMs"
            + " (native, over scif4j's libscif: every figure alternates shm then native); shm's 64 B"
            + " messages per second in rounds with Aeron IPC's (shm with Aeron); and, in the floor's"
            + " rounds, the floor's own loop with each flag stored into a page of the peer's window"
            + " mapped with mmap (shm). Prints each ratio as the median of the"
            + " per-round ratios with its spread, and scif4j's targets as met or MISSED only where the"
            + " whole spread is on one side (within noise otherwise); writes scif-bench.png (bandwidth"
            + " above, ratios to the baselines below), scif-bench.svg and scif-bench-ratios.svg into"
            + " --out and, with --json, the results. Progress goes to stderr.",
        ""},
    footer = {"", "Sizes take binary suffixes: 64k, 2m, 1g.",
        "Every process and file the run starts is removed at its end, also on Ctrl-C.",
        "Exit codes: 0 ok, 1 the run failed, 2 usage error."})
public final class BenchCommand implements Callable<Integer> {
    /** Default sizes: 1 KiB to 64 MiB, every factor of 4. */
    static final List<Long> DEFAULT_SIZES = List.of(1L << 10, 4L << 10, 16L << 10, 64L << 10,
        256L << 10, 1L << 20, 4L << 20, 16L << 20, 64L << 20);

    @Spec
    CommandSpec spec;

    @Option(names = "--fabric", paramLabel = "URI",
        description = "Measure this fabric (node= is set per process: 0 here, 1 in the second"
            + " JVM); repeatable, one per transport. Default: one per --transports, e.g. shm:bench-<pid>?dma=2.")
    List<String> fabrics;

    @Option(names = "--transports", split = ",", paramLabel = "NAME",
        description = "Transports to compare when no --fabric is given: shm, tcp, native"
            + " (default: shm). One that is missing or cannot run is reported and skipped.")
    List<String> transports = List.of("shm");

    @Option(names = "--sizes", split = ",", converter = SizeConverter.class, paramLabel = "SIZE",
        description = "Transfer sizes (default: 1k,4k,16k,64k,256k,1m,4m,16m,64m).")
    List<Long> sizes = DEFAULT_SIZES;

    @Option(names = "--dma", paramLabel = "K", defaultValue = "2",
        description = "DMA engine threads of the default shm fabric (default: ${DEFAULT-VALUE}).")
    int dma;

    @Option(names = "--bytes", paramLabel = "BYTES", converter = SizeConverter.class, defaultValue = "64m",
        description = "Bytes per measured batch, at most " + BenchConfig.MAX_OPERATIONS
            + " transfers (default: ${DEFAULT-VALUE}).")
    long bytes;

    @Option(names = {"--rounds", "--batches"}, paramLabel = "N", defaultValue = "9",
        description = "Interleaved rounds (baseline, subject) per figure, after a warm-up of each (at least one run and 250 ms);"
            + " a verdict needs at least 5 (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--round-trips", paramLabel = "N", converter = CountConverter.class,
        defaultValue = "100000",
        description = "Recorded 8 B round trips of shm, the raw floor and Aeron, each, all rounds together"
            + " (default: ${DEFAULT-VALUE}).")
    long roundTrips;

    @Option(names = "--warmup", paramLabel = "N", converter = CountConverter.class,
        defaultValue = "2000",
        description = "8 B round trips before recording, in every round (default: ${DEFAULT-VALUE}).")
    long warmup;

    @Option(names = "--netty-round-trips", paramLabel = "N", converter = CountConverter.class,
        defaultValue = "10000",
        description = "Recorded round trips of tcp and of plain Netty, tens of µs each, all rounds together"
            + " (default: ${DEFAULT-VALUE}).")
    long nettyRoundTrips;

    @Option(names = "--messages", paramLabel = "N", converter = CountConverter.class,
        defaultValue = "4500000",
        description = "64 B messages of shm's send/recv and of Aeron IPC, each, all rounds together (shm with"
            + " Aeron only; default: ${DEFAULT-VALUE}).")
    long messages;

    @Option(names = "--peers", split = ",", paramLabel = "NAME",
        description = "Peer libraries to measure in the same run: aeron, or none"
            + " (default: aeron).")
    List<String> peers = List.of("aeron");

    @Option(names = "--pin", negatable = true,
        description = "Pin the two processes to different cores for the round trips and shm streaming,"
            + " and Aeron's two threads likewise (default: on with 2+ cores).")
    Boolean pin;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = ".",
        description = "Where scif-bench.png, scif-bench.svg and scif-bench-ratios.svg go (default: the current directory).")
    Path out;

    @Option(names = "--no-chart", description = "Do not write the chart.")
    boolean noChart;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON.")
    Path json;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
        description = "Stop the run (and its processes) after this long (default: ${DEFAULT-VALUE}).")
    long timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        BenchConfig config = config();
        AtomicBoolean done = new AtomicBoolean();
        CompletableFuture.delayedExecutor(timeoutSeconds, TimeUnit.SECONDS).execute(() -> {
            if (!done.get()) {
                spec.commandLine().getErr().println("scif bench: still running after "
                    + timeoutSeconds + " s (--timeout); stopping");
                System.exit(Main.FAILED); // shutdown hooks destroy the children and clean up
            }
        });
        try {
            BenchResult result = new BenchRun(config).run();
            BenchReport.print(result, System.out);
            if (config.out() != null) {
                List<Path> files = BenchChart.write(result, config.out());
                System.out.println("chart: " + String.join(", ", files.stream().map(Path::toString).toList()));
            }
            if (json != null) {
                BenchReport.writeJson(result, json);
                System.out.println("json: " + json);
            }
            System.out.flush();
            return result.leftBehind().isEmpty() ? Main.OK : Main.FAILED;
        } finally {
            done.set(true);
        }
    }

    /**
     * Checks the options and builds the configuration.
     *
     * @return the configuration
     * @throws ParameterException for values out of range (exit code 2)
     * @throws IOException        when no free port is found for a default tcp fabric
     */
    BenchConfig config() throws IOException {
        TreeSet<Long> sorted = new TreeSet<>(sizes);
        if (sorted.isEmpty() || sorted.first() < 1 || sorted.last() > (1L << 30)) {
            throw usage("--sizes must be from 1 byte to 1g, not " + sizes);
        }
        if (dma < 1 || dma > 64) {
            throw usage("--dma must be from 1 to 64, not " + dma);
        }
        if (bytes < 1) {
            throw usage("--bytes must be at least 1, not " + bytes);
        }
        if (rounds < 1 || rounds > 1000) {
            throw usage("--rounds must be from 1 to 1000, not " + rounds);
        }
        if (roundTrips < 1 || nettyRoundTrips < 1 || messages < 1) {
            throw usage("--round-trips, --netty-round-trips and --messages must be at least 1");
        }
        if (warmup < 0) {
            throw usage("--warmup must not be negative, not " + warmup);
        }
        if (timeoutSeconds < 1) {
            throw usage("--timeout must be at least 1 second, not " + timeoutSeconds);
        }
        List<String> peerList = new ArrayList<>();
        for (String p : peers) {
            String name = p.trim().toLowerCase(Locale.ROOT);
            if (!name.equals("aeron") && !name.equals("none")) {
                throw usage("--peers knows aeron and none, not '" + p + "'");
            }
            if (name.equals("aeron")) {
                peerList.add(name);
            }
        }
        List<String> uris = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        if (fabrics != null && !fabrics.isEmpty()) {
            for (String f : fabrics) {
                if (!f.matches("[a-z][a-z0-9+.-]*:.*")) {
                    throw usage("--fabric takes a fabric URI such as shm:NAME?dma=2, not '" + f + "'");
                }
                String scheme = f.substring(0, f.indexOf(':'));
                for (String earlier : uris) {
                    if (earlier.startsWith(scheme + ":")) {
                        // the report's rows are named by transport: a second one would overwrite the first's
                        throw usage("--fabric " + f + " and --fabric " + earlier + " are both " + scheme
                            + ": one fabric per transport in a run (compare two fabrics in two runs)");
                    }
                }
                uris.add(f);
            }
        } else {
            String name = "bench-" + ProcessHandle.current().pid();
            for (String t : new TreeSet<>(transports)) {
                String scheme = t.trim().toLowerCase(Locale.ROOT);
                if (!scheme.matches("shm|tcp|native")) {
                    throw usage("--transports knows shm, tcp and native, not '" + t + "'");
                }
                uris.add(FabricUris.defaultFabric(scheme, name, dma));
            }
        }
        boolean pinning = pin != null ? pin : Runtime.getRuntime().availableProcessors() >= 2;
        return new BenchConfig(uris, skipped, List.copyOf(sorted), bytes, rounds, warmup, roundTrips,
            nettyRoundTrips, messages, peerList, pinning, noChart ? null : out, json, timeoutSeconds);
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
