package org.scif4j.bench.sweep;

import java.io.IOException;
import java.util.List;
import java.util.function.LongFunction;
import org.scif4j.bench.stats.Interleave;

/**
 * A bandwidth subject and its baseline in interleaved rounds, moving the same bytes per batch:
 * {@link BenchConfig#transfers} of them, or more when the slower of the two would take less than
 * {@link BenchConfig#MIN_BATCH_NANOS} (measured in a first, unrecorded round), so that one
 * hiccup of the machine weighs little in a batch. The rounds go into the run's results.
 */
final class PairedRounds {
    private final BenchConfig config;
    private final BenchResult result;

    PairedRounds(BenchConfig config, BenchResult result) {
        this.config = config;
        this.result = result;
    }

    /**
     * @param subject the subject's series
     * @param vs      the baseline's series
     * @param size    bytes per transfer
     * @param base    the baseline's batch of n transfers, GB/s
     * @param own     the subject's batch of n transfers, GB/s
     * @throws IOException when a batch fails
     */
    void measure(String subject, String vs, long size, LongFunction<Interleave.Trial<Double>> base,
                 LongFunction<Interleave.Trial<Double>> own) throws IOException {
        long n = config.transfers(size);
        double slowest = Math.min(base.apply(n).run(), own.apply(n).run());
        double nanos = size * n / slowest;
        if (nanos < BenchConfig.MIN_BATCH_NANOS) {
            n = (long) Math.ceil(n * BenchConfig.MIN_BATCH_NANOS / nanos);
        }
        List<List<Double>> r = Interleave.run(config.rounds(), List.of(base.apply(n), own.apply(n)));
        result.pair(subject, vs, size, r.get(1), r.get(0));
    }
}
