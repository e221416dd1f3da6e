package org.scif4j.bench.sweep;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.scif4j.bench.stats.Interleave;
import org.scif4j.bench.stats.LatencyRounds;
import org.scif4j.bench.stats.LatencyStats;
import org.scif4j.bench.stats.Rounds;

/** Everything one {@code scif bench} run measured, round by round; filled in as the run goes. */
public final class BenchResult {
    /**
     * A subject's figure over its baseline, round by round.
     *
     * @param vs     the baseline's series or row
     * @param rounds subject / baseline per round
     */
    public record Ratio(String vs, Rounds rounds) {
    }

    /**
     * Latency ratios of one row to another, round by round.
     *
     * @param row the subject's row
     * @param vs  the baseline's row
     * @param p50 the p50 ratios
     * @param p99 the p99 ratios
     */
    public record LatencyRatio(String row, String vs, Rounds p50, Rounds p99) {
    }

    private final BenchConfig config;
    private final Map<String, Map<Long, List<Double>>> bandwidth = new LinkedHashMap<>();
    private final Map<String, Map<Long, Ratio>> ratios = new LinkedHashMap<>();
    private final Map<String, List<LatencyStats>> latency = new LinkedHashMap<>();
    private final List<LatencyRatio> latencyRatios = new ArrayList<>();
    private final Map<String, List<Double>> rates = new LinkedHashMap<>();
    private final Map<String, Ratio> rateRatios = new LinkedHashMap<>();
    private final List<String> transports = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private String pinning = "";
    private List<String> leftBehind = List.of();
    private long elapsedNanos;

    BenchResult(BenchConfig config) {
        this.config = config;
        notes.addAll(config.skipped());
    }

    /** @return what was asked */
    public BenchConfig config() {
        return config;
    }

    /** @return series name to size to the median GB/s of its batches, in the order measured */
    public Map<String, Map<Long, Double>> bandwidth() {
        Map<String, Map<Long, Double>> m = new LinkedHashMap<>();
        for (Map.Entry<String, Map<Long, List<Double>>> e : bandwidth.entrySet()) {
            Map<Long, Double> sizes = new TreeMap<>();
            for (Map.Entry<Long, List<Double>> p : e.getValue().entrySet()) {
                sizes.put(p.getKey(), Rounds.median(Interleave.doubles(p.getValue())));
            }
            m.put(e.getKey(), sizes);
        }
        return m;
    }

    /** @return subject series to size to its ratio to its baseline, in the order measured */
    public Map<String, Map<Long, Ratio>> ratios() {
        return ratios;
    }

    /**
     * @param series a subject series
     * @param size   bytes
     * @return its ratio, or null if not measured
     */
    public Ratio ratio(String series, long size) {
        Map<Long, Ratio> m = ratios.get(series);
        return m == null ? null : m.get(size);
    }

    /** @return latency rows (8 B round trips) to their rounds, in the order measured */
    public Map<String, List<LatencyStats>> latencyRounds() {
        return latency;
    }

    /** @return latency rows to each percentile's median over the rounds */
    public Map<String, LatencyStats> latency() {
        Map<String, LatencyStats> m = new LinkedHashMap<>();
        for (Map.Entry<String, List<LatencyStats>> e : latency.entrySet()) {
            m.put(e.getKey(), LatencyRounds.median(e.getValue()));
        }
        return m;
    }

    /** @return the latency ratios measured, in order */
    public List<LatencyRatio> latencyRatios() {
        return latencyRatios;
    }

    /**
     * @param row a subject row
     * @param vs  its baseline row
     * @return their ratios, or null if not measured
     */
    public LatencyRatio latencyRatio(String row, String vs) {
        for (LatencyRatio r : latencyRatios) {
            if (r.row().equals(row) && r.vs().equals(vs)) {
                return r;
            }
        }
        return null;
    }

    /**
     * @return message rate rows, e.g. "shm send/recv 64 B messages", to the median messages per
     *         second (on the receiver) of their rounds, in the order measured
     */
    public Map<String, Double> rates() {
        Map<String, Double> m = new LinkedHashMap<>();
        for (Map.Entry<String, List<Double>> e : rates.entrySet()) {
            m.put(e.getKey(), Rounds.median(Interleave.doubles(e.getValue())));
        }
        return m;
    }

    /** @return message rate rows to their messages per second, round by round */
    public Map<String, List<Double>> rateRounds() {
        return rates;
    }

    /** @return subject message rate rows to their ratio to the baseline's rate, in the order measured */
    public Map<String, Ratio> rateRatios() {
        return rateRatios;
    }

    /**
     * @param row a subject message rate row
     * @return its ratio to its baseline's rate, or null if not measured
     */
    public Ratio rateRatio(String row) {
        return rateRatios.get(row);
    }

    /** @return the transports measured */
    public List<String> transports() {
        return transports;
    }

    /** @return transports skipped and other things a reader should know */
    public List<String> notes() {
        return notes;
    }

    /** @return where the processes ran */
    public String pinning() {
        return pinning;
    }

    /** @return files of this run still under /dev/shm at the end (should be empty) */
    public List<String> leftBehind() {
        return leftBehind;
    }

    /** @return how long the run took */
    public long elapsedNanos() {
        return elapsedNanos;
    }

    /**
     * @param series a series name
     * @param size   bytes
     * @return the median GB/s of its batches, or NaN if not measured
     */
    public double gbps(String series, long size) {
        Map<Long, List<Double>> m = bandwidth.get(series);
        List<Double> v = m == null ? null : m.get(size);
        return v == null ? Double.NaN : Rounds.median(Interleave.doubles(v));
    }

    /** Adds batches of a series at a size (a baseline may get several sets, one per subject). */
    void put(String series, long size, List<Double> gbps) {
        bandwidth.computeIfAbsent(series, k -> new LinkedHashMap<>())
            .computeIfAbsent(size, k -> new ArrayList<>()).addAll(gbps);
    }

    /** Records a subject's rounds with the baseline rounds they were interleaved with. */
    void pair(String subject, String baseline, long size, List<Double> subjectGbps, List<Double> baselineGbps) {
        put(subject, size, subjectGbps);
        put(baseline, size, baselineGbps);
        ratios.computeIfAbsent(subject, k -> new TreeMap<>()).put(size, new Ratio(baseline,
            Rounds.ratios(Interleave.doubles(subjectGbps),
                Interleave.doubles(baselineGbps))));
    }

    /** Records a subject's message rates with the baseline's rates of the same rounds. */
    void pairRates(String subject, String baseline, List<Double> subjectRates, List<Double> baselineRates) {
        rates.put(subject, List.copyOf(subjectRates));
        rates.put(baseline, List.copyOf(baselineRates));
        rateRatios.put(subject, new Ratio(baseline, Rounds.ratios(Interleave.doubles(subjectRates),
            Interleave.doubles(baselineRates))));
    }

    void latency(String row, List<LatencyStats> rounds) {
        latency.put(row, List.copyOf(rounds));
    }

    void addLatencyRatio(String row, String vs) {
        List<LatencyStats> s = latency.get(row);
        List<LatencyStats> b = latency.get(vs);
        latencyRatios.add(new LatencyRatio(row, vs, LatencyRounds.ratios(s, b, LatencyStats::median),
            LatencyRounds.ratios(s, b, LatencyStats::p99)));
    }

    void pinning(String p) {
        pinning = p;
    }

    void leftBehind(List<String> files) {
        leftBehind = List.copyOf(files);
    }

    void elapsedNanos(long n) {
        elapsedNanos = n;
    }
}
