package org.scif4j.examples;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import org.scif4j.Endpoint;
import org.scif4j.EndpointMetrics;
import org.scif4j.Errno;
import org.scif4j.NodeMetrics;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifMemory;
import org.scif4j.ScifNode;
import org.scif4j.micrometer.ScifNodeMeters;

/**
 * Counters: what an endpoint and a node attachment have moved, read as snapshots through
 * {@code Endpoint.metrics()} and {@code ScifNode.metrics()}, and the same counts as Micrometer
 * meters (the optional module scif-metrics-micrometer), ready for any registry a service
 * already publishes (Prometheus, JMX, ...).
 *
 * <p>The card tries a port nobody listens on (a refused connect), then connects to the host,
 * sends {@link #MESSAGES} messages of {@link #MESSAGE} bytes and writes {@link #RMA} bytes
 * into the host's window; then both print their counters.
 *
 * <p>Run: {@code java ... org.scif4j.examples.Metrics [HOST-URI CARD-URI]}, by default two
 * nodes of a fresh shm fabric. Works on tcp too.
 */
public final class Metrics {
    /** Messages the card sends. */
    public static final int MESSAGES = 100;
    /** Bytes per message. */
    public static final int MESSAGE = 256;
    /** Bytes of the card's writeTo. */
    public static final int RMA = 64 * 1024;

    private Metrics() {
    }

    /**
     * Runs host and card, each attached as its own node.
     *
     * @param args none, or the host's and the card's fabric URI
     * @throws Exception if a SCIF call fails
     */
    public static void main(String[] args) throws Exception {
        String[] uris = Fabrics.hostAndCard(args, "metrics");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (ScifNode host = Scif.attach(uris[0]);
             ScifNode card = Scif.attach(uris[1]);
             ScifMemory window = host.allocate(RMA);
             ScifMemory source = card.allocate(RMA)) {
            new ScifNodeMeters(card).bindTo(registry);   // the card node's counters as meters
            Endpoint listener = host.open();
            int port = listener.bind(0);
            listener.listen(1);
            Endpoint ep = card.open();
            try {
                ep.connect(new PortId(host.selfId(), port + 1)); // nobody listens there
            } catch (ScifException e) {
                if (e.errno() != Errno.ECONNREFUSED) {
                    throw e;
                }
            }
            ep.configureBlocking(false);                 // one thread plays both sides: start the handshake,
            try {
                ep.connect(new PortId(host.selfId(), port));
            } catch (ScifException e) {
                if (e.errno() != Errno.EINPROGRESS) {
                    throw e;
                }
            }
            Endpoint served = listener.accept(Scif.ACCEPT_SYNC); // accept it,
            ep.connect(new PortId(host.selfId(), port));   // and collect the connect's result
            long hostWindow = served.register(window.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
            long cardWindow = ep.register(source.buffer(), 0, Scif.PROT_READ, 0);
            for (int i = 0; i < MESSAGES; i++) {
                ep.send(ByteBuffer.allocate(MESSAGE), Scif.SEND_BLOCK);
            }
            served.recv(ByteBuffer.allocate(MESSAGES * MESSAGE), Scif.RECV_BLOCK);
            ep.writeTo(cardWindow, RMA, hostWindow, 0);
            ep.fenceWait(ep.fenceMark(Scif.FENCE_INIT_SELF));

            EndpointMetrics sent = ep.metrics();
            System.out.printf("card endpoint: sent %d bytes in %d sends, wrote %d bytes in %d RMAs, %d fence waits%n",
                sent.bytesSent(), sent.sends(), sent.rmaWriteBytes(), sent.rmaWrites(), sent.fenceWaits());
            EndpointMetrics got = served.metrics();
            System.out.printf("host endpoint: received %d bytes in %d receives%n", got.bytesReceived(), got.receives());
            NodeMetrics node = card.metrics();
            System.out.printf("card node: %d endpoints opened, %d connects, %d refused%n", node.endpointsOpened(),
                node.connects(), node.connectsRefused());
            System.out.printf("micrometer: scif.node.bytes.sent = %.0f, scif.node.connects.refused = %.0f%n",
                registry.get("scif.node.bytes.sent").functionCounter().count(),
                registry.get("scif.node.connects.refused").functionCounter().count());
        }   // closing the nodes closes their endpoints
    }
}
