package org.scif4j.bench.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The order of interleaved rounds and the length of their warm-up, on a clock the test moves. */
class InterleaveTest {
    private long now;
    /** The test's JIT: compiles while {@link #now} is before this. */
    private long compilingUntil;

    /** Milliseconds of compilation, moving with the clock until {@link #compilingUntil}. */
    private long jit() {
        return Math.min(now, compilingUntil) / 1_000_000L;
    }

    /** A trial that takes {@code millis} of the test's clock and logs its name. */
    private Interleave.Trial<Integer> trial(String name, long millis, List<String> log) {
        int[] runs = {0};
        return () -> {
            now += millis * 1_000_000L;
            log.add(name);
            return ++runs[0];
        };
    }

    @Test
    void eachTrialWarmsUpForTheWarmUpTimeThenTheRoundsAlternate() throws Exception {
        List<String> log = new ArrayList<>();
        List<List<Integer>> figures = Interleave.run(3,
            List.of(trial("base", 100, log), trial("subject", 30, log)), 250_000_000L, () -> now, this::jit);
        // base: 3 warm-up runs reach 300 ms >= 250 ms; subject: 9 runs reach 270 ms
        List<String> expected = new ArrayList<>();
        expected.addAll(java.util.Collections.nCopies(3, "base"));
        expected.addAll(java.util.Collections.nCopies(9, "subject"));
        for (int r = 0; r < 3; r++) {
            expected.add("base");
            expected.add("subject");
        }
        assertEquals(expected, log, "warm-up of each trial, then baseline and subject in turn");
        assertEquals(List.of(4, 5, 6), figures.get(0), "the baseline's recorded figures leave out its warm-up");
        assertEquals(List.of(10, 11, 12), figures.get(1), "the subject's recorded figures leave out its warm-up");
    }

    @Test
    void aSlowTrialWarmsUpOnceAndAnInstantOneAtMostTheCap() throws Exception {
        List<String> log = new ArrayList<>();
        Interleave.run(1, List.of(trial("slow", 5_000, log), trial("instant", 0, log)), 250_000_000L, () -> now, this::jit);
        assertEquals(1 + 1, log.stream().filter("slow"::equals).count(), "one warm-up run, one round");
        assertEquals(Interleave.MAX_WARM_UP_RUNS + 1, log.stream().filter("instant"::equals).count(),
            "warm-up runs are capped, then one round");
    }

    @Test
    void theWarmUpGoesOnUntilTheJitWasQuietForItsTime() throws Exception {
        List<String> log = new ArrayList<>();
        compilingUntil = 400_000_000L; // past the 250 ms: a compile the warm-up's profile set off
        Interleave.run(1, List.of(trial("subject", 30, log)), 250_000_000L, () -> now, this::jit);
        // compiles seen after runs ending at 30..420 ms (the last move at 420); quiet from 420 to 540
        assertEquals(18 + 1, log.size(), "warm-up to 100 ms after the last compile, then one round");
    }

    @Test
    void aJitThatNeverSettlesEndsTheWarmUpAtItsLongest() throws Exception {
        List<String> log = new ArrayList<>();
        compilingUntil = Long.MAX_VALUE;
        Interleave.run(1, List.of(trial("subject", 100, log)), 250_000_000L, () -> now, this::jit);
        assertEquals(Interleave.MAX_WARM_UP_NANOS / 100_000_000L + 1, log.size(), "3 s of warm-up runs, then one round");
    }

    @Test
    void theHeadersSayWhatRunDoes() {
        assertEquals("a warm-up of each (>= 250 ms and >= 1 run, and until the JIT compiled nothing for 100 ms, at most 3 s),"
            + " then 9 rounds", Interleave.describe(9));
        assertEquals("a warm-up of each (>= 250 ms and >= 1 run, and until the JIT compiled nothing for 100 ms, at most 3 s),"
            + " then 1 round", Interleave.describe(1));
    }

    @Test
    void noRoundsIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Interleave.run(0, List.of(() -> 1.0)));
    }
}
