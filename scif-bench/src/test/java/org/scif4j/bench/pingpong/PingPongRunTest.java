package org.scif4j.bench.pingpong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short {@code scif pingpong} end to end: node 0 here, node 1 in a child JVM, the baselines
 * after. Checks that every phase completes, counts add up and nothing is left in /dev/shm;
 * the figures themselves are not judged.
 */
class PingPongRunTest {
    @Test
    void aShortRunCompletesAndCleansUp(@TempDir Path tmp) throws IOException {
        String name = "pingpong-test-" + ProcessHandle.current().pid();
        Path json = tmp.resolve("result.json");
        PingPongConfig config = new PingPongConfig(name, "adaptive", 0, 2, 100, 1_000, 1 << 20,
            10_000, false, json, 120);
        PingPongResult r = new PingPongRun(config).run();

        assertEquals(1_000, r.scifLatency().count(), "two rounds of 500");
        assertEquals(1_000, r.floorLatency().count(), "the floor in the same two rounds");
        assertEquals(2, r.p50Ratio().count());
        assertEquals(2, r.streamRatio().count());
        assertEquals(1 << 20, r.streamBytes());
        assertTrue(r.streamGbps() > 0 && r.messageRate() > 0 && r.memcpyGbps() > 0, r.toString());
        assertEquals(List.of(), r.leftBehind());
        assertEquals(List.of(), PingPongRun.leftBehind(name));

        PingPongReport.writeJson(r, json);
        String text = Files.readString(json);
        assertTrue(text.contains("\"fabric\": \"shm:" + name + "?node=0&wait=adaptive\""), text);
        assertTrue(text.contains("\"leftBehind\": []"), text);
    }
}
