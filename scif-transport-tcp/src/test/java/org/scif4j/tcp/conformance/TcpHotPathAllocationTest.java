package org.scif4j.tcp.conformance;

import io.netty.util.ResourceLeakDetector;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.tests.HotPathAllocationTest;
import org.scif4j.tests.TransportFixture;

/**
 * {@link HotPathAllocationTest} on the tcp transport. The calling thread reads the link the
 * answers come on itself while it waits (LinkReader), so its frames must not be new Netty
 * buffers per frame; the peer's event loop serves the RMAs.
 *
 * <p>Netty's leak detector is off meanwhile: at its default level it follows one buffer in 128
 * that Netty's pool hands out (the event loops' socket reads among them) with a recorded stack
 * trace, a debugging aid of Netty's that would count here as allocation per call.
 */
class TcpHotPathAllocationTest extends HotPathAllocationTest {
    /** Two DATA frames per send: the sender writes them in one gathering write (LinkWriter). */
    private static final int TWO_FRAMES = 128 << 10;

    private static ResourceLeakDetector.Level leakLevel;
    private final ByteBuffer out = ByteBuffer.allocateDirect(TWO_FRAMES);
    private final ByteBuffer in = ByteBuffer.allocateDirect(TWO_FRAMES);

    /**
     * A send of more than one frame goes out through views of the caller's buffer, which the
     * link's writer makes once per buffer, not per call.
     */
    @Test
    void sendAndRecvOfTwoFrames() throws ScifException {
        assertAllocatesNothing("send + recv of 128 KiB (two DATA frames)", i -> {
            out.clear().putInt(0, i);
            local.send(out, Scif.SEND_BLOCK);
            in.clear();
            remote.recv(in, Scif.RECV_BLOCK);
            if (in.getInt(0) != i) {
                throw new AssertionError("received " + in.getInt(0) + ", sent " + i);
            }
        });
    }

    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture();
    }

    @BeforeAll
    static void leakDetectorOff() {
        leakLevel = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    }

    @AfterAll
    static void leakDetectorBack() {
        ResourceLeakDetector.setLevel(leakLevel);
    }
}
