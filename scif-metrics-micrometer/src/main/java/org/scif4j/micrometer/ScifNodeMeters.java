package org.scif4j.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.function.ToLongFunction;
import org.scif4j.NodeMetrics;
import org.scif4j.ScifNode;

/**
 * Binds a node attachment's {@link NodeMetrics} to a Micrometer registry: counters
 * {@code scif.node.endpoints.opened}, {@code scif.node.connects}, {@code scif.node.accepts},
 * {@code scif.node.connects.refused}, {@code scif.node.peers.lost}, the gauge
 * {@code scif.node.endpoints.open}, and the node's totals of every endpoint counter
 * ({@code scif.node.bytes.sent}, {@code scif.node.rma.bytes} with {@code direction=write|read},
 * {@code scif.node.fence.waits}, ...), each tagged {@code node=<selfId>}. The meters read
 * {@link ScifNode#metrics()} when the registry publishes; the data path is untouched.
 *
 * <pre>{@code
 * MeterRegistry registry = new SimpleMeterRegistry(); // or your Prometheus, JMX, ... registry
 * ScifNode node = Scif.attach("shm:demo?node=0");
 * new ScifNodeMeters(node).bindTo(registry);
 * }</pre>
 *
 * Micrometer holds the node weakly: once the application drops it, its meters read NaN.
 */
public final class ScifNodeMeters implements MeterBinder {
    private final ScifNode node;
    private final Tags tags;

    /**
     * Meters tagged {@code node=<selfId>}.
     *
     * @param node the node attachment
     */
    public ScifNodeMeters(ScifNode node) {
        this(node, Tags.empty());
    }

    /**
     * Meters tagged {@code node=<selfId>} and {@code extraTags} (e.g. the fabric's name).
     *
     * @param node      the node attachment
     * @param extraTags further tags
     */
    public ScifNodeMeters(ScifNode node, Iterable<Tag> extraTags) {
        this.node = java.util.Objects.requireNonNull(node, "node");
        this.tags = Tags.of(extraTags).and("node", Integer.toString(node.selfId()));
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        counter(registry, "scif.node.endpoints.opened", NodeMetrics::endpointsOpened, "endpoints opened or accepted");
        counter(registry, "scif.node.connects", NodeMetrics::connects, "connect calls that connected");
        counter(registry, "scif.node.accepts", NodeMetrics::accepts, "accept calls that returned an endpoint");
        counter(registry, "scif.node.connects.refused", NodeMetrics::connectsRefused,
            "connect calls refused (ECONNREFUSED)");
        counter(registry, "scif.node.peers.lost", NodeMetrics::peersLost,
            "connections whose peer went away first");
        Gauge.builder("scif.node.endpoints.open", node, n -> n.metrics().endpointsOpen())
            .description("endpoints not yet closed").baseUnit("endpoints").tags(tags).register(registry);
        EndpointMeters.bind(registry, "scif.node.", node, n -> n.metrics().totals(), tags);
    }

    private void counter(MeterRegistry registry, String name, ToLongFunction<NodeMetrics> field, String help) {
        FunctionCounter.builder(name, node, n -> field.applyAsLong(n.metrics()))
            .description(help).tags(tags).register(registry);
    }
}
