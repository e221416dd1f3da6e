package org.scif4j.bench.sweep;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.scif4j.bench.stats.LatencyStats;

/** Everything one {@code scif bench} run measured; filled in as the run goes. */
public final class BenchResult {
    private final BenchConfig config;
    private final Map<String, Map<Long, Double>> bandwidth = new LinkedHashMap<>();
    private final Map<String, LatencyStats> latency = new LinkedHashMap<>();
    private final Map<String, Double> rates = new LinkedHashMap<>();
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

    /** @return series name to size to GB/s, in the order measured */
    public Map<String, Map<Long, Double>> bandwidth() {
        return bandwidth;
    }

    /** @return latency rows (8 B round trips), in the order measured */
    public Map<String, LatencyStats> latency() {
        return latency;
    }

    /** @return message rates, e.g. "aeron ipc 64 B" to messages per second */
    public Map<String, Double> rates() {
        return rates;
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
     * @return GB/s, or NaN if not measured
     */
    public double gbps(String series, long size) {
        Map<Long, Double> m = bandwidth.get(series);
        Double v = m == null ? null : m.get(size);
        return v == null ? Double.NaN : v;
    }

    void put(String series, long size, double gbps) {
        bandwidth.computeIfAbsent(series, k -> new TreeMap<>()).put(size, gbps);
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
