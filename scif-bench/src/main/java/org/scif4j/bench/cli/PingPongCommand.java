package org.scif4j.bench.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.scif4j.bench.Main;
import org.scif4j.bench.pingpong.PingPongConfig;
import org.scif4j.bench.pingpong.PingPongReport;
import org.scif4j.bench.pingpong.PingPongResult;
import org.scif4j.bench.pingpong.PingPongRun;
import org.scif4j.spi.WaitMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code scif pingpong}: two nodes in two processes on the shm fabric, and the baselines. */
@Command(name = "pingpong", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Two node processes on the shm fabric: send/recv latency and throughput, and baselines.",
        "",
        "Two node processes on an embedded shm fabric exchange messages with send and recv:"
            + " 8 B round-trip latency (HdrHistogram percentiles), 64 KiB streaming throughput and"
            + " the 64 B message rate, each in rounds interleaved with the baseline it is judged"
            + " against: the raw ping-pong over a mapped /dev/shm file between the same two"
            + " processes (the physical floor, the same code as scif bench's) and a plain 64 KiB"
            + " copy of as many bytes. Prints the figures, each ratio as the median of its rounds"
            + " with its spread, and scif4j's round-trip targets as met or MISSED only where the"
            + " spread allows; results go to stdout, progress to stderr.",
        ""},
    footer = {"", "Sizes take binary suffixes: 64k, 2m, 1g.",
        "Exit codes: 0 ok, 1 the run failed, 2 usage error."})
public final class PingPongCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--fabric-name", paramLabel = "NAME",
        description = "Name of the shm fabric (default: pingpong-<pid>, unique per run).")
    String fabricName;

    @Option(names = "--wait", paramLabel = "MODE", defaultValue = "adaptive",
        converter = WaitModeConverter.class,
        description = "How blocked calls wait: spin, yield, block or adaptive"
            + " (default: ${DEFAULT-VALUE}).")
    WaitMode wait;

    @Option(names = "--ring", paramLabel = "BYTES", converter = SizeConverter.class,
        description = "Per-direction message ring, a power of two >= 4096"
            + " (default: the transport's).")
    Long ring;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "9",
        description = "Interleaved rounds (baseline, subject) of every figure, after a warm-up"
            + " of each (at least one run and 250 ms); a verdict needs at least 5 (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--round-trips", paramLabel = "N", converter = CountConverter.class,
        defaultValue = "500000",
        description = "Recorded 8 B round trips, scif and the floor each, all rounds together"
            + " (default: ${DEFAULT-VALUE}).")
    long roundTrips;

    @Option(names = "--warmup", paramLabel = "N", converter = CountConverter.class,
        defaultValue = "10000",
        description = "8 B round trips before recording, in every round (default: ${DEFAULT-VALUE}).")
    long warmup;

    @Option(names = "--stream-bytes", paramLabel = "BYTES", converter = SizeConverter.class,
        defaultValue = "4g",
        description = "Bytes streamed in 64 KiB messages, all rounds together (default: ${DEFAULT-VALUE}).")
    long streamBytes;

    @Option(names = "--messages", paramLabel = "N", converter = CountConverter.class,
        defaultValue = "25000000",
        description = "64 B messages for the message rate, all rounds together (default: ${DEFAULT-VALUE}).")
    long messages;

    @Option(names = "--pin", negatable = true,
        description = "Pin the two processes to different cores with taskset (default: on with"
            + " 2+ cores).")
    Boolean pin;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON.")
    Path json;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "300",
        description = "Stop the run (and its child processes) after this long"
            + " (default: ${DEFAULT-VALUE}).")
    long timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        PingPongConfig config = config();
        AtomicBoolean done = new AtomicBoolean();
        CompletableFuture.delayedExecutor(timeoutSeconds, TimeUnit.SECONDS).execute(() -> {
            if (!done.get()) {
                spec.commandLine().getErr().println("scif pingpong: still running after "
                    + timeoutSeconds + " s (--timeout); stopping");
                System.exit(Main.FAILED); // shutdown hooks destroy the child and clean up
            }
        });
        try {
            PingPongResult result = new PingPongRun(config).run();
            PingPongReport.print(result, System.out);
            if (json != null) {
                PingPongReport.writeJson(result, json);
            }
            return Main.OK;
        } finally {
            done.set(true);
        }
    }

    /**
     * Checks the options and builds the configuration.
     *
     * @return the configuration
     * @throws ParameterException for values out of range (exit code 2)
     */
    PingPongConfig config() {
        if (ring != null && (ring < 4096 || ring > (1 << 30) || Long.bitCount(ring) != 1)) {
            throw usage("--ring must be a power of two from 4096 to 1g, not " + ring);
        }
        if (rounds < 1 || rounds > 1000) {
            throw usage("--rounds must be from 1 to 1000, not " + rounds);
        }
        if (roundTrips < 1) {
            throw usage("--round-trips must be at least 1, not " + roundTrips);
        }
        if (warmup < 0) {
            throw usage("--warmup must not be negative, not " + warmup);
        }
        if (streamBytes < 1) {
            throw usage("--stream-bytes must be at least 1, not " + streamBytes);
        }
        if (messages < 1) {
            throw usage("--messages must be at least 1, not " + messages);
        }
        if (timeoutSeconds < 1) {
            throw usage("--timeout must be at least 1 second, not " + timeoutSeconds);
        }
        if (fabricName != null && !fabricName.matches("[A-Za-z0-9._-]+")) {
            throw usage("--fabric-name may hold letters, digits, '.', '_' and '-' only, not '"
                + fabricName + "'");
        }
        String name = fabricName != null ? fabricName : "pingpong-" + ProcessHandle.current().pid();
        boolean pinning = pin != null ? pin : Runtime.getRuntime().availableProcessors() >= 2;
        return new PingPongConfig(name, wait.optionValue(), ring == null ? 0 : ring.intValue(),
            rounds, warmup, roundTrips, streamBytes, messages, pinning, json, timeoutSeconds);
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
