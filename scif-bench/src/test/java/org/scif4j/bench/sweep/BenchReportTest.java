package org.scif4j.bench.sweep;

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
 * The round-trip section of {@code scif bench} on results filled in by hand (nothing is run): a
 * floor whose p50 moved between the machine's placements of the two cpus during the run is
 * pointed out, so that its wide spread is not read as the code's; a floor that held still is not.
 */
class BenchReportTest {
    private static BenchResult run(long... floorP50s) {
        BenchResult r = new BenchResult(new BenchConfig(List.of("shm:t?dma=2"), List.of(), List.of(65536L),
            64L << 20, floorP50s.length, 2000, 100_000, 10_000, 4_500_000, List.of(), true, null, null, 600));
        r.transports().add("shm");
        List<LatencyStats> floor = new ArrayList<>();
        List<LatencyStats> shm = new ArrayList<>();
        for (long p50 : floorP50s) {
            floor.add(new LatencyStats(11_111, p50, p50 + 10, p50 + 20, p50 + 30, p50 + 1000));
            shm.add(new LatencyStats(11_111, p50 * 13 / 10, p50 * 14 / 10, p50 * 15 / 10, p50 * 2, p50 * 20));
        }
        r.latency(Series.FLOOR, floor);
        r.latency(Series.roundTrip("shm"), shm);
        return r;
    }

    private static String printed(BenchResult r) {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        BenchReport.print(r, new PrintStream(text, true, StandardCharsets.UTF_8));
        return text.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aFloorThatMovedBetweenPlacementsIsPointedOut() {
        String text = printed(run(80, 81, 80, 511, 501, 511, 80, 90, 80));
        assertTrue(text.contains("note: " + Series.FLOOR + ": p50 80 to 511 ns from round to round"), text);
    }

    @Test
    void aFloorThatHeldStillIsNot() {
        String text = printed(run(130, 140, 131, 140, 150, 141, 130, 140, 140));
        assertFalse(text.contains("note: " + Series.FLOOR), text);
    }

    @Test
    void theSubjectsOwnSpreadIsNoPlacementChange() {
        BenchResult r = run(130, 140, 131, 140, 150, 141, 130, 140, 140);
        List<LatencyStats> wide = new ArrayList<>();
        for (long p50 : new long[] {170, 400, 170, 180, 900, 170, 175, 180, 170}) {
            wide.add(new LatencyStats(11_111, p50, p50, p50, p50, p50));
        }
        r.latency(Series.roundTrip("shm"), wide);
        assertFalse(printed(r).contains("note: "), "only a floor's rounds tell the cpus' placement");
    }
}
