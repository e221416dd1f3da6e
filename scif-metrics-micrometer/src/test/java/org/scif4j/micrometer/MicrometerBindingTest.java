package org.scif4j.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.scif4j.Endpoint;
import org.scif4j.EndpointMetrics;
import org.scif4j.NodeMetrics;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifMemory;
import org.scif4j.ScifNode;

/**
 * The meters read the same counts as the API's snapshots, after real traffic between two shm
 * nodes: node meters (counters, the open-endpoints gauge, the totals), endpoint meters with
 * their node and port tags, RMA meters split by direction.
 */
class MicrometerBindingTest {
    private Path dir;

    @BeforeEach
    void makeDir() throws IOException {
        dir = Files.createTempDirectory(Path.of("/dev/shm"), "scif-micrometer-");
    }

    @AfterEach
    void removeDir() throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    void metersShowTheNodesAndTheEndpointsCounts() throws Exception {
        String fabric = "shm:meters?dir=" + dir + "&node=";
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (ScifNode host = Scif.attach(fabric + 0); ScifNode card = Scif.attach(fabric + 1);
             ScifMemory mine = card.allocate(8192); ScifMemory theirs = host.allocate(8192)) {
            new ScifNodeMeters(card, Tags.of("fabric", "meters")).bindTo(registry);
            Endpoint listener = host.open();
            int port = listener.bind(0);
            listener.listen(1);
            Endpoint ep = card.open();
            ep.configureBlocking(false); // the handshake goes on while this thread accepts
            try {
                ep.connect(new PortId(0, port));
            } catch (org.scif4j.ScifException e) {
                assertEquals(org.scif4j.Errno.EINPROGRESS, e.errno());
            }
            Endpoint served = listener.accept(Scif.ACCEPT_SYNC);
            ep.connect(new PortId(0, port)); // collects the result
            new ScifEndpointMeters(ep).bindTo(registry);
            ep.send(ByteBuffer.allocate(1000), Scif.SEND_BLOCK);
            served.recv(ByteBuffer.allocate(1000), Scif.RECV_BLOCK);
            long local = ep.register(mine.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
            long remote = served.register(theirs.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
            ep.writeTo(local, 8192, remote, Scif.RMA_SYNC);
            ep.readFrom(local, 4096, remote, Scif.RMA_SYNC);

            NodeMetrics n = card.metrics();
            EndpointMetrics e = ep.metrics();
            assertEquals(1000, e.bytesSent());
            String node = Integer.toString(card.selfId());
            assertEquals(e.bytesSent(), count(registry, "scif.endpoint.bytes.sent", "node", node, "port",
                Integer.toString(ep.localPort().port())));
            assertEquals(8192, count(registry, "scif.endpoint.rma.bytes", "direction", "write"));
            assertEquals(4096, count(registry, "scif.endpoint.rma.bytes", "direction", "read"));
            assertEquals(1, count(registry, "scif.endpoint.rma.operations", "direction", "read"));
            assertEquals(n.totals().bytesSent(), count(registry, "scif.node.bytes.sent", "fabric", "meters",
                "node", node));
            assertEquals(n.connects(), count(registry, "scif.node.connects"));
            assertEquals(1, count(registry, "scif.node.connects"));
            assertEquals(1.0, registry.get("scif.node.endpoints.open").gauge().value());
            ep.close();
            assertEquals(0.0, registry.get("scif.node.endpoints.open").gauge().value(), "the gauge follows close");
            assertEquals(1000, count(registry, "scif.node.bytes.sent"), "the totals keep the closed endpoint's");
            assertTrue(registry.getMeters().size() >= 2 * 11 + 6, "every meter is registered: "
                + registry.getMeters().size());
        }
    }

    private static double count(SimpleMeterRegistry registry, String name, String... tags) {
        return registry.get(name).tags(tags).functionCounter().count();
    }
}
