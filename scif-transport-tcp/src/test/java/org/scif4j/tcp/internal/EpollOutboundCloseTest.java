package org.scif4j.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.epoll.Epoll;
import java.net.ServerSocket;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.scif4j.Endpoint;
import org.scif4j.ScifNode;
import org.scif4j.Scif;
import org.scif4j.tcp.conformance.TcpFixture;

/**
 * On epoll an outbound link's channel does not close by itself when its input ends or a write
 * fails (LinkWriter's invariant: the senders write its descriptor directly, so Netty must not
 * close it under them; it fires events instead), and LinkHandler closes it on those events.
 * Here the peer ends its half of an open outbound link: the node must close its end, as Netty
 * closed it by itself before, rather than keep a half-open link until liveness runs out.
 */
@Timeout(60)
class EpollOutboundCloseTest {
    private static final int PORT = 3003;
    /** The node the raw peer claims to be: in the fabric, never attached by the test. */
    private static final int RAW_NODE = 2;

    private final TcpFixture fabric = new TcpFixture("epoll");
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private ScifNode node0;
    private ServerSocket node2;
    private RawPeer back;
    private Endpoint client;

    @BeforeEach
    void attach() throws Exception {
        Assumptions.assumeTrue(Epoll.isAvailable(), () -> "Netty's native epoll does not load here ("
            + Epoll.unavailabilityCause() + "): io=epoll cannot run");
        // A long liveness: the raw peer sends no heartbeats, and a link lost for silence would
        // hide whether the end of its input closed it.
        String uri = fabric.fabricUri(0, "liveness=60000");
        node0 = Scif.attach(uri);
        node2 = RawPeer.listen(Honest.tcpPort(uri, RAW_NODE));
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {back, node2, client, node0}) {
            if (c != null) {
                c.close();
            }
        }
        pool.shutdownNow();
        fabric.assertNoLeftovers();
    }

    @Test
    void theEndOfAnOutboundLinksInputClosesIt() throws Exception {
        client = node0.open();
        Future<?> connecting = pool.submit(() -> {
            client.connect(Honest.port(RAW_NODE, PORT));
            return null;
        });
        back = RawPeer.accept(node2); // node 0 dials node 2 for the connection request
        back.answerHello(RAW_NODE, 0, ThreadLocalRandom.current().nextLong());
        back.expect(Wire.CONNECT_REQ); // the link is open: its senders write it directly
        back.shutdownOutput();
        assertTrue(back.closedByNode(), "node 0 kept its outbound link open after its input ended");
        // The link's loss ends the connection request (with an error: nobody accepted it).
        assertThrows(ExecutionException.class, () -> connecting.get(30, TimeUnit.SECONDS));
    }
}
