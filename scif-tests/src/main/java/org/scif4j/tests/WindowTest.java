package org.scif4j.tests;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.Window;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Window}, the closeable handle of a registration: it reports what was registered,
 * RMAs reach it, its close unregisters exactly once (also when the body of a
 * try-with-resources throws), and how its close ends once the endpoint or its peer closed.
 */
public abstract class WindowTest extends RmaTestBase {
    private static final int RW = Scif.PROT_READ | Scif.PROT_WRITE;
    private static final long F = 0x40_0000L;

    @Test
    void aWindowReportsItsRegistrationAndRmasReachIt() throws ScifException {
        ByteBuffer mine = memory(node0, 2 * PAGE);
        ByteBuffer theirs = memory(node1, 2 * PAGE);
        byte[] data = randomBytes(7, 2 * PAGE);
        theirs.put(0, data);
        try (Window w = local.registerWindow(mine, F, RW, Scif.MAP_FIXED);
             Window p = remote.registerWindow(theirs, 0, Scif.PROT_READ, 0)) {
            assertEquals(F, w.offset(), "MAP_FIXED window offset");
            assertEquals(2 * PAGE, w.length(), "length is the region's remaining bytes");
            assertEquals(RW, w.prot(), "prot");
            assertSame(local, w.endpoint(), "endpoint");
            assertEquals(Scif.PROT_READ, p.prot(), "peer window prot");
            local.readFrom(w.offset(), w.length(), p.offset(), Scif.RMA_SYNC);
            byte[] got = new byte[2 * PAGE];
            mine.get(0, got);
            assertArrayEquals(data, got, "readFrom into the window");
        }
    }

    @Test
    void closeUnregistersOnceAndTheRangeIsFreeAgain() throws ScifException {
        Window w = local.registerWindow(memory(node0, PAGE), F, RW, Scif.MAP_FIXED);
        assertErrno(Errno.EADDRINUSE, () -> local.register(aligned(PAGE), F, RW, Scif.MAP_FIXED),
            "the range is taken while the window is open");
        w.close();
        assertTrue(w.isClosed(), "isClosed after close");
        assertErrno(Errno.ENXIO, () -> local.unregister(F, PAGE), "raw unregister after close");
        assertErrno(Errno.ENXIO, () -> remote.vreadFrom(ByteBuffer.allocate(8), F, Scif.RMA_SYNC),
            "an RMA naming the closed window");
        w.close(); // idempotent: a second unregister would be ENXIO
        assertEquals(F, local.register(aligned(PAGE), F, RW, Scif.MAP_FIXED),
            "the range can be registered again");
    }

    @Test
    void anExceptionInTheBodyStillUnregisters() throws ScifException {
        long[] at = new long[1];
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> {
            try (Window w = local.registerWindow(memory(node0, PAGE), F, RW, Scif.MAP_FIXED)) {
                at[0] = w.offset();
                throw new IllegalStateException("body failed");
            }
        });
        assertEquals(0, thrown.getSuppressed().length, "close succeeded: nothing suppressed");
        assertErrno(Errno.ENXIO, () -> local.unregister(at[0], PAGE),
            "the window was unregistered when the body threw");
    }

    @Test
    void aFailedRegistrationReturnsNoWindowAndRegistersNothing() throws ScifException {
        assertErrno(Errno.EINVAL, () -> local.registerWindow(memory(node0, PAGE), F, 0x4,
            Scif.MAP_FIXED), "prot with an unknown bit");
        assertErrno(Errno.EFAULT, () -> local.registerWindow(null, F, RW, Scif.MAP_FIXED),
            "null region, as register says of it");
        assertEquals(F, local.register(aligned(PAGE), F, RW, Scif.MAP_FIXED),
            "nothing was registered by the failed calls");
    }

    @Test
    void closeAfterTheEndpointClosedIsANoOp() throws ScifException {
        Window w = local.registerWindow(memory(node0, PAGE), F, RW, Scif.MAP_FIXED);
        local.close();
        w.close(); // scif_close removed every window: nothing to do, no EBADF
        assertTrue(w.isClosed(), "isClosed");
        assertErrno(Errno.EBADF, () -> local.unregister(F, PAGE),
            "the raw call on the closed endpoint still says EBADF");
    }

    @Test
    void closeAfterThePeerClosedSaysEconnreset() throws ScifException {
        Window w = local.registerWindow(memory(node0, PAGE), F, RW, Scif.MAP_FIXED);
        remote.close();
        awaitEvents(local, Scif.POLLIN, Scif.POLLHUP, "the peer's close reaches this side");
        assertErrno(Errno.ECONNRESET, w::close, "close of a window whose peer is gone");
        assertTrue(w.isClosed(), "a close that failed still counts as closed");
        w.close(); // idempotent also after a failed close
    }
}
