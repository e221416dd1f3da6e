package org.scif4j.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.scif4j.EndpointMetrics;

/**
 * The meters of an {@link EndpointMetrics}, one table for an endpoint's and a node's totals:
 * each is a {@link FunctionCounter} that reads its field from a fresh snapshot when the
 * registry publishes (nothing is counted twice, and nothing runs on the data path).
 */
final class EndpointMeters {
    private record Meter(String name, String unit, Tag extra, ToLongFunction<EndpointMetrics> field, String help) {
    }

    private static final Tag WRITE = Tag.of("direction", "write");
    private static final Tag READ = Tag.of("direction", "read");
    private static final Meter[] METERS = {
        new Meter("bytes.sent", "bytes", null, EndpointMetrics::bytesSent, "bytes send moved to the peer"),
        new Meter("bytes.received", "bytes", null, EndpointMetrics::bytesReceived,
            "bytes recv moved from the peer"),
        new Meter("sends", "calls", null, EndpointMetrics::sends, "send calls that moved bytes"),
        new Meter("receives", "calls", null, EndpointMetrics::receives, "recv calls that moved bytes"),
        new Meter("rma.operations", "operations", WRITE, EndpointMetrics::rmaWrites, "writeTo and vwriteTo calls"),
        new Meter("rma.operations", "operations", READ, EndpointMetrics::rmaReads, "readFrom and vreadFrom calls"),
        new Meter("rma.bytes", "bytes", WRITE, EndpointMetrics::rmaWriteBytes, "bytes RMA wrote to the peer"),
        new Meter("rma.bytes", "bytes", READ, EndpointMetrics::rmaReadBytes, "bytes RMA read from the peer"),
        new Meter("fence.marks", "calls", null, EndpointMetrics::fenceMarks, "fenceMark calls"),
        new Meter("fence.waits", "calls", null, EndpointMetrics::fenceWaits, "fenceWait calls that returned"),
        new Meter("fence.signals", "calls", null, EndpointMetrics::fenceSignals, "fenceSignal calls"),
    };

    private EndpointMeters() {
    }

    /**
     * Registers every meter of the table.
     *
     * @param prefix   {@code scif.node.} or {@code scif.endpoint.}: one name, one set of tag keys
     * @param source   what the meters read (held weakly by Micrometer, as for every function meter)
     * @param snapshot its current counts
     */
    static <T> void bind(MeterRegistry registry, String prefix, T source, Function<T, EndpointMetrics> snapshot,
                         Tags tags) {
        for (Meter m : METERS) {
            ToLongFunction<EndpointMetrics> field = m.field();
            FunctionCounter.builder(prefix + m.name(), source, s -> field.applyAsLong(snapshot.apply(s)))
                .baseUnit(m.unit())
                .description(m.help())
                .tags(m.extra() == null ? tags : tags.and(m.extra()))
                .register(registry);
        }
    }
}
