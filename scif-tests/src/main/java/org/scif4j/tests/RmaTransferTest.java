package org.scif4j.tests;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * RMA (SCIF; docs/decisions.md "RMA flags", "RMA ranges", "vreadFrom /
 * vwriteTo", "DMA engine"): readFrom, writeTo, vreadFrom and vwriteTo with every flag
 * combination move exactly the bytes asked for, across chains of adjacent windows on either
 * side, at unaligned offsets and lengths from 1 byte to several MiB; their EINVAL, ENXIO, EPERM
 * and EFAULT cases fail before any byte moves; many threads on one endpoint at once.
 * Asynchronous RMAs are checked only after a fence.
 */
public abstract class RmaTransferTest extends RmaTestBase {
    private static final int RW = Scif.PROT_READ | Scif.PROT_WRITE;
    /** Base of this side's windows. */
    private static final long L = 1L << 30;
    /** Base of the peer's windows. */
    private static final long R = 1L << 31;

    /** The four RMA calls, run against a chain of local and a chain of remote windows. */
    protected enum Op {
        /** {@code writeTo}: local windows to remote windows. */
        WRITE_TO,
        /** {@code readFrom}: remote windows to local windows. */
        READ_FROM,
        /** {@code vwriteTo}: a buffer to remote windows. */
        VWRITE_TO,
        /** {@code vreadFrom}: remote windows to a buffer. */
        VREAD_FROM
    }

    static Stream<Arguments> opsAndFlags() {
        List<Arguments> out = new ArrayList<>();
        for (Op op : Op.values()) {
            for (int flags : ALL_RMA_FLAGS) {
                out.add(Arguments.of(op, flags));
            }
        }
        return out.stream();
    }

    /** Ranges {local offset, remote offset, length} relative to L and R. */
    private static final int[][] RANGES = {
        {0, 0, 1},
        {6 * PAGE - 1, 6 * PAGE - 1, 1},
        {PAGE - 1, 100, 2},
        {2 * PAGE - 10, PAGE - 3, 20},
        {7, 100, 5 * PAGE + 50},
        {33, PAGE + 1, 3 * PAGE},
        {0, 0, 6 * PAGE},
        {PAGE + 1, 0, 5 * PAGE - 1},
        {5 * PAGE + 17, 63, PAGE - 17},
        {1000, 5 * PAGE + 1, PAGE - 1},
    };

    @ParameterizedTest(name = "{0} flags {1}")
    @MethodSource("opsAndFlags")
    void movesExactlyTheBytesAcrossWindowBoundaries(Op op, int flags) throws ScifException {
        Windows loc = windows(local, node0, L, RW, 2, 3, 1);
        Windows rem = windows(remote, node1, R, RW, 1, 4, 1);
        int seed = 0;
        for (int[] r : RANGES) {
            loc.fill(++seed);
            rem.fill(++seed);
            transfer(op, loc, rem, L + r[0], R + r[1], r[2], flags, seed,
                op + " flags 0x" + Integer.toHexString(flags) + " local +" + r[0] + " remote +"
                    + r[1] + " length " + r[2]);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Op.class)
    @Tag("slow")
    void movesSeveralMebibytesIntact(Op op) throws ScifException {
        Windows loc = windows(local, node0, L, RW, 512, 768, 512);
        Windows rem = windows(remote, node1, R, RW, 768, 256, 768);
        int len = 7 * (1 << 20) - 12_345 - 777;
        int seed = 100;
        for (int flags : new int[] {0, Scif.RMA_USECPU, Scif.RMA_SYNC,
            Scif.RMA_SYNC | Scif.RMA_ORDERED}) {
            loc.fill(++seed);
            rem.fill(++seed);
            transfer(op, loc, rem, L + 12_345, R + 777, len, flags, seed,
                op + " of " + len + " bytes, flags 0x" + Integer.toHexString(flags));
        }
    }

    /**
     * Runs one RMA and checks that the destination holds the source's bytes at the range and is
     * unchanged elsewhere, and that the source is unchanged.
     */
    private void transfer(Op op, Windows loc, Windows rem, long lo, long ro, int len, int flags,
        int seed, String what) throws ScifException {
        switch (op) {
            case WRITE_TO:
                local.writeTo(lo, len, ro, flags);
                settle(local, flags);
                rem.written(ro, loc.expected(lo, len));
                break;
            case READ_FROM:
                local.readFrom(lo, len, ro, flags);
                settle(local, flags);
                loc.written(lo, rem.expected(ro, len));
                break;
            case VWRITE_TO: {
                byte[] data = randomBytes(seed, len);
                ByteBuffer src = buffer(seed / 2 % 4, data);
                int pos = src.position();
                local.vwriteTo(src, ro, flags);
                assertEquals(pos, src.position(), what + ": vwriteTo does not move the position");
                settle(local, flags);
                rem.written(ro, data);
                break;
            }
            case VREAD_FROM: {
                byte[] junk = randomBytes(-seed, len + 16);
                ByteBuffer dst = buffer(seed / 2 % 3, junk).limit(pick(seed / 2 % 3) + len);
                int pos = dst.position();
                local.vreadFrom(dst, ro, flags);
                assertEquals(pos, dst.position(), what + ": vreadFrom does not move the position");
                settle(local, flags);
                assertSameBytes(rem.expected(ro, len), bytes(dst, pos, len), what + ": the buffer");
                if (pos > 0) {
                    assertSameBytes(new byte[pos], bytes(dst, 0, pos),
                        what + ": the buffer before its position is untouched");
                }
                assertSameBytes(java.util.Arrays.copyOfRange(junk, len, len + 8),
                    bytes(dst, pos + len, 8), what + ": the buffer past its limit is untouched");
                break;
            }
            default:
                throw new AssertionError(op);
        }
        loc.assertMatchesModel(what + ": local windows");
        rem.assertMatchesModel(what + ": remote windows");
    }

    /** Where {@link #buffer} puts the data: 0 for kinds 0 and 1, 5 for kind 2 and 3. */
    private static int pick(int kind) {
        return kind >= 2 ? 5 : 0;
    }

    /**
     * A buffer holding {@code data} from its position: 0 heap, 1 direct, 2 heap at position 5,
     * 3 read-only heap at position 5.
     */
    private static ByteBuffer buffer(int kind, byte[] data) {
        int pos = pick(kind);
        ByteBuffer b = kind == 1 ? ByteBuffer.allocateDirect(data.length + pos)
            : ByteBuffer.allocate(data.length + pos + 3);
        b.put(pos, data).position(pos).limit(pos + data.length);
        return kind == 3 ? b.asReadOnlyBuffer() : b;
    }

    /**
     * Options that give a node a DMA engine with several threads, so that one large RMA is split
     * across them (shm: {@code dma=4}); empty if the transport has no such option.
     *
     * @return URI options for {@link #attach(int, String)}
     */
    protected String parallelDmaOptions() {
        return "";
    }

    /** A second connection, between nodes 2 and 3 attached with {@link #parallelDmaOptions}. */
    private Connection parallelDmaConnection() throws ScifException {
        return connect(attach(2, parallelDmaOptions()), attach(3, parallelDmaOptions()));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Op.class, names = {"WRITE_TO", "VWRITE_TO"})
    @Tag("slow")
    void orderedMakesTheLastBytesVisibleLast(Op op) throws ScifException {
        int size = 8 << 20;
        Connection c = parallelDmaConnection();
        Endpoint local = c.connector();
        Endpoint remote = c.acceptor();
        ByteBuffer src = aligned(size);
        ByteBuffer dst = aligned(size);
        long lo = local.register(src, 0, RW, 0);
        long ro = remote.register(dst, 0, RW, 0);
        for (int round = 0; round < 3; round++) {
            byte[] data = randomBytes(40 + round, size);
            long marker = 0x5EED_0000L + round + 1;
            java.nio.ByteBuffer.wrap(data).order(java.nio.ByteOrder.nativeOrder())
                .putLong(size - 8, marker);
            src.put(0, data);
            if (op == Op.WRITE_TO) {
                local.writeTo(lo, size, ro, Scif.RMA_ORDERED);
            } else {
                local.vwriteTo(src.duplicate(), ro, Scif.RMA_ORDERED);
            }
            // the flag in the transfer's own last cache line: when it shows, all bytes are there
            awaitWord(dst, size - 8, marker, op + " RMA_ORDERED round " + round);
            assertEquals(crc(data), crc(dst, 0, size), op + " RMA_ORDERED round " + round
                + ": every byte is visible once the last line is");
            fence(local);
        }
        c.close();
    }

    // ---- errors ------------------------------------------------------------------------------

    /** Runs {@code op} over [lo or buffer, len] and ro with {@code flags}. */
    private void call(Op op, long lo, int len, long ro, int flags) throws ScifException {
        switch (op) {
            case WRITE_TO:
                local.writeTo(lo, len, ro, flags);
                break;
            case READ_FROM:
                local.readFrom(lo, len, ro, flags);
                break;
            case VWRITE_TO:
                local.vwriteTo(ByteBuffer.wrap(randomBytes(len, len)), ro, flags);
                break;
            case VREAD_FROM: {
                ByteBuffer dst = ByteBuffer.allocate(len);
                local.vreadFrom(dst, ro, flags);
                check(isZero(dst.array()), op + " at " + ro + " failed but wrote into the buffer");
                break;
            }
            default:
                throw new AssertionError(op);
        }
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Op.class)
    void zeroLengthAndFlagsWithoutAValidBitAreEinval(Op op) throws ScifException {
        Windows loc = windows(local, node0, L, RW, 2);
        Windows rem = windows(remote, node1, R, RW, 2);
        loc.fill(1);
        rem.fill(2);
        assertErrno(Errno.EINVAL, () -> call(op, L, 0, R, Scif.RMA_SYNC), op + " of 0 bytes");
        assertErrno(Errno.EINVAL, () -> call(op, L, 0, R, 0), op + " of 0 bytes, flags 0");
        for (int flags : new int[] {0x10, 0x20, 0x40, 0x100, 0xF0, 0x7FFF_FFF0, Integer.MIN_VALUE}) {
            assertErrno(Errno.EINVAL, () -> call(op, L + 3, 100, R + 5, flags),
                op + " with flags 0x" + Integer.toHexString(flags) + " (no valid bit)");
        }
        fence(local);
        loc.assertMatchesModel(op + ": local windows after refused calls");
        rem.assertMatchesModel(op + ": remote windows after refused calls");
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Op.class)
    void rangesNotInsideAdjacentWindowsAreEnxioAndMoveNothing(Op op) throws ScifException {
        Windows loc = windows(local, node0, L, RW, 2, 1);
        Windows locAfterGap = windows(local, node0, L + 4 * PAGE, RW, 1);
        Windows rem = windows(remote, node1, R, RW, 1, 2);
        Windows remAfterGap = windows(remote, node1, R + 4 * PAGE, RW, 1);
        loc.fill(1);
        locAfterGap.fill(2);
        rem.fill(3);
        remAfterGap.fill(4);
        long[][] badRemote = {
            {R + 3 * PAGE - 10, 20},      // runs past the end of the chain into the gap
            {R - 1, 2},                   // starts before the first window
            {R + 3 * PAGE + 8, 16},       // inside the gap
            {R + 2 * PAGE, 3 * PAGE},     // over the gap into the next window
            {R + 3 * PAGE - 1, PAGE + 2}, // the last byte before the gap to the first after it
            {0, 8},                       // where there is no window
            {-PAGE, 8},                   // negative
            {Long.MIN_VALUE, 8},
        };
        for (long[] b : badRemote) {
            assertErrno(Errno.ENXIO, () -> call(op, L + 5, (int) b[1], b[0], Scif.RMA_SYNC),
                op + ": remote range [" + b[0] + ", +" + b[1] + ")");
            assertErrno(Errno.ENXIO, () -> call(op, L + 5, (int) b[1], b[0], 0),
                op + ": remote range [" + b[0] + ", +" + b[1] + "), flags 0");
        }
        if (op == Op.WRITE_TO || op == Op.READ_FROM) {
            long[][] badLocal = {
                {L + 3 * PAGE - 10, 20}, {L - 1, 2}, {L + 3 * PAGE + 8, 16},
                {L + 2 * PAGE, 3 * PAGE}, {0, 8}, {-PAGE, 8}, {Long.MIN_VALUE, 8},
            };
            for (long[] b : badLocal) {
                assertErrno(Errno.ENXIO, () -> call(op, b[0], (int) b[1], R + 7, Scif.RMA_USECPU),
                    op + ": local range [" + b[0] + ", +" + b[1] + ")");
                assertErrno(Errno.ENXIO, () -> call(op, b[0], (int) b[1], R + 7, 0),
                    op + ": local range [" + b[0] + ", +" + b[1] + "), flags 0");
            }
        }
        fence(local);
        loc.assertMatchesModel(op + ": local windows after ENXIO");
        locAfterGap.assertMatchesModel(op + ": local window after the gap, after ENXIO");
        rem.assertMatchesModel(op + ": remote windows after ENXIO");
        remAfterGap.assertMatchesModel(op + ": remote window after the gap, after ENXIO");
    }

    @Test
    void protectionIsCheckedOnBothSidesBeforeAnyByteMoves() throws ScifException {
        // this side: [RW][R][W][none] at L; the peer: [RW][R][W][none] at R
        Windows lRw = windows(local, node0, L, RW, 1);
        Windows lR = windows(local, node0, L + PAGE, Scif.PROT_READ, 1);
        Windows lW = windows(local, node0, L + 2 * PAGE, Scif.PROT_WRITE, 1);
        Windows lNone = windows(local, node0, L + 3 * PAGE, 0, 1);
        Windows rRw = windows(remote, node1, R, RW, 1);
        Windows rR = windows(remote, node1, R + PAGE, Scif.PROT_READ, 1);
        Windows rW = windows(remote, node1, R + 2 * PAGE, Scif.PROT_WRITE, 1);
        Windows rNone = windows(remote, node1, R + 3 * PAGE, 0, 1);
        Windows[] all = {lRw, lR, lW, lNone, rRw, rR, rW, rNone};
        for (int i = 0; i < all.length; i++) {
            all[i].fill(i + 1);
        }
        long rw = 0;
        long ro = PAGE;
        long wo = 2 * PAGE;
        long none = 3 * PAGE;
        int n = 100;
        // writeTo needs local READ and remote WRITE
        assertErrno(Errno.EPERM, () -> local.writeTo(L + wo, n, R + rw, Scif.RMA_SYNC),
            "writeTo from a write-only local window");
        assertErrno(Errno.EPERM, () -> local.writeTo(L + none, n, R + rw, Scif.RMA_SYNC),
            "writeTo from a local window without rights");
        assertErrno(Errno.EPERM, () -> local.writeTo(L + rw, n, R + ro, Scif.RMA_SYNC),
            "writeTo into a read-only remote window");
        assertErrno(Errno.EPERM, () -> local.writeTo(L + rw, n, R + none, 0),
            "writeTo into a remote window without rights");
        assertErrno(Errno.EPERM, () -> local.writeTo(L + rw, 2 * PAGE, R + rw + 10, 0),
            "writeTo into a RW window running on into a read-only one");
        // readFrom needs local WRITE and remote READ
        assertErrno(Errno.EPERM, () -> local.readFrom(L + ro, n, R + rw, Scif.RMA_SYNC),
            "readFrom into a read-only local window");
        assertErrno(Errno.EPERM, () -> local.readFrom(L + none, n, R + rw, 0),
            "readFrom into a local window without rights");
        assertErrno(Errno.EPERM, () -> local.readFrom(L + rw, n, R + wo, Scif.RMA_SYNC),
            "readFrom a write-only remote window");
        assertErrno(Errno.EPERM, () -> local.readFrom(L + rw, n, R + none, Scif.RMA_USECPU),
            "readFrom a remote window without rights");
        assertErrno(Errno.EPERM, () -> local.readFrom(L + 10, 2 * PAGE, R + rw, 0),
            "readFrom into a RW window running on into a read-only one");
        // vwriteTo needs remote WRITE, vreadFrom remote READ
        assertErrno(Errno.EPERM, () -> local.vwriteTo(ByteBuffer.allocate(n), R + ro,
            Scif.RMA_SYNC), "vwriteTo into a read-only remote window");
        assertErrno(Errno.EPERM, () -> local.vwriteTo(ByteBuffer.allocate(n), R + none, 0),
            "vwriteTo into a remote window without rights");
        ByteBuffer dst = ByteBuffer.allocate(n);
        assertErrno(Errno.EPERM, () -> local.vreadFrom(dst, R + wo, Scif.RMA_SYNC),
            "vreadFrom a write-only remote window");
        assertErrno(Errno.EPERM, () -> local.vreadFrom(dst, R + none, 0),
            "vreadFrom a remote window without rights");
        assertErrno(Errno.EPERM, () -> local.vwriteTo(ByteBuffer.allocateDirect(2 * PAGE),
            R + rw + 10, 0), "vwriteTo into a RW window running on into a read-only one");
        ByteBuffer wide = ByteBuffer.allocate(2 * PAGE);
        assertErrno(Errno.EPERM, () -> local.vreadFrom(wide, R + ro + 10, Scif.RMA_USECPU),
            "vreadFrom a read-only window running on into a write-only one");
        check(isZero(wide.array()), "a refused vreadFrom wrote nothing into the buffer");
        check(isZero(dst.array()), "a refused vreadFrom wrote nothing into the buffer");
        fence(local);
        for (Windows w : all) {
            w.assertMatchesModel("windows after refused RMAs");
        }
        // the rights that are needed suffice
        local.writeTo(L + ro, n, R + wo, Scif.RMA_SYNC);
        rW.written(R + wo, lR.expected(L + ro, n));
        local.readFrom(L + wo, n, R + ro, 0);
        fence(local);
        lW.written(L + wo, rR.expected(R + ro, n));
        byte[] data = randomBytes(99, n);
        local.vwriteTo(direct(data), R + wo + 200, Scif.RMA_SYNC);
        rW.written(R + wo + 200, data);
        local.vreadFrom(dst, R + ro, Scif.RMA_SYNC);
        assertSameBytes(rR.expected(R + ro, n), dst.array(), "vreadFrom a read-only window");
        for (Windows w : all) {
            w.assertMatchesModel("windows after permitted RMAs");
        }
    }

    @Test
    void nullAndReadOnlyBuffersAreEfault() throws ScifException {
        Windows rem = windows(remote, node1, R, RW, 1);
        rem.fill(5);
        assertErrno(Errno.EFAULT, () -> local.vwriteTo(null, R, Scif.RMA_SYNC), "vwriteTo(null)");
        assertErrno(Errno.EFAULT, () -> local.vreadFrom(null, R, Scif.RMA_SYNC), "vreadFrom(null)");
        assertErrno(Errno.EFAULT, () -> local.vwriteTo(null, R, 0), "vwriteTo(null), flags 0");
        ByteBuffer ro = ByteBuffer.allocate(64).asReadOnlyBuffer();
        assertErrno(Errno.EFAULT, () -> local.vreadFrom(ro, R, Scif.RMA_SYNC),
            "vreadFrom into a read-only buffer");
        ByteBuffer roDirect = ByteBuffer.allocateDirect(64).asReadOnlyBuffer();
        assertErrno(Errno.EFAULT, () -> local.vreadFrom(roDirect, R, 0),
            "vreadFrom into a read-only direct buffer");
        fence(local);
        rem.assertMatchesModel("remote window after EFAULT");
    }

    @Test
    void rmasOnUnconnectedOrResetEndpointsFail() throws ScifException {
        windows(local, node0, L, RW, 1);
        windows(remote, node1, R, RW, 1);
        try (Endpoint unbound = open(node0)) {
            for (Op op : Op.values()) {
                assertErrno(Errno.ENOTCONN, () -> callOn(unbound, op), op + " on an unbound endpoint");
            }
        }
        remote.close();
        awaitEvents(local, Scif.POLLIN, Scif.POLLHUP, "the peer closed");
        for (Op op : Op.values()) {
            assertErrno(Errno.ECONNRESET, () -> callOn(local, op), op + " after the peer closed");
        }
    }

    private static void callOn(Endpoint ep, Op op) throws ScifException {
        switch (op) {
            case WRITE_TO:
                ep.writeTo(L, 8, R, Scif.RMA_SYNC);
                break;
            case READ_FROM:
                ep.readFrom(L, 8, R, Scif.RMA_SYNC);
                break;
            case VWRITE_TO:
                ep.vwriteTo(ByteBuffer.allocate(8), R, Scif.RMA_SYNC);
                break;
            default:
                ep.vreadFrom(ByteBuffer.allocate(8), R, Scif.RMA_SYNC);
        }
    }

    // ---- concurrency -------------------------------------------------------------------------

    @Test
    @Tag("slow")
    void manyThreadsRmaAndFenceOnOneEndpointAtOnce() throws ScifException {
        int threads = 8;
        int region = 256 * 1024;
        int rounds = 24;
        Connection c = parallelDmaConnection();
        Endpoint local = c.connector();
        Endpoint remote = c.acceptor();
        ByteBuffer lmem = aligned(threads * region);
        ByteBuffer rmem = aligned(threads * region);
        long lo = local.register(lmem, 0, RW, 0);
        long ro = remote.register(rmem, 0, RW, 0);
        int[] flagCycle = {0, Scif.RMA_USECPU, Scif.RMA_SYNC, Scif.RMA_USECPU | Scif.RMA_SYNC,
            Scif.RMA_ORDERED, Scif.RMA_SYNC | Scif.RMA_ORDERED, Scif.RMA_USECACHE};
        List<Async<Integer>> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            ByteBuffer mine = lmem.slice(id * region, region);
            ByteBuffer theirs = rmem.slice(id * region, region);
            long myLo = lo + (long) id * region;
            long myRo = ro + (long) id * region;
            workers.add(async("rma-" + id, () -> {
                SplittableRandom rnd = new SplittableRandom(id);
                for (int i = 0; i < rounds; i++) {
                    int flags = flagCycle[(i + id) % flagCycle.length];
                    int len = 1 + rnd.nextInt(region - 1);
                    int at = rnd.nextInt(region - len + 1);
                    byte[] data = randomBytes(id * 1000L + i, len);
                    String what = "thread " + id + " round " + i + " flags 0x"
                        + Integer.toHexString(flags) + " [" + at + ", +" + len + ")";
                    switch ((i + id) % 4) {
                        case 0:
                            mine.put(at, data);
                            local.writeTo(myLo + at, len, myRo + at, flags);
                            settle(local, flags);
                            assertSameBytes(data, bytes(theirs, at, len), what + " writeTo");
                            break;
                        case 1:
                            theirs.put(at, data);
                            local.readFrom(myLo + at, len, myRo + at, flags);
                            settle(local, flags);
                            assertSameBytes(data, bytes(mine, at, len), what + " readFrom");
                            break;
                        case 2:
                            local.vwriteTo(i % 2 == 0 ? direct(data) : ByteBuffer.wrap(data), myRo + at,
                                flags);
                            settle(local, flags);
                            assertSameBytes(data, bytes(theirs, at, len), what + " vwriteTo");
                            break;
                        default: {
                            theirs.put(at, data);
                            ByteBuffer dst = ByteBuffer.allocateDirect(len);
                            local.vreadFrom(dst, myRo + at, flags);
                            settle(local, flags);
                            assertSameBytes(data, bytes(dst, 0, len), what + " vreadFrom");
                        }
                    }
                    if (i % 5 == 4) {
                        local.fenceWait(local.fenceMark(Scif.FENCE_INIT_PEER));
                    }
                }
                return rounds;
            }));
        }
        for (Async<Integer> w : workers) {
            assertEquals(rounds, w.get(SOON.multipliedBy(6)), "rounds done by " + w);
        }
        c.close();
    }
}
