package org.scif4j.bench.pingpong;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.scif4j.bench.baseline.MemcpyBaseline;
import org.scif4j.bench.baseline.RawShmPingPong;
import org.scif4j.bench.process.CpuPinning;
import org.scif4j.bench.stats.LatencyStats;

/**
 * One {@code scif pingpong}: the SCIF measurements first, then the baselines they are judged
 * against, all in this run, on the same cores.
 */
public final class PingPongRun {
    /** Where the shared-memory files live. */
    static final Path SHM = Path.of("/dev/shm");
    /** Bytes copied per repetition of the memcpy baseline. */
    private static final long MEMCPY_BYTES = 2L << 30;

    private final PingPongConfig config;

    /** @param config what to measure */
    public PingPongRun(PingPongConfig config) {
        this.config = config;
    }

    /**
     * Measures everything.
     *
     * @return the results
     * @throws IOException when the SCIF run or a baseline fails
     */
    public PingPongResult run() throws IOException {
        CpuPinning pinning = CpuPinning.plan(config.pin());
        pinning.pinSelf();
        ScifPingPong.progress("fabric " + config.fabricUri(0) + ", " + pinning.note());

        ScifPingPong.Measures scif = new ScifPingPong(config, pinning).run();

        ScifPingPong.progress(String.format(java.util.Locale.ROOT, "baseline: raw shared-memory"
            + " ping-pong, %,d warm-up, %,d recorded", config.warmupRoundTrips(),
            config.roundTrips()));
        LatencyStats floor = new RawShmPingPong(SHM, pinning.childPrefix())
            .run(config.warmupRoundTrips(), config.roundTrips());
        ScifPingPong.progress("baseline: 64 KiB ByteBuffer copy");
        double memcpy = MemcpyBaseline.gigabytesPerSecond(PingPongConfig.STREAM_MESSAGE,
            MEMCPY_BYTES);

        double streamGbps = (double) scif.streamBytes() / scif.streamNanos();
        double messageRate = scif.messages() * 1e9 / scif.messageNanos();
        return new PingPongResult(config, pinning.note(), scif.latency(), streamGbps,
            scif.streamBytes(), scif.streamNanos(), messageRate, floor, memcpy,
            leftBehind(config.fabricName()), scif.allocation());
    }

    /**
     * Files under /dev/shm whose name mentions the fabric (the transport's) or this process's
     * raw baseline: after a clean run there are none.
     *
     * @param fabricName a name, or part of one
     * @return the paths found
     */
    public static List<String> leftBehind(String fabricName) {
        String raw = "scif4j-bench-raw-" + ProcessHandle.current().pid() + "-";
        List<String> found = new ArrayList<>();
        try {
            Files.walkFileTree(SHM, EnumSet.noneOf(java.nio.file.FileVisitOption.class), 4,
                new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes a) {
                        return check(dir);
                    }

                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes a) {
                        return check(file);
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException e) {
                        return FileVisitResult.CONTINUE;
                    }

                    private FileVisitResult check(Path p) {
                        Path name = p.getFileName();
                        if (name != null && (name.toString().contains(fabricName)
                                || name.toString().startsWith(raw))) {
                            found.add(p.toString());
                            return FileVisitResult.SKIP_SUBTREE;
                        }
                        return FileVisitResult.CONTINUE;
                    }
                });
        } catch (IOException e) {
            // no /dev/shm: nothing can be left there
        }
        return found;
    }
}
