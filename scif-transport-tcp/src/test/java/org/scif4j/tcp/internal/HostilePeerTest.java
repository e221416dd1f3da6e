package org.scif4j.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.scif4j.Endpoint;
import org.scif4j.tcp.conformance.TcpFixture;

/**
 * A raw socket to node 0's 127.0.0.1 port behaves badly: garbage, a frame too short for its
 * type, a frame cut off by the end of the stream, an oversized frame, a SCIF frame before the
 * handshake, no key, a wrong key and no proof at all on a keyed fabric (the last ones claiming
 * to be node 1, the honest peer). Each time node 0 closes that link with a logged reason, and node 1's connection
 * keeps working, as does a new one.
 */
@Timeout(60)
class HostilePeerTest {
    private static final int PORT = 3000;

    @TempDir
    Path dir;
    private final TcpFixture fabric = new TcpFixture();
    private LogCapture log;
    private Honest.Pair honest;

    @BeforeEach
    void honestPeers() throws Exception {
        log = new LogCapture();
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        Path keyFile = Files.write(dir.resolve("fabric.key"), key);
        String keyed = "key=" + keyFile;
        honest = new Honest.Pair(fabric, keyed, PORT);
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

    /** Node 0 closed the raw link, said why, and still serves node 1. */
    private void assertRefused(RawPeer raw, String reason) throws Exception {
        assertTrue(raw.closedByNode());
        String warning = log.await(reason);
        assertTrue(warning.contains("protocol violation"), warning);
        Honest.exchange(honest.client, honest.server);
        Endpoint[] again = Honest.connect(honest.node1, honest.listener);
        try {
            Honest.exchange(again[0], again[1]);
        } finally {
            again[0].close();
            again[1].close();
        }
    }

    @Test
    void garbage() throws Exception {
        try (RawPeer raw = new RawPeer(honest.node0Port)) {
            raw.write(new byte[] {0, 0, 0, 5, 0x7f, (byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef});
            assertRefused(raw, "unknown frame type 127");
        }
    }

    @Test
    void textIsAnOversizedLengthPrefix() throws Exception {
        try (RawPeer raw = new RawPeer(honest.node0Port)) {
            raw.write("GET / HTTP/1.1\r\nHost: scif\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            assertRefused(raw, "exceeds");
        }
    }

    @Test
    void frameShorterThanItsType() throws Exception {
        try (RawPeer raw = new RawPeer(honest.node0Port)) {
            raw.write(new byte[] {0, 0, 0, 11, Wire.HELLO, 0x53, 0x43, 0x49, 0x46, 0, 1, 0, 1, 0, 0});
            assertRefused(raw, "a HELLO frame of 10 body bytes");
        }
    }

    @Test
    void frameCutOffByTheEndOfTheStream() throws Exception {
        try (RawPeer raw = new RawPeer(honest.node0Port)) {
            ByteBuffer b = ByteBuffer.allocate(4 + 1 + 20).putInt(1 + HandshakeWire.HELLO_SIZE).put(Wire.HELLO);
            raw.write(b.array());
            raw.shutdownOutput();
            assertRefused(raw, "the stream ended inside a frame");
        }
    }

    @Test
    void oversizedFrame() throws Exception {
        try (RawPeer raw = new RawPeer(honest.node0Port)) {
            // One byte over the largest legal frame: refused at the prefix, before any buffering.
            ByteBuffer b = ByteBuffer.allocate(4 + 1 + 8).putInt(Wire.MAX_FRAME + 1).put(Wire.DATA).putLong(1);
            raw.write(b.array());
            assertRefused(raw, "exceeds");
        }
    }

    @Test
    void scifFrameBeforeTheHandshake() throws Exception {
        try (RawPeer raw = new RawPeer(honest.node0Port)) {
            // A well-formed DATA frame (endpoint 0, no credit, 4 payload bytes), only too early.
            ByteBuffer b = ByteBuffer.allocate(4 + 1 + ConnectionWire.DATA_HEADER + 4)
                .putInt(1 + ConnectionWire.DATA_HEADER + 4).put(Wire.DATA).putLong(0).putInt(0).putInt(42);
            raw.write(b.array());
            assertRefused(raw, "DATA before HELLO");
        }
    }

    @Test
    void noKeyOnAKeyedFabric() throws Exception {
        try (RawPeer raw = new RawPeer(honest.node0Port)) {
            raw.hello(1, 0, false);
            assertRefused(raw, "a peer without the fabric key");
        }
    }

    @Test
    void wrongKey() throws Exception {
        try (RawPeer raw = new RawPeer(honest.node0Port)) {
            raw.hello(1, 0, true);
            byte[] ack = raw.readFrame();
            assertEquals(Wire.HELLO_ACK, ack[0], "node 0 answers a keyed HELLO with HELLO_ACK");
            byte[] proof = new byte[HandshakeWire.PROOF_BYTES];
            new SecureRandom().nextBytes(proof);
            ByteBuffer auth = ByteBuffer.allocate(4 + 1 + HandshakeWire.PROOF_BYTES).putInt(1 + HandshakeWire.PROOF_BYTES).put(Wire.AUTH).put(proof);
            raw.write(auth.array());
            assertRefused(raw, "does not prove it holds the fabric key");
        }
    }

    @Test
    void keyedHelloNeverFollowedByItsProof() throws Exception {
        try (RawPeer raw = new RawPeer(honest.node0Port)) {
            raw.hello(1, 0, true);
            raw.expect(Wire.HELLO_ACK);
            // No AUTH, and silence: not idleness (the handshake is not over) but the handshake
            // deadline, option timeout, ends it.
            assertRefused(raw, "the handshake did not end within");
        }
    }
}
