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
}
