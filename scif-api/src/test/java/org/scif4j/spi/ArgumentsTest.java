package org.scif4j.spi;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;

/**
 * The argument checks every transport runs before it changes anything, with the errno SCIF gives
 * for each (the SCIF man pages: scif_register(3), scif_unregister(3), scif_readfrom(3),
 * scif_fence_mark(3), scif_fence_signal(3), scif_mmap(3)), at the edges of their ranges.
 */
class ArgumentsTest {
    private static final long PAGE = Pages.PAGE;
    private static final long TOP = Long.MAX_VALUE - PAGE + 1; // the last page of [0, 2^63)
    private final Call call = Call.of("test", "x", 0);

    private static void fails(Errno errno, Executable e, String what) {
        ScifException x = assertThrows(ScifException.class, e, what);
        assertEquals(errno, x.errno(), what + ": " + x.getMessage());
        assertTrue(x.getMessage().startsWith("test(x=0)"), "the message names the call: " + x.getMessage());
    }

    @Test
    void registerChecksTheRegionProtFlagsAndFixedRange() {
        ByteBuffer page = ByteBuffer.allocateDirect(2 * (int) PAGE);
        fails(Errno.EFAULT, () -> Arguments.register(null, 0, 0, Scif.PROT_READ, 0, call), "null region");
        fails(Errno.EFAULT, () -> Arguments.register(ByteBuffer.allocate(4096), 0, 0, 1, 0, call), "heap buffer");
        fails(Errno.EINVAL, () -> Arguments.register(page, 0, 0, 4, 0, call), "an unknown prot bit");
        fails(Errno.EINVAL, () -> Arguments.register(page, 0, 0, 1, 0x20, call), "a flag other than MAP_FIXED");
        fails(Errno.EINVAL, () -> Arguments.register(page, 100, 0, 1, 0, call), "a region off a page boundary");
        fails(Errno.EINVAL, () -> Arguments.register(page.slice(0, 100), 0, 0, 1, 0, call), "not whole pages");
        fails(Errno.EINVAL, () -> Arguments.register(page, 0, 100, 1, Scif.MAP_FIXED, call), "a fixed offset off a page");
        fails(Errno.EINVAL, () -> Arguments.register(page, 0, TOP, 1, Scif.MAP_FIXED, call), "a fixed range past 2^63");
        fails(Errno.EFAULT, () -> Arguments.register(page.asReadOnlyBuffer(), 0, 0, Scif.PROT_WRITE, 0, call),
            "PROT_WRITE on a read-only buffer");
        assertDoesNotThrow(() -> Arguments.register(page, 0, TOP - PAGE, 3, Scif.MAP_FIXED, call), "ends at 2^63");
        assertDoesNotThrow(() -> Arguments.register(page, 0, 123, 3, 0, call), "the offset is free without MAP_FIXED");
    }

    @Test
    void unregisterWantsWholePagesInsideTheSpace() {
        fails(Errno.EINVAL, () -> Arguments.unregister(0, 0, call), "length 0");
        fails(Errno.EINVAL, () -> Arguments.unregister(0, 100, call), "length not whole pages");
        fails(Errno.EINVAL, () -> Arguments.unregister(-PAGE, PAGE, call), "a negative offset");
        fails(Errno.EINVAL, () -> Arguments.unregister(TOP, 2 * PAGE, call), "past 2^63");
        assertDoesNotThrow(() -> Arguments.unregister(TOP, PAGE, call), "the last page");
    }

    @Test
    void rmaLengthsArePositiveAndFlagsNeedOneKnownBit() {
        fails(Errno.EINVAL, () -> Arguments.rma(0, 0, call), "length 0");
        fails(Errno.EINVAL, () -> Arguments.rma(-1, 0, call), "a negative length");
        fails(Errno.EINVAL, () -> Arguments.rma(8, 0x100, call), "only unknown bits");
        assertDoesNotThrow(() -> Arguments.rma(8, Scif.RMA_SYNC | 0x100, call), "unknown bits beside a known one");
        fails(Errno.EFAULT, () -> Arguments.destination(ByteBuffer.allocate(8).asReadOnlyBuffer(), call), "read-only dst");
        fails(Errno.EFAULT, () -> Arguments.source(null, call), "null src");
    }

    @Test
    void aReadOnlyHeapSourceIsCopiedSoItsBytesCanBeReached() throws ScifException {
        ByteBuffer ro = ByteBuffer.wrap(new byte[] {1, 2, 3}).asReadOnlyBuffer();
        ByteBuffer usable = Arguments.source(ro, call);
        assertTrue(usable.hasArray() && usable.remaining() == 3 && usable.get(2) == 3);
        ByteBuffer direct = ByteBuffer.allocateDirect(8);
        assertSame(direct, Arguments.source(direct, call), "a direct buffer is used as it is");
    }

    @Test
    void fenceMarkAndSignalFlagsAndAlignment() {
        fails(Errno.EINVAL, () -> Arguments.fenceMark(0, call), "no flag");
        fails(Errno.EINVAL, () -> Arguments.fenceMark(Scif.FENCE_INIT_SELF | Scif.FENCE_INIT_PEER, call), "both");
        assertDoesNotThrow(() -> Arguments.fenceMark(Scif.FENCE_INIT_PEER, call));
        int self = Scif.FENCE_INIT_SELF;
        fails(Errno.EINVAL, () -> Arguments.fenceSignal(0, 0, self, call), "no SIGNAL flag");
        fails(Errno.EINVAL, () -> Arguments.fenceSignal(0, 0, Scif.SIGNAL_LOCAL, call), "no INIT flag");
        fails(Errno.EINVAL, () -> Arguments.fenceSignal(0, 0, self | Scif.FENCE_INIT_PEER | Scif.SIGNAL_LOCAL, call),
            "two INIT flags");
        fails(Errno.EINVAL, () -> Arguments.fenceSignal(2, 0, self | Scif.SIGNAL_LOCAL, call), "local offset unaligned");
        fails(Errno.EINVAL, () -> Arguments.fenceSignal(0, 6, self | Scif.SIGNAL_REMOTE, call), "remote offset unaligned");
        assertDoesNotThrow(() -> Arguments.fenceSignal(2, 8, self | Scif.SIGNAL_REMOTE, call),
            "the local offset is not looked at without SIGNAL_LOCAL");
    }

    @Test
    void hostLoopbackMarksAreAlways0xdead() {
        assertTrue(Arguments.hostLoopback(0, 0));
        assertTrue(!Arguments.hostLoopback(0, 1) && !Arguments.hostLoopback(1, 1));
        assertDoesNotThrow(() -> Arguments.hostLoopbackFenceWait(0xdead, call));
        fails(Errno.EINVAL, () -> Arguments.hostLoopbackFenceWait(1, call), "another mark");
    }

    @Test
    void mmapAndAllocateRoundToPagesWithinOneBuffer() throws ScifException {
        assertEquals(PAGE, Arguments.mmap(0, 1, Scif.PROT_READ, call));
        fails(Errno.EINVAL, () -> Arguments.mmap(100, PAGE, 1, call), "an offset off a page");
        fails(Errno.EINVAL, () -> Arguments.mmap(0, 0, 1, call), "length 0");
        fails(Errno.EINVAL, () -> Arguments.mmap(0, PAGE, 8, call), "an unknown prot bit");
        fails(Errno.ENOMEM, () -> Arguments.mmap(0, 1L << 31, 1, call), "more than one ByteBuffer");
        fails(Errno.ENOMEM, () -> Arguments.mmap(TOP, 2 * PAGE, 1, call), "past 2^63");
        assertEquals(2 * PAGE, Arguments.allocate(PAGE + 1, call));
        fails(Errno.EINVAL, () -> Arguments.allocate(0, call), "nothing");
        fails(Errno.ENOMEM, () -> Arguments.allocate(Integer.MAX_VALUE, call), "more than one ByteBuffer");
    }
}
