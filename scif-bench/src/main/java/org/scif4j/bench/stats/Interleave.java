package org.scif4j.bench.stats;

import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Runs a baseline and the subjects it judges in turn, round after round (baseline, subject,
 * baseline, subject, ...), so that every ratio is taken between figures of the same moments of
 * a noisy machine: the ratio of one round is {@code subject / baseline} of that round.
 */
public final class Interleave {
    /**
     * One timed piece of work of a round.
     *
     * @param <T> its figure, e.g. GB/s or latency percentiles
     */
    @FunctionalInterface
    public interface Trial<T> {
        /**
         * @return the figure of this run
         * @throws IOException when the work fails
         */
        T run() throws IOException;
    }

    private Interleave() {
    }

    /**
     * What {@link #run(int, List)} does, for the headers of the commands' output.
     *
     * @param rounds the rounds
     * @return e.g. {@code a warm-up of each (>= 250 ms and >= 1 run, and until the JIT compiled nothing for 100 ms,
     *     at most 3 s), then 9 rounds}
     */
    public static String describe(int rounds) {
        return "a warm-up of each (>= " + WARM_UP_NANOS / 1_000_000 + " ms and >= 1 run, and until the JIT compiled nothing for "
            + JIT_QUIET_NANOS / 1_000_000 + " ms, at most " + MAX_WARM_UP_NANOS / 1_000_000_000 + " s), then " + rounds
            + (rounds == 1 ? " round" : " rounds");
    }

    /**
     * How long each trial warms up at least, unrecorded: a batch of a fast figure takes a few
     * milliseconds, too short for the JIT to compile its path, and a subject whose other end
     * is a fresh child JVM would be measured while it compiles against a baseline that runs
     * in this already-warm JVM.
     */
    public static final long WARM_UP_NANOS = 250_000_000L;
    /** At most this many warm-up runs of one trial, however short each is. */
    static final int MAX_WARM_UP_RUNS = 1000;
    /**
     * The warm-up also lasts until this JVM's JIT compiled nothing for this long. On two vCPUs
     * that the measured threads keep busy, the compiler threads get little time: C2 compiled
     * shm's send and recv 150-250 ms into the 8-byte round trips' warm-up, and an unstable-if trap
     * (a branch, such as the ring's wrap, that the short profile had not seen) sent them back
     * to the interpreter in the first recorded rounds, which ran 1.2-1.7x the later ones
     * (docs/decisions.md, "The bench's warm-up waits for the JIT").
     */
    static final long JIT_QUIET_NANOS = 100_000_000L;
    /** However long the JIT keeps compiling, a trial warms up at most this long. */
    static final long MAX_WARM_UP_NANOS = 3_000_000_000L;

    /**
     * Warms every trial up (runs it, unrecorded, at least once and for at least
     * {@link #WARM_UP_NANOS}, then until the JIT is quiet: {@link #JIT_QUIET_NANOS}), then runs
     * {@code rounds} rounds of every trial in the given order.
     *
     * @param rounds rounds, at least 1
     * @param trials the trials, baseline first
     * @param <T>    their figure
     * @return per trial (in the given order), its figures in round order
     * @throws IOException when a trial fails
     */
    public static <T> List<List<T>> run(int rounds, List<? extends Trial<T>> trials) throws IOException {
        return run(rounds, trials, WARM_UP_NANOS, System::nanoTime, Interleave::jitMillis);
    }

    /**
     * {@link #run(int, List)} with a given warm-up time and clocks.
     *
     * @param warmUpNanos how long each trial warms up at least
     * @param clock       nanoseconds, as {@link System#nanoTime()}
     * @param jit         a count that moves while the JIT compiles, as {@link #jitMillis()}
     */
    static <T> List<List<T>> run(int rounds, List<? extends Trial<T>> trials, long warmUpNanos, LongSupplier clock,
                                 LongSupplier jit) throws IOException {
        if (rounds < 1) {
            throw new IllegalArgumentException("rounds must be at least 1, not " + rounds);
        }
        List<List<T>> out = new ArrayList<>();
        for (Trial<T> t : trials) {
            warmUp(t, warmUpNanos, clock, jit);
            out.add(new ArrayList<>(rounds));
        }
        for (int r = 0; r < rounds; r++) {
            for (int t = 0; t < trials.size(); t++) {
                out.get(t).add(trials.get(t).run());
            }
        }
        return out;
    }

    /**
     * Runs {@code t} unrecorded: at least once and for at least {@code warmUpNanos}, then on
     * until the JIT was quiet for {@link #JIT_QUIET_NANOS}; never more than
     * {@link #MAX_WARM_UP_RUNS} runs or (once past the first run) {@link #MAX_WARM_UP_NANOS}.
     */
    private static void warmUp(Trial<?> t, long warmUpNanos, LongSupplier clock, LongSupplier jit) throws IOException {
        long start = clock.getAsLong();
        long compiled = jit.getAsLong();
        long quietSince = start;
        int runs = 0;
        long now;
        do {
            t.run();
            runs++;
            now = clock.getAsLong();
            long c = jit.getAsLong();
            if (c != compiled) {
                compiled = c;
                quietSince = now;
            }
        } while (runs < MAX_WARM_UP_RUNS && now - start < MAX_WARM_UP_NANOS
            && (now - start < warmUpNanos || now - quietSince < JIT_QUIET_NANOS));
    }

    /**
     * @return the milliseconds this JVM's JIT spent compiling so far, or 0 where the JVM does
     *     not tell (the warm-up is then time alone)
     */
    static long jitMillis() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
    }

    /**
     * @param figures figures of one trial, in round order
     * @return them as an array
     */
    public static double[] doubles(List<Double> figures) {
        double[] d = new double[figures.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = figures.get(i);
        }
        return d;
    }
}
