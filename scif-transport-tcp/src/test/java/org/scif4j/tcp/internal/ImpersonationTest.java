package org.scif4j.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.tcp.conformance.TcpFixture;

/**
 * On an unkeyed fabric, a newcomer claiming a node id that is connected and alive as another
 * incarnation does not displace it: a forged HELLO claiming honest node 1 is held unanswered
 * and refused, and node 1's connection, links and node id stay as they were. A node that
 * really went away is replaced: a newcomer held for a node whose link then closes, or goes
 * silent past liveness, is answered and served as that node, and node 1 closed and attached
 * again (a new incarnation) connects and exchanges.
 */
@Timeout(60)
class ImpersonationTest {
    private static final int PORT = 3004;
    /** A node the raw peers claim: in the fabric, never attached by the test. */
    private static final int RAW_NODE = 3;
    /** A port of node 0 nobody binds: a CONNECT_REQ for it is answered with CONNECT_NAK. */
    private static final int NO_LISTENER = 4321;
    /**
     * The handshake bound: longer than liveness (2 s by default), so that a node that went
     * silent is lost before a newcomer held for it is refused, as with the defaults (5 s).
     */
    private static final String OPTIONS = "timeout=3500";

    private final TcpFixture fabric = new TcpFixture();
    private LogCapture log;
    private Honest.Pair honest;

    @BeforeEach
    void honestPeers() throws Exception {
        log = new LogCapture(Level.INFO);
        honest = new Honest.Pair(fabric, OPTIONS, PORT);
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {honest, log}) {
            if (c != null) {
                c.close();
            }
        }
        fabric.assertNoLeftovers();
    }

    @Test
    void forgedHelloForALiveNodeIsRefused() throws Exception {
        try (RawPeer forger = new RawPeer(honest.node0Port)) {
            forger.hello(1, 0, false, ThreadLocalRandom.current().nextLong());
            log.await("holding");
            assertNull(forger.nextOrClosed(), "node 0 never answers a newcomer claiming live node 1");
            String warning = log.await("a live node is not displaced");
            assertTrue(warning.contains("protocol violation"), warning);
        }
        // Node 1's connection was never reset: a reset would fail this with ECONNRESET.
        Honest.exchange(honest.client, honest.server);
        assertArrayEquals(new int[] {0, 1}, honest.node0.nodeIds().online());
        assertArrayEquals(new int[] {0, 1}, honest.node1.nodeIds().online());
        honestConnectsAgain();
    }

    @Test
    void newcomerHeldForANodeIsServedOnceItsLinkCloses() throws Exception {
        try (RawPeer incumbent = new RawPeer(honest.node0Port); RawPeer newcomer = new RawPeer(honest.node0Port)) {
            incumbent.hello(RAW_NODE, 0, false, ThreadLocalRandom.current().nextLong());
            incumbent.expect(Wire.HELLO_ACK);
            long incarnation = ThreadLocalRandom.current().nextLong();
            newcomer.hello(RAW_NODE, 0, false, incarnation);
            log.await("holding");
            incumbent.close(); // the node RAW_NODE we knew is gone: its link closed
            newcomer.expect(Wire.HELLO_ACK);
            assertServedAsRawNode(newcomer, incarnation);
        }
        Honest.exchange(honest.client, honest.server);
    }

    @Test
    void newcomerHeldForANodeIsServedOnceItGoesSilent() throws Exception {
        try (RawPeer incumbent = new RawPeer(honest.node0Port); RawPeer newcomer = new RawPeer(honest.node0Port)) {
            incumbent.hello(RAW_NODE, 0, false, ThreadLocalRandom.current().nextLong());
            incumbent.expect(Wire.HELLO_ACK);
            // The incumbent sends no heartbeat: node 0 loses it after liveness, and only then
            // answers the newcomer (whose handshake bound is longer).
            long incarnation = ThreadLocalRandom.current().nextLong();
            newcomer.hello(RAW_NODE, 0, false, incarnation);
            log.await("holding");
            newcomer.expect(Wire.HELLO_ACK);
            log.await("nothing heard within");
            assertServedAsRawNode(newcomer, incarnation);
        }
        Honest.exchange(honest.client, honest.server);
    }

    @Test
    void honestNodeAttachedAgainAfterClosingConnects() throws Exception {
        honest.client.close();
        honest.client = null;
        honest.node1.close(); // BYE: node 0 forgets node 1 before close returns
        honest.node1 = Scif.attach(fabric.fabricUri(1, OPTIONS)); // a new incarnation of node 1
        Endpoint stale = honest.server;
        honest.server = null;
        stale.close();
        honestConnectsAgain();
        assertArrayEquals(new int[] {0, 1}, honest.node0.nodeIds().online());
    }

    /**
     * Node 0 serves {@code raw} as node {@link #RAW_NODE}: a CONNECT_REQ on it to a port without
     * a listener is refused with CONNECT_NAK, sent over the link node 0 opens to that node's
     * address, where it finds the same incarnation.
     */
    private void assertServedAsRawNode(RawPeer raw, long incarnation) throws Exception {
        int rawPort = Honest.tcpPort(fabric.fabricUri(0, OPTIONS), RAW_NODE);
        try (ServerSocket address = RawPeer.listen(rawPort)) {
            long connector = 0x5241570000000003L;
            raw.send(Wire.CONNECT_REQ, ByteBuffer.allocate(Wire.bodySize(Wire.CONNECT_REQ)).putLong(connector)
                .putShort((short) 4000).putShort((short) NO_LISTENER).putInt(4096).array());
            try (RawPeer back = RawPeer.accept(address)) {
                back.answerHello(RAW_NODE, 0, incarnation);
                ByteBuffer nak = back.expect(Wire.CONNECT_NAK);
                assertEquals(connector, nak.getLong(), "CONNECT_NAK names the raw peer's connector");
                assertEquals(Errno.ECONNREFUSED.number(), nak.getInt(), "no listener on port " + NO_LISTENER);
            }
        }
    }

    private void honestConnectsAgain() throws Exception {
        Endpoint[] again = Honest.connect(honest.node1, honest.listener);
        try {
            Honest.exchange(again[0], again[1]);
        } finally {
            again[0].close();
            again[1].close();
        }
    }
}
