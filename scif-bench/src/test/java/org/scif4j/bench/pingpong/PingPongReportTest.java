package org.scif4j.bench.pingpong;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.scif4j.bench.stats.LatencyStats;

/**
 * {@code scif pingpong}'s report on results filled in by hand (nothing is run): a floor whose
 * p50 moved between placements of the two cpus during the run is pointed out, as in
 * {@code scif bench}; a floor that held still is not.
 */
class PingPongReportTest {
    private static String printed(long... floorP50s) {
        List<LatencyStats> floor = new ArrayList<>();
        List<LatencyStats> scif = new ArrayList<>();
        for (long p50 : floorP50s) {
            floor.add(new LatencyStats(50_000, p50, p50 + 10, p50 + 20, p50 + 30, p50 + 1000));
            scif.add(new LatencyStats(50_000, p50 + 40, p50 + 50, p50 + 60, p50 + 300, p50 + 5000));
        }
        int n = floorP50s.length;
        double[] same = new double[n];
        java.util.Arrays.fill(same, 1.0);
        PingPongConfig config = new PingPongConfig("t", "adaptive", 0, n, 10_000, 350_000, 1L << 30, 2_000_000,
            true, null, 300);
        PingPongResult r = new PingPongResult(config, "pinned to cpus 0 and 1", scif, floor, same, same, same,
            List.of(), new double[] {0, 0, 0});
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        PingPongReport.print(r, new PrintStream(text, true, StandardCharsets.UTF_8));
        return text.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aFloorThatMovedBetweenPlacementsIsPointedOut() {
        String text = printed(71, 71, 140, 141, 140, 80, 71);
        assertTrue(text.contains("note: floor: raw shm flag ping-pong: p50 71 to 141 ns from round to round"), text);
    }

    @Test
    void aFloorThatHeldStillIsNot() {
        assertFalse(printed(130, 140, 131, 140, 150, 141, 130).contains("note:"));
    }
}
