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
import org.scif4j.bench.baseline.CopyBuffers;
import org.scif4j.bench.baseline.RawShmPingPong;
import org.scif4j.bench.process.CpuPinning;

/**
 * One {@code scif pingpong}: the SCIF measurements, each in rounds interleaved with the baseline
 * it is judged against, all in this run, on the same cores.
 */
public final class PingPongRun {
    /** Where the shared-memory files live. */
    static final Path SHM = Path.of("/dev/shm");

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
        ScifPingPong.Measures m = new ScifPingPong(config, pinning, SHM).run();
        return new PingPongResult(config, pinning.note(), m.scif(), m.floor(), m.stream(), m.memcpy(),
            m.messages(), leftBehind(config.fabricName()), m.allocation());
    }

    /**
     * Files under /dev/shm whose name mentions the fabric (the transport's) or this process's
     * raw baseline: after a clean run there are none.
     *
     * @param fabricName a name, or part of one
     * @return the paths found
     */
    public static List<String> leftBehind(String fabricName) {
        String raw = RawShmPingPong.PREFIX + ProcessHandle.current().pid() + "-";
        String copy = CopyBuffers.PREFIX + ProcessHandle.current().pid() + "-";
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
                                || name.toString().startsWith(raw) || name.toString().startsWith(copy))) {
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
