package org.scif4j.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.scif4j.Endpoint;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;
import org.scif4j.spi.FabricUri;
import org.scif4j.tcp.TcpOptions;
import org.scif4j.tcp.conformance.TcpFixture;

/** What the link tests do as honest users: connect over the public API and exchange bytes. */
final class Honest {
    private Honest() {
    }

    /**
     * Connects {@code from} to {@code listener}'s port, accepting on another thread.
     *
     * @return the connecting endpoint and the accepted one
     */
    static Endpoint[] connect(ScifNode from, Endpoint listener) throws Exception {
        CompletableFuture<Endpoint> accepted = CompletableFuture.supplyAsync(() -> {
            try {
                return listener.accept(Scif.ACCEPT_SYNC);
            } catch (ScifException e) {
                throw new IllegalStateException(e);
            }
        });
        Endpoint client = from.open();
        client.connect(listener.localPort());
        return new Endpoint[] {client, accepted.get(10, TimeUnit.SECONDS)};
    }

    /** Sends 8 bytes each way and checks they arrive intact. */
    static void exchange(Endpoint a, Endpoint b) throws ScifException {
        oneWay(a, b, 0x5343494600000001L);
        oneWay(b, a, 0x5343494600000002L);
    }

    private static void oneWay(Endpoint from, Endpoint to, long value) throws ScifException {
        ByteBuffer out = ByteBuffer.allocate(8).putLong(0, value);
        assertEquals(8, from.send(out, Scif.SEND_BLOCK));
        ByteBuffer in = ByteBuffer.allocate(8);
        assertEquals(8, to.recv(in, Scif.RECV_BLOCK));
        assertEquals(value, in.getLong(0));
    }

    /** @return the loopback port node {@code node} of {@code uri} listens on */
    static int tcpPort(String uri, int node) throws ScifException {
        return TcpOptions.from(FabricUri.parse(uri)).nodes().get(node).getPort();
    }

    /** @return a listener bound to {@code port} of {@code node} */
    static Endpoint listener(ScifNode node, int port) throws ScifException {
        Endpoint l = node.open();
        l.bind(port);
        l.listen(8);
        return l;
    }

    static PortId port(int node, int port) {
        return new PortId(node, port);
    }

    /**
     * Nodes 0 and 1 of a fabric attached with the same options, a listener of node 0, and one
     * connection from node 1 to it that has exchanged bytes both ways: the honest traffic that
     * the hostile-peer tests check is unharmed. Tests may replace a field (a node that
     * re-attaches); {@link #close} closes whatever the fields hold then.
     */
    static final class Pair implements AutoCloseable {
        ScifNode node0;
        ScifNode node1;
        Endpoint listener;
        Endpoint client;
        Endpoint server;
        /** The loopback TCP port node 0 listens on, for raw peers. */
        final int node0Port;

        Pair(TcpFixture fabric, String options, int port) throws Exception {
            node0Port = tcpPort(fabric.fabricUri(0, options), 0);
            try {
                node0 = Scif.attach(fabric.fabricUri(0, options));
                node1 = Scif.attach(fabric.fabricUri(1, options));
                listener = listener(node0, port);
                Endpoint[] ends = connect(node1, listener);
                client = ends[0];
                server = ends[1];
                exchange(client, server);
            } catch (Exception | AssertionError e) {
                close();
                throw e;
            }
        }

        @Override
        public void close() throws Exception {
            for (AutoCloseable c : new AutoCloseable[] {client, server, listener, node1, node0}) {
                if (c != null) {
                    c.close();
                }
            }
        }
    }
}
