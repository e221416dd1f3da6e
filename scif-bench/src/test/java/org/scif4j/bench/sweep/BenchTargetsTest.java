package org.scif4j.bench.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scif4j.bench.stats.Target;
import org.scif4j.bench.stats.Verdict;

/**
 * The message rate row of {@code scif bench} on a result filled in by hand (nothing is run):
 * shm's 64 B messages per second over Aeron IPC's of the same rounds, judged against the target
 * "shm 64 B messages &gt;= Aeron IPC's rate", printed and written to JSON.
 */
class BenchTargetsTest {
    private static final String TARGET = "shm 64 B messages >= Aeron IPC's rate";
    private static final String SHM = "shm send/recv 64 B messages";
    private static final String AERON = "aeron ipc 64 B messages";

    /** A default-like run of shm at one size, 9 rounds, 4,500,000 messages (500,000 per round). */
    private static BenchResult shmRun() {
        BenchResult r = new BenchResult(new BenchConfig(List.of("shm:t?dma=2"), List.of(), List.of(65536L),
            64L << 20, 9, 2000, 100_000, 10_000, 4_500_000, List.of("aeron"), true, null, null, 600));
        r.transports().add("shm");
        return r;
    }

    /** Aeron at 10 M msg/s every round, shm at {@code factor} times that, give or take 5 %. */
    private static void rates(BenchResult r, double factor) {
        double[] spread = {0.95, 1.0, 1.05, 1.0, 0.975, 1.025, 1.0, 1.0, 1.0};
        List<Double> shm = new ArrayList<>();
        List<Double> aeron = new ArrayList<>();
        for (double s : spread) {
            aeron.add(10e6);
            shm.add(10e6 * factor * s);
        }
        r.pairRates(Series.messages(Series.of("shm", "send/recv")), Series.messages(Series.AERON_STREAM), shm, aeron);
    }

    private static Target.Judgement judgement(BenchResult r) {
        for (Target.Judgement j : BenchTargets.shm(r)) {
            if (j.target().what().equals(TARGET)) {
                return j;
            }
        }
        return null;
    }

    @Test
    void theMessageRateRowsAreNamedByTheirSeries() {
        assertEquals(SHM, Series.messages(Series.of("shm", "send/recv")));
        assertEquals(AERON, Series.messages(Series.AERON_STREAM));
    }

    @Test
    void shmsMessageRateIsJudgedOnItsRatioToAeronsOfTheSameRounds() {
        BenchResult fast = shmRun();
        rates(fast, 2.0);
        Target.Judgement j = judgement(fast);
        assertNotNull(j, "the shm targets include " + TARGET);
        assertEquals(1.0, j.target().goal());
        assertTrue(j.target().atLeast(), "higher is better");
        assertEquals(2.0, j.shown().median(), 1e-9);
        assertEquals(Verdict.MET, j.verdict());

        BenchResult slow = shmRun();
        rates(slow, 0.5);
        assertEquals(Verdict.MISSED, judgement(slow).verdict());

        BenchResult close = shmRun();
        rates(close, 1.02);
        assertEquals(Verdict.WITHIN_NOISE, judgement(close).verdict(), "1.02x, widened by 10 %, spans 1.0");
    }

    @Test
    void withoutAeronTheMessageRateIsNotMeasured() {
        BenchResult r = shmRun();
        assertNull(r.rateRatio(SHM));
        assertEquals(Verdict.NOT_MEASURED, judgement(r).verdict());
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        BenchReport.print(r, new PrintStream(text, true, StandardCharsets.UTF_8));
        String t = text.toString(StandardCharsets.UTF_8);
        assertTrue(!t.contains("M msg/s") && !t.contains("message rate ratios") && !t.contains("per round for shm"), t);
        assertTrue(t.matches("(?s).*\\n  " + TARGET + "\\s+-\\s+not measured\\n.*"), t);
    }

    @Test
    void theReportPrintsBothRatesTheRatioWithItsSpreadAndTheVerdict(@TempDir Path tmp) throws Exception {
        BenchResult r = shmRun();
        rates(r, 2.0);
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        BenchReport.print(r, new PrintStream(captured, true, StandardCharsets.UTF_8));
        String text = captured.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("64 B messages: 500,000 per round for shm send/recv and for Aeron IPC alike"), text);
        assertTrue(text.matches("(?s).*\\n" + SHM + "\\s+20\\.00\\n.*"), text);
        assertTrue(text.matches("(?s).*\\n" + AERON + "\\s+10\\.00\\n.*"), text);
        // 9 rounds: the median, then the 2nd to the 8th of the per-round ratios in order
        assertTrue(text.matches("(?s).*\\n  " + SHM + " / " + AERON + "\\s+2\\.00x 1\\.95-2\\.05\\n.*"), text);
        assertTrue(text.matches("(?s).*\\n  " + TARGET + "\\s+2\\.00x 1\\.95-2\\.05\\s+met\\n.*"), text);

        Path json = tmp.resolve("r.json");
        BenchReport.writeJson(r, json);
        String j = Files.readString(json);
        assertTrue(j.contains("\"messages\": 4500000,"), j);
        assertTrue(j.contains("\"messagesPerSecond\": {\n    \"" + SHM + "\": 2.00000e+07,\n    \"" + AERON
            + "\": 1.00000e+07\n  }"), j);
        assertTrue(j.contains("\"messageRateRatios\": {\n    \"" + SHM + "\": {\"vs\": \"" + AERON
            + "\", \"median\": 2.00000, \"low\": 1.95000, \"high\": 2.05000, \"rounds\": [1.90000, 2.00000,"), j);
        assertTrue(j.contains("{\"target\": \"" + TARGET + "\", \"verdict\": \"met\", \"median\": 2.00000}"), j);
    }
}
