package org.scif4j.micrometer;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.scif4j.Endpoint;
import org.scif4j.EndpointMetrics;
import org.scif4j.PortId;

/**
 * Binds one endpoint's {@link EndpointMetrics} to a Micrometer registry:
 * {@code scif.endpoint.bytes.sent}, {@code .bytes.received}, {@code .sends}, {@code .receives},
 * {@code .rma.operations} and {@code .rma.bytes} (tagged {@code direction=write|read}),
 * {@code .fence.marks}, {@code .fence.waits} and {@code .fence.signals}, tagged with
 * the endpoint's {@code node} and {@code port}. For a long-lived connection worth its own
 * series; the node's totals ({@link ScifNodeMeters}) cover every endpoint at no per-endpoint
 * cost.
 *
 * <pre>{@code
 * Endpoint ep = node.open();
 * ep.connect(new PortId(1, 2000));
 * new ScifEndpointMeters(ep, Tags.of("peer", "card1")).bindTo(registry);
 * }</pre>
 *
 * Bind it once the endpoint is bound (its port is in the tags). Micrometer holds the endpoint
 * weakly; a closed endpoint's meters keep their last values until it is dropped.
 */
public final class ScifEndpointMeters implements MeterBinder {
    private final Endpoint endpoint;
    private final Tags tags;

    /**
     * Meters tagged with the endpoint's node and port and {@code extraTags}.
     *
     * @param endpoint  the endpoint
     * @param extraTags further tags
     */
    public ScifEndpointMeters(Endpoint endpoint, Iterable<Tag> extraTags) {
        this.endpoint = java.util.Objects.requireNonNull(endpoint, "endpoint");
        PortId p = endpoint.localPort();
        this.tags = Tags.of(extraTags).and("node", Integer.toString(p.node()), "port", Integer.toString(p.port()));
    }

    /**
     * Meters tagged with the endpoint's node and port.
     *
     * @param endpoint the endpoint
     */
    public ScifEndpointMeters(Endpoint endpoint) {
        this(endpoint, Tags.empty());
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        EndpointMeters.bind(registry, "scif.endpoint.", endpoint, Endpoint::metrics, tags);
    }
}
