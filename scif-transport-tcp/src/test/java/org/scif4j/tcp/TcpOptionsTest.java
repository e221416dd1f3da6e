package org.scif4j.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scif4j.Errno;
import org.scif4j.ScifException;
import org.scif4j.spi.FabricUri;

/** Parsing of {@code tcp:} fabric URIs: the node list, the node file and every option. */
class TcpOptionsTest {
    private static TcpOptions parse(String uri) throws ScifException {
        return TcpOptions.from(FabricUri.parse(uri));
    }

    private static void assertInvalid(String uri) {
        ScifException e = assertThrows(ScifException.class, () -> parse(uri), uri);
        assertEquals(Errno.EINVAL, e.errno(), e.getMessage());
    }

    @Test
    void inlineNodeListAndDefaults() throws ScifException {
        TcpOptions o = parse("tcp:0@127.0.0.1:7000,1@127.0.0.1:7001?node=1");
        assertEquals(1, o.node());
        assertEquals(7001, o.selfAddress().getPort());
        assertEquals(2, o.nodes().size());
        assertEquals(TcpOptions.DEFAULT_RING, o.ringBytes());
        assertEquals(TcpOptions.DEFAULT_TIMEOUT_MILLIS, o.timeoutMillis());
        assertEquals(TcpOptions.DEFAULT_LIVENESS_MILLIS, o.livenessMillis());
        assertNull(o.key());
    }

    @Test
    void everyOption() throws ScifException {
        TcpOptions o = parse("tcp:0@127.0.0.1:7000?node=0&wait=block&ring=4096&timeout=100&liveness=500");
        assertEquals(org.scif4j.spi.WaitMode.BLOCK, o.waitMode());
        assertEquals(4096, o.ringBytes());
        assertEquals(100, o.timeoutMillis());
        assertEquals(500, o.livenessMillis());
    }

    @Test
    void deadlinesFollowTimeoutAndLiveness() throws ScifException {
        TcpOptions o = parse("tcp:0@127.0.0.1:7000?timeout=3000&liveness=500");
        assertEquals(3000, o.handshakeMillis(), "the handshake has the time a connect gives it");
        assertEquals(500, o.frameMillis(0), "a frame's grace is liveness");
        assertEquals(500 + 4000, o.frameMillis(4 * TcpOptions.MIN_FRAME_BYTES_PER_SECOND),
            "plus its size at the minimum rate");
    }

    @Test
    void nodeFileWithComments(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("nodes"), "# the fabric\n0@127.0.0.1:7000\n\n2@[::1]:7002  # a card\n");
        TcpOptions o = parse("tcp:file:" + f + "?node=2");
        assertEquals(2, o.node());
        assertEquals(7002, o.selfAddress().getPort());
        assertEquals(2, o.nodes().size());
    }

    @Test
    void keyFile(@TempDir Path dir) throws Exception {
        Path k = Files.write(dir.resolve("key"), new byte[32]);
        assertEquals(32, parse("tcp:0@127.0.0.1:7000?key=" + k).key().length);
        Path shortKey = Files.write(dir.resolve("short"), new byte[4]);
        assertInvalid("tcp:0@127.0.0.1:7000?key=" + shortKey);
        assertInvalid("tcp:0@127.0.0.1:7000?key=" + dir.resolve("missing"));
    }

    @Test
    void malformedUrisAreEinval() {
        assertInvalid("tcp:0@127.0.0.1:7000?colour=blue");
        assertInvalid("tcp:0@127.0.0.1:7000?node=1");
        assertInvalid("tcp:0@127.0.0.1:7000,0@127.0.0.1:7001");
        assertInvalid("tcp:0@127.0.0.1:7000?ring=5000");
        assertInvalid("tcp:0@127.0.0.1:7000?ring=2048");
        assertInvalid("tcp:0@127.0.0.1:7000?wait=sometimes");
        assertInvalid("tcp:0@127.0.0.1:7000?liveness=10");
        assertInvalid("tcp:0@127.0.0.1");
        assertInvalid("tcp:x@127.0.0.1:7000");
        assertInvalid("tcp:0@127.0.0.1:70000");
        assertInvalid("tcp:300@127.0.0.1:7000");
        assertInvalid("tcp:file:/nonexistent/scif-nodes");
    }
}
