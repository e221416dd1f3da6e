package org.scif4j.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;
import org.scif4j.tcp.conformance.TcpFixture;

/**
 * The keyed handshake (docs/tcp-protocol.md): nodes holding the same {@code key=FILE} connect
 * and exchange; nodes with different keys, or a keyed and an unkeyed node, never get as far as
 * a SCIF frame: the connect fails with ENODEV, the listener never sees a request, and each
 * side keeps the other out of {@code nodeIds()}.
 */
@Timeout(60)
class KeyedHandshakeTest {
    private static final int PORT = 3001;

    @TempDir
    Path dir;
    private final TcpFixture fabric = new TcpFixture();
    private final LogCapture log = new LogCapture();
    private ScifNode node0;
    private ScifNode node1;

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {node1, node0, log}) {
            if (c != null) {
                c.close();
            }
        }
        fabric.assertNoLeftovers();
    }

    private String keyFile(String name) throws Exception {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return "key=" + Files.write(dir.resolve(name), key);
    }

    @Test
    void sameKeyConnectsAndExchanges() throws Exception {
        String key = keyFile("shared.key");
        node0 = Scif.attach(fabric.fabricUri(0, key));
        node1 = Scif.attach(fabric.fabricUri(1, key));
        try (Endpoint listener = Honest.listener(node0, PORT)) {
            Endpoint[] pair = Honest.connect(node1, listener);
            try (Endpoint client = pair[0]; Endpoint server = pair[1]) {
                Honest.exchange(client, server);
            }
        }
        assertArrayEquals(new int[] {0, 1}, node1.nodeIds().online());
    }

    @Test
    void differentKeysNeverExchangeScifFrames() throws Exception {
        node0 = Scif.attach(fabric.fabricUri(0, keyFile("a.key")));
        node1 = Scif.attach(fabric.fabricUri(1, keyFile("b.key")));
        assertNeverConnected("does not prove it holds the fabric key");
    }

    @Test
    void keyedNodeRefusesAnUnkeyedOne() throws Exception {
        node0 = Scif.attach(fabric.fabricUri(0, keyFile("a.key")));
        node1 = Scif.attach(fabric.fabricUri(1, ""));
        assertNeverConnected("a peer without the fabric key");
    }

    private void assertNeverConnected(String reason) throws Exception {
        try (Endpoint listener = Honest.listener(node0, PORT); Endpoint client = node1.open()) {
            ScifException e = assertThrows(ScifException.class, () -> client.connect(Honest.port(0, PORT)));
            assertEquals(Errno.ENODEV, e.errno(), e.getMessage());
            log.await(reason);
            // The request never reached the listener: SCIF frames wait for the handshake.
            ScifException none = assertThrows(ScifException.class, () -> listener.accept(0));
            assertEquals(Errno.EAGAIN, none.errno(), none.getMessage());
            assertArrayEquals(new int[] {1}, node1.nodeIds().online());
            assertArrayEquals(new int[] {0}, node0.nodeIds().online());
        }
    }
}
