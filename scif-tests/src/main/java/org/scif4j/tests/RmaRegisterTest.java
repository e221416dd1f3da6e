package org.scif4j.tests;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Mapping;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifMemory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Registered memory (SCIF; docs/decisions.md "register", "unregister"):
 * {@code ScifNode.allocate}, register with and without MAP_FIXED, its EINVAL, EFAULT and
 * EADDRINUSE cases (also against a window whose unregistration is pending because the peer
 * still maps it), unregister of whole windows and runs of windows, and its EINVAL and ENXIO
 * cases, after which nothing was unregistered.
 */
@SuppressWarnings("try") // tests close resources mid-test on purpose
public abstract class RmaRegisterTest extends RmaTestBase {
    private static final int RW = Scif.PROT_READ | Scif.PROT_WRITE;
    private static final long F = 1L << 30;

    // ---- allocate ----------------------------------------------------------------------------

    @ParameterizedTest(name = "allocate({0})")
    @ValueSource(longs = {1, 100, 4095, 4096, 4097, 3 * 4096, 1 << 20})
    void allocateGivesPageAlignedDirectMemoryRoundedUpToPages(long bytes) throws ScifException {
        long pages = (bytes + PAGE - 1) / PAGE;
        try (ScifMemory m = node0.allocate(bytes)) {
            ByteBuffer b = m.buffer();
            assertEquals(pages * PAGE, m.size(), "size() is rounded up to whole pages");
            assertTrue(b.isDirect(), "allocate gives direct memory");
            check(!b.isReadOnly(), "allocated memory is writable");
            assertEquals(0, b.position(), "position 0");
            assertEquals(m.size(), b.limit(), "limit = size()");
            assertEquals(m.size(), b.capacity(), "capacity = size()");
            assertEquals(0, b.alignmentOffset(0, PAGE), "the memory starts on a page");
            assertEquals(java.nio.ByteOrder.nativeOrder(), b.order(),
                "native byte order, as fenceSignal stores its words (the API's Javadoc), on every transport");
            b.putLong(b.capacity() - 8, 0x1234_5678_9abc_def0L);
            assertEquals(0x1234_5678_9abc_def0L, b.getLong(b.capacity() - 8),
                "the last word is usable");
            m.close();
            m.close();
        }
    }

    @ParameterizedTest(name = "allocate({0})")
    @ValueSource(longs = {0, -1, -4096, Long.MIN_VALUE})
    void allocateRejectsSizesThatAreNotPositive(long bytes) {
        assertErrno(Errno.EINVAL, () -> node0.allocate(bytes).close(), "allocate(" + bytes + ")");
    }

    @Test
    void allocatedAndAlignedDirectMemoryBothRegister() throws ScifException {
        ByteBuffer allocated = memory(node0, 2 * PAGE);
        ByteBuffer direct = aligned(2 * PAGE);
        long a = local.register(allocated, 0, RW, 0);
        long d = local.register(direct, 0, RW, 0);
        ByteBuffer tail = memory(node0, 3 * PAGE).position(PAGE);
        long t = local.register(tail, 0, Scif.PROT_READ, 0);
        assertEquals(PAGE, tail.position(), "register does not move the position");
        // the peer reads each through RMA: they are really the registered memory
        allocated.put(0, randomBytes(1, 2 * PAGE));
        direct.put(0, randomBytes(2, 2 * PAGE));
        tail.put(PAGE, randomBytes(3, 2 * PAGE));
        ByteBuffer dst = ByteBuffer.allocateDirect(2 * PAGE);
        remote.vreadFrom(dst, a, Scif.RMA_SYNC);
        assertSameBytes(randomBytes(1, 2 * PAGE), bytes(dst, 0, 2 * PAGE), "allocated window");
        remote.vreadFrom(dst, d, Scif.RMA_SYNC);
        assertSameBytes(randomBytes(2, 2 * PAGE), bytes(dst, 0, 2 * PAGE), "aligned window");
        remote.vreadFrom(dst, t, Scif.RMA_SYNC);
        assertSameBytes(randomBytes(3, 2 * PAGE), bytes(dst, 0, 2 * PAGE),
            "window over a buffer whose position is a page into allocated memory");
    }

    // ---- register offsets --------------------------------------------------------------------

    @ParameterizedTest(name = "MAP_FIXED at {0}")
    @ValueSource(longs = {0, 4096, 1L << 30, 1L << 62, Long.MAX_VALUE - 4095 - 4096})
    void mapFixedRegistersAtExactlyTheOffsetGiven(long offset) throws ScifException {
        ByteBuffer m = aligned(2 * PAGE);
        assertEquals(offset, local.register(m, offset, RW, Scif.MAP_FIXED), "MAP_FIXED offset");
        m.put(0, randomBytes(offset, 2 * PAGE));
        ByteBuffer dst = ByteBuffer.allocate(2 * PAGE);
        remote.vreadFrom(dst, offset, Scif.RMA_SYNC);
        assertSameBytes(randomBytes(offset, 2 * PAGE), dst.array(),
            "the peer reads the window at the fixed offset");
    }

    @Test
    void mapFixedWindowMayEndExactlyAtTheEndOfTheAddressSpace() throws ScifException {
        long last = RAS_END - PAGE + 1; // 2^63 - 4096
        assertErrno(Errno.EINVAL, () -> local.register(aligned(2 * PAGE), last, RW,
            Scif.MAP_FIXED), "MAP_FIXED window crossing 2^63");
        assertEquals(last, local.register(aligned(PAGE), last, RW, Scif.MAP_FIXED),
            "a window ending at 2^63");
        // the messages name the range's end as the number it is, not one wrapped negative
        ScifException e = assertErrno(Errno.EADDRINUSE, () -> local.register(aligned(PAGE), last, RW,
            Scif.MAP_FIXED), "a second window there");
        check(!e.getMessage().contains("-9223372036854775808"), "no wrapped offset in: " + e.getMessage());
        e = assertErrno(Errno.ENXIO, () -> local.writeTo(RAS_END, 2, 0, Scif.RMA_USECPU), "an RMA past 2^63");
        check(!e.getMessage().contains("-9223372036854775808"), "no wrapped offset in: " + e.getMessage());
    }

    @Test
    void automaticOffsetsArePageAlignedDistinctAndDoNotOverlap() throws ScifException {
        assertEquals(F, local.register(aligned(4 * PAGE), F, RW, Scif.MAP_FIXED), "fixed window");
        int[] sizes = {1, 3, 2, 16, 1, 5};
        List<long[]> ranges = new ArrayList<>(); // {first byte, last byte}: 2^63 is not a long
        ranges.add(new long[] {F, F + 4 * PAGE - 1});
        for (int i = 0; i < sizes.length; i++) {
            long hint = i % 2 == 0 ? 0 : F; // a hint, even one that is taken, is only a hint
            long size = sizes[i] * (long) PAGE;
            long off = local.register(memory(node0, size), hint, RW, 0);
            check(off >= 0, "automatic offset is in [0, 2^63): " + off);
            assertEquals(0, off % PAGE, "automatic offset is page-aligned: " + off);
            check(off <= RAS_END - size + 1, "automatic window [" + off + ", +" + size
                + ") ends by 2^63");
            long last = off + size - 1;
            for (long[] r : ranges) {
                check(last < r[0] || off > r[1], "automatic window [" + off + ", " + last
                    + "] overlaps [" + r[0] + ", " + r[1] + "]");
            }
            ranges.add(new long[] {off, last});
        }
    }

    @ParameterizedTest(name = "prot {0}")
    @ValueSource(ints = {0, Scif.PROT_READ, Scif.PROT_WRITE, Scif.PROT_READ | Scif.PROT_WRITE})
    void everyProtIsAccepted(int prot) throws ScifException {
        long off = local.register(aligned(PAGE), 0, prot, 0);
        assertEquals(0, off % PAGE, "offset");
        assertEquals(2 * PAGE, local.register(aligned(PAGE), 2 * PAGE, prot, Scif.MAP_FIXED),
            "fixed");
    }

    @Test
    void registeringTheSameMemoryTwiceIsLegal() throws ScifException {
        ByteBuffer m = memory(node0, 2 * PAGE);
        long first = local.register(m, F, RW, Scif.MAP_FIXED);
        long second = local.register(m, 0, RW, 0);
        check(first != second, "two windows over the same memory have distinct offsets");
        byte[] data = randomBytes(7, 2 * PAGE);
        remote.vwriteTo(direct(data), first, Scif.RMA_SYNC);
        ByteBuffer dst = ByteBuffer.allocate(2 * PAGE);
        remote.vreadFrom(dst, second, Scif.RMA_SYNC);
        assertSameBytes(data, dst.array(), "bytes written through one window are read through "
            + "the other: they share the memory");
        assertSameBytes(data, bytes(m, 0, 2 * PAGE), "and they are in the memory");
    }

    // ---- register errors ---------------------------------------------------------------------

    @ParameterizedTest(name = "prot {0}")
    @ValueSource(ints = {4, 8, 0x10, 0x20, 0x100, Scif.PROT_READ | 4, -1})
    void registerRejectsUnknownProtBits(int prot) {
        assertErrno(Errno.EINVAL, () -> local.register(aligned(PAGE), 0, prot, 0),
            "register with prot 0x" + Integer.toHexString(prot));
    }

    @ParameterizedTest(name = "flags {0}")
    @ValueSource(ints = {1, 2, 0x20, 0x40, 0x30, Scif.MAP_FIXED | 1, 0x1000, -1})
    void registerRejectsUnknownFlags(int flags) {
        assertErrno(Errno.EINVAL, () -> local.register(aligned(PAGE), 0, RW, flags),
            "register with flags 0x" + Integer.toHexString(flags) + " (MAP_KERNEL 0x20 included)");
    }

    @Test
    void registerRejectsUnalignedMemoryAndPartialPages() {
        ByteBuffer big = aligned(4 * PAGE);
        assertErrno(Errno.EINVAL, () -> local.register(big.slice(1, 2 * PAGE), 0, RW, 0),
            "memory not starting on a page");
        assertErrno(Errno.EINVAL, () -> local.register(big.slice(64, 3 * PAGE), F, RW,
            Scif.MAP_FIXED), "memory not starting on a page, MAP_FIXED");
        assertErrno(Errno.EINVAL, () -> local.register(big.slice(0, PAGE - 1), 0, RW, 0),
            "length 4095");
        assertErrno(Errno.EINVAL, () -> local.register(big.slice(0, PAGE + 1), 0, RW, 0),
            "length 4097");
        assertErrno(Errno.EINVAL, () -> local.register(big.slice(0, 0), 0, RW, 0), "length 0");
        assertErrno(Errno.EINVAL, () -> local.register(big.duplicate().position(PAGE / 2), 0, RW,
            0), "position half a page in");
    }

    @ParameterizedTest(name = "MAP_FIXED offset {0}")
    @ValueSource(longs = {1, 4095, 4097, F + 8, -4096, Long.MIN_VALUE, -1})
    void registerRejectsBadFixedOffsets(long offset) {
        assertErrno(Errno.EINVAL, () -> local.register(aligned(PAGE), offset, RW, Scif.MAP_FIXED),
            "MAP_FIXED at " + offset);
    }

    @Test
    void registerRejectsMemoryThatCannotBePinned() {
        assertErrno(Errno.EFAULT, () -> local.register(null, 0, RW, 0), "null region");
        assertErrno(Errno.EFAULT, () -> local.register(ByteBuffer.allocate(PAGE), 0, RW, 0),
            "heap buffer");
        assertErrno(Errno.EFAULT, () -> local.register(ByteBuffer.allocate(2 * PAGE), F,
            Scif.PROT_READ, Scif.MAP_FIXED), "heap buffer, MAP_FIXED, read only");
        ByteBuffer readOnly = aligned(PAGE).asReadOnlyBuffer();
        assertErrno(Errno.EFAULT, () -> local.register(readOnly, 0, RW, 0),
            "read-only buffer with PROT_WRITE");
        assertErrno(Errno.EFAULT, () -> local.register(readOnly, 0, Scif.PROT_WRITE, 0),
            "read-only buffer with PROT_WRITE alone");
    }

    @Test
    void readOnlyMemoryRegistersForReading() throws ScifException {
        ByteBuffer m = aligned(PAGE);
        m.put(0, randomBytes(11, PAGE));
        long off = local.register(m.asReadOnlyBuffer(), 0, Scif.PROT_READ, 0);
        ByteBuffer dst = ByteBuffer.allocate(PAGE);
        remote.vreadFrom(dst, off, Scif.RMA_SYNC);
        assertSameBytes(randomBytes(11, PAGE), dst.array(), "the peer reads read-only memory");
        assertErrno(Errno.EPERM, () -> remote.vwriteTo(ByteBuffer.allocate(8), off, Scif.RMA_SYNC),
            "the window has no PROT_WRITE");
    }

    @Test
    void mapFixedOverlapIsEaddrinuse() throws ScifException {
        assertEquals(F, local.register(aligned(4 * PAGE), F, RW, Scif.MAP_FIXED), "[F, F+4p)");
        long[][] overlapping = {{F, 4}, {F, 1}, {F + PAGE, 2}, {F + 3 * PAGE, 2}, {F - PAGE, 2},
            {F - PAGE, 6}, {F + 3 * PAGE, 1}};
        for (long[] o : overlapping) {
            long at = o[0];
            int pages = (int) o[1];
            assertErrno(Errno.EADDRINUSE, () -> local.register(aligned(pages * PAGE), at, RW,
                Scif.MAP_FIXED), "MAP_FIXED [" + at + ", +" + pages + " pages) over [F, F+4p)");
        }
        assertEquals(F - PAGE, local.register(aligned(PAGE), F - PAGE, RW, Scif.MAP_FIXED),
            "the page just before is free");
        assertEquals(F + 4 * PAGE, local.register(aligned(PAGE), F + 4 * PAGE, RW, Scif.MAP_FIXED),
            "the page just after is free");
        assertErrno(Errno.EADDRINUSE, () -> local.register(aligned(6 * PAGE), F - PAGE, RW,
            Scif.MAP_FIXED), "over three windows");
    }

    @Test
    void aWindowTheRemoteStillMapsKeepsItsRangeAfterUnregister() throws ScifException {
        assumeTrue(fixture.mapsPeerMemory(), fixture.transportName() + " cannot map a peer's window");
        ByteBuffer m = memory(node0, 2 * PAGE);
        m.put(0, randomBytes(21, 2 * PAGE));
        assertEquals(F, local.register(m, F, RW, Scif.MAP_FIXED), "window");
        Mapping mapping = map(remote, F, 2 * PAGE, Scif.PROT_READ);
        local.unregister(F, 2 * PAGE);
        assertErrno(Errno.ENXIO, () -> remote.vreadFrom(ByteBuffer.allocate(8), F, Scif.RMA_SYNC),
            "an RMA naming an unregistered window");
        assertErrno(Errno.ENXIO, () -> local.unregister(F, 2 * PAGE), "unregister again");
        assertErrno(Errno.EADDRINUSE, () -> local.register(aligned(PAGE), F + PAGE, RW,
            Scif.MAP_FIXED), "MAP_FIXED over a window whose unregistration is pending (mapped)");
        assertErrno(Errno.EADDRINUSE, () -> local.register(aligned(2 * PAGE), F, RW,
            Scif.MAP_FIXED), "MAP_FIXED at exactly the pending window");
        assertSameBytes(randomBytes(21, 2 * PAGE), bytes(mapping.buffer(), 0, 2 * PAGE),
            "the mapping still shows the memory");
        mapping.close();
        awaitRegisterFixed(local, aligned(2 * PAGE), F, RW,
            "the range is free again once the mapping is closed");
    }

    // ---- unregister --------------------------------------------------------------------------

    @Test
    void unregisterRemovesAWholeWindowAndRmasNamingItFail() throws ScifException {
        Windows w = windows(local, node0, F, RW, 2);
        w.fill(31);
        local.unregister(F, 2 * PAGE);
        assertErrno(Errno.ENXIO, () -> remote.vreadFrom(ByteBuffer.allocate(16), F + 8,
            Scif.RMA_SYNC), "remote vreadFrom naming an unregistered window");
        assertErrno(Errno.ENXIO, () -> remote.vwriteTo(ByteBuffer.allocate(16), F, Scif.RMA_SYNC),
            "remote vwriteTo naming an unregistered window");
        Windows peer = windows(remote, node1, 0, RW, 1);
        assertErrno(Errno.ENXIO, () -> local.writeTo(F, 16, 0, Scif.RMA_SYNC),
            "local writeTo from an unregistered window");
        assertErrno(Errno.ENXIO, () -> remote.writeTo(0, 16, F, Scif.RMA_SYNC),
            "the peer's writeTo into an unregistered window");
        assertErrno(fixture.mapsPeerMemory() ? Errno.ENXIO : Errno.EOPNOTSUPP,
            () -> remote.mmap(F, PAGE, Scif.PROT_READ), "mmap of an unregistered window");
        w.assertMatchesModel("unregistered window memory after failed RMAs");
        peer.assertMatchesModel("peer window after failed RMAs");
        assertEquals(F, local.register(aligned(2 * PAGE), F, RW, Scif.MAP_FIXED),
            "the range can be registered again");
    }

    @Test
    void unregisterRemovesARunOfAdjacentWindows() throws ScifException {
        windows(local, node0, F, RW, 1, 2, 1);
        windows(local, node0, F + 8 * PAGE, RW, 1);
        local.unregister(F, 4 * PAGE);
        for (long off : new long[] {F, F + PAGE, F + 3 * PAGE}) {
            assertErrno(Errno.ENXIO, () -> remote.vreadFrom(ByteBuffer.allocate(8), off,
                Scif.RMA_SYNC), "RMA at " + off + " after its run was unregistered");
        }
        remote.vreadFrom(ByteBuffer.allocate(8), F + 8 * PAGE, Scif.RMA_SYNC);
        assertEquals(F, local.register(aligned(4 * PAGE), F, RW, Scif.MAP_FIXED),
            "the whole run is free again");
    }

    @Test
    void unregisterOfARangeThatCutsAWindowIsEinvalAndRemovesNothing() throws ScifException {
        windows(local, node0, F, RW, 2, 2);
        long[][] cutting = {{F, 1}, {F + PAGE, 1}, {F + PAGE, 2}, {F, 3}, {F + PAGE, 3},
            {F + 3 * PAGE, 1}};
        for (long[] c : cutting) {
            assertErrno(Errno.EINVAL, () -> local.unregister(c[0], c[1] * PAGE),
                "unregister [" + c[0] + ", +" + c[1] + " pages) of windows [F, F+2p), [F+2p, F+4p)");
        }
        assertAllReadable(F, 4, "after refused unregisters");
    }

    @Test
    void unregisterOfAGapOrNothingIsEnxioAndRemovesNothing() throws ScifException {
        windows(local, node0, F, RW, 1);
        windows(local, node0, F + 2 * PAGE, RW, 1);
        assertErrno(Errno.ENXIO, () -> local.unregister(F, 3 * PAGE), "two windows with a gap");
        assertErrno(Errno.ENXIO, () -> local.unregister(F + PAGE, PAGE), "the gap itself");
        assertErrno(Errno.ENXIO, () -> local.unregister(F, 4 * PAGE), "a window, gap, window, "
            + "nothing");
        assertErrno(Errno.ENXIO, () -> local.unregister(0, PAGE), "where no window ever was");
        assertAllReadable(F, 1, "first window after refused unregisters");
        assertAllReadable(F + 2 * PAGE, 1, "second window after refused unregisters");
        try (Connection c = connect(node0, node1)) {
            assertErrno(Errno.ENXIO, () -> c.connector().unregister(0, PAGE),
                "an endpoint with no window at all");
        }
    }

    @Test
    void unregisterRejectsUnalignedAndEmptyRanges() throws ScifException {
        windows(local, node0, F, RW, 2);
        assertErrno(Errno.EINVAL, () -> local.unregister(F + 1, 2 * PAGE), "unaligned offset");
        assertErrno(Errno.EINVAL, () -> local.unregister(F, 2 * PAGE - 1), "unaligned length");
        assertErrno(Errno.EINVAL, () -> local.unregister(F, 2 * PAGE + 1), "length 2p+1");
        assertErrno(Errno.EINVAL, () -> local.unregister(F, 0), "length 0");
        assertErrno(Errno.EINVAL, () -> local.unregister(-PAGE, PAGE), "negative offset");
        assertAllReadable(F, 2, "after refused unregisters");
        local.unregister(F, 2 * PAGE);
    }

    @Test
    void rmasInFlightCompleteAcrossAnUnregisterOfEitherSide() throws ScifException {
        int size = 8 << 20;
        ByteBuffer src = memory(node0, size);
        ByteBuffer dst = memory(node1, size);
        long lo = local.register(src, F, RW, Scif.MAP_FIXED);
        assertEquals(F, remote.register(dst, F, RW, Scif.MAP_FIXED), "destination window");
        byte[] data = randomBytes(51, size);
        src.put(0, data);
        local.writeTo(lo, size, F, 0);
        remote.unregister(F, size); // the destination, while the DMA may still write it
        local.unregister(lo, size); // and the source, while the DMA may still read it
        fence(local);
        assertEquals(crc(data), crc(dst, 0, size),
            "an RMA in flight at unregister runs to completion against the still-pinned memory");
        assertErrno(Errno.ENXIO, () -> local.writeTo(lo, 8, F, Scif.RMA_SYNC),
            "a new RMA naming the unregistered windows");
        awaitRegisterFixed(remote, aligned(PAGE), F, RW,
            "the destination range is free again once the RMA is complete");
        awaitRegisterFixed(local, aligned(PAGE), F, RW,
            "the source range is free again once the RMA is complete");
    }

    // ---- state -------------------------------------------------------------------------------

    @Test
    void registerAndUnregisterOnUnconnectedEndpointsAreEnotconn() throws ScifException {
        try (Endpoint unbound = open(node0); Endpoint bound = open(node0);
             Endpoint listening = listener(node0, 0, 1)) {
            bound.bind(0);
            for (Endpoint ep : new Endpoint[] {unbound, bound, listening}) {
                assertErrno(Errno.ENOTCONN, () -> ep.register(aligned(PAGE), 0, RW, 0),
                    "register on " + ep);
                assertErrno(Errno.ENOTCONN, () -> ep.unregister(0, PAGE), "unregister on " + ep);
            }
        }
    }

    @Test
    void registerAndUnregisterAfterPeerCloseAreEconnreset() throws ScifException {
        windows(local, node0, F, RW, 1);
        remote.close();
        awaitEvents(local, Scif.POLLIN, Scif.POLLHUP, "the peer closed");
        assertErrno(Errno.ECONNRESET, () -> local.register(aligned(PAGE), 0, RW, 0),
            "register after the peer closed");
        assertErrno(Errno.ECONNRESET, () -> local.unregister(F, PAGE),
            "unregister after the peer closed");
        local.close();
        assertErrno(Errno.EBADF, () -> local.register(aligned(PAGE), 0, RW, 0),
            "register on a closed endpoint");
    }

    /** The peer reads every page of a local window range (so it is still registered). */
    private void assertAllReadable(long from, int pages, String what) throws ScifException {
        for (int p = 0; p < pages; p++) {
            remote.vreadFrom(ByteBuffer.allocate(PAGE), from + (long) p * PAGE, Scif.RMA_SYNC);
        }
        try {
            remote.vreadFrom(ByteBuffer.allocate(pages * PAGE), from, Scif.RMA_SYNC);
        } catch (ScifException e) {
            throw new AssertionError(what + ": the windows [" + from + ", +" + pages
                + " pages) are no longer all registered: " + e.getMessage(), e);
        }
    }
}
