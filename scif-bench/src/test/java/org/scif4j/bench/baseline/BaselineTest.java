package org.scif4j.bench.baseline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scif4j.bench.stats.LatencyStats;

/** The baselines run to completion and clean up; their numbers are not judged here. */
class BaselineTest {
    private static final String RAW_PREFIX =
        "scif4j-bench-raw-" + ProcessHandle.current().pid() + "-";

    @Test
    void rawPingPongCompletesInTwoProcessesAndLeavesNoFileInDevShm() throws IOException {
        Path shm = Path.of("/dev/shm");
        org.junit.jupiter.api.Assumptions.assumeTrue(
            Files.isDirectory(shm) && Files.isWritable(shm), "no writable /dev/shm");
        LatencyStats s = new RawShmPingPong(shm, List.of()).run(1_000, 5_000);
        assertEquals(5_000, s.count());
        assertTrue(s.median() > 0 && s.median() <= s.p99() && s.p99() <= s.max(), s.toString());
        assertEquals(List.of(), ours(shm));
    }

    @Test
    void rawPingPongInAnyDirectoryLeavesItEmpty(@TempDir Path dir) throws IOException {
        LatencyStats s = new RawShmPingPong(dir, List.of()).run(0, 100);
        assertEquals(100, s.count());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(), files.collect(Collectors.toList()));
        }
    }

    @Test
    void memcpyReportsAThroughput() {
        double gbs = MemcpyBaseline.gigabytesPerSecond(64 * 1024, 16L << 20);
        assertTrue(gbs > 0 && Double.isFinite(gbs), Double.toString(gbs));
    }

    private static List<Path> ours(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith(RAW_PREFIX))
                .collect(Collectors.toList());
        }
    }
}
