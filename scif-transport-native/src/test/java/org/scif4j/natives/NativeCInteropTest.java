package org.scif4j.natives;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.scif4j.Endpoint;
import org.scif4j.Scif;
import org.scif4j.ScifNode;

/**
 * A Java native: node and a C program (libscif's scif-peer, built by the libscif module) on
 * one fabric: the C side connects, streams its test pattern with its FNV-1a checksum, and
 * checks that the Java side sends the same bytes back.
 */
class NativeCInteropTest {
    private static final Path PEER = Path.of("..", "libscif", "target", "bin", "scif-peer");
    private static final int BYTES = 1 << 20;

    @Test
    void aCProgramStreamsToTheNativeNodeAndBack() throws Exception {
        assertTrue(Files.isExecutable(PEER), PEER + " is built by the libscif module");
        String fabric = "ci" + ProcessHandle.current().pid() + "r"
            + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000));
        try (ScifNode n = Scif.attach("native:?lib=emulated&fabric=" + fabric + "&node=0")) {
            Endpoint listener = n.open();
            int port = listener.bind(0);
            listener.listen(1);
            ProcessBuilder pb = new ProcessBuilder(PEER.toString(), "connect", "0", Integer.toString(port),
                Integer.toString(BYTES)).redirectErrorStream(true);
            pb.environment().put("SCIF_FABRIC", "shm:" + fabric + "?node=2");
            Process c = pb.start();
            try (Endpoint e = listener.accept(Scif.ACCEPT_SYNC)) {
                assertEquals(2, e.peerPort().node());
                ByteBuffer in = ByteBuffer.allocateDirect(BYTES + 8).order(ByteOrder.LITTLE_ENDIAN);
                assertEquals(BYTES + 8, e.recv(in, Scif.RECV_BLOCK));
                long h = 0xcbf29ce484222325L;
                for (int i = 0; i < BYTES; i++) {
                    byte b = in.get(i);
                    assertEquals((byte) (i * 31 + 7), b, "byte " + i + " of the C program's pattern");
                    h = (h ^ (b & 0xff)) * 0x100000001b3L;
                }
                assertEquals(h, in.getLong(BYTES), "the C program's FNV-1a checksum");
                e.send(in.flip(), Scif.SEND_BLOCK); // back, heap-free by address
                assertTrue(c.waitFor(60, TimeUnit.SECONDS), "scif-peer ended");
                String out = new String(c.getInputStream().readAllBytes());
                assertEquals(0, c.exitValue(), "scif-peer's exit status; it wrote: " + out);
            } finally {
                c.destroyForcibly();
                listener.close();
            }
        }
        assertFalse(Files.exists(Path.of("/dev/shm/scif4j", fabric)), "fabric directory left behind");
    }
}
