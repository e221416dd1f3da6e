package org.scif4j.tests;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fences (SCIF; docs/decisions.md "fence marks", "fenceWait",
 * "fenceSignal"): INIT_SELF marks are non-negative and INIT_PEER marks negative (bit 31);
 * fenceWait returns only once the marked RMAs are complete, also for the peer's RMAs; fenceSignal
 * stores its 64-bit values in native byte order only after the RMAs it covers are complete and
 * visible, with the documented meaning of SIGNAL_LOCAL and SIGNAL_REMOTE for both INIT flags
 * (no swap, quirk 5); and the EINVAL, ENXIO, EPERM and state errors of all three calls.
 */
@SuppressWarnings("try") // tests close resources mid-test on purpose
public abstract class RmaFenceTest extends RmaTestBase {
    private static final int RW = Scif.PROT_READ | Scif.PROT_WRITE;
    private static final int BIG = 8 << 20;
    /** Base of the data windows on either side. */
    private static final long D = 1L << 32;
    /** Base of the flag windows on either side. */
    private static final long FLAGS = 1L << 33;

    /** Big data windows on both sides and a one-page flag window on each side. */
    private ByteBuffer localData;
    private ByteBuffer remoteData;
    private ByteBuffer localFlags;
    private ByteBuffer remoteFlags;

    private void bigWindows() throws ScifException {
        localData = memory(node0, BIG);
        remoteData = memory(node1, BIG);
        localFlags = memory(node0, PAGE);
        remoteFlags = aligned(PAGE);
        assertEquals(D, local.register(localData, D, RW, Scif.MAP_FIXED), "local data");
        assertEquals(D, remote.register(remoteData, D, RW, Scif.MAP_FIXED), "remote data");
        assertEquals(FLAGS, local.register(localFlags, FLAGS, RW, Scif.MAP_FIXED), "local flags");
        assertEquals(FLAGS, remote.register(remoteFlags, FLAGS, RW, Scif.MAP_FIXED),
            "remote flags");
    }

    // ---- fenceMark ---------------------------------------------------------------------------

    @Test
    void initSelfMarksAreNonNegativeAndInitPeerMarksNegative() throws ScifException {
        bigWindows();
        check(local.fenceMark(Scif.FENCE_INIT_SELF) >= 0, "INIT_SELF mark with nothing pending");
        check(local.fenceMark(Scif.FENCE_INIT_PEER) < 0, "INIT_PEER mark carries bit 31");
        localData.put(0, randomBytes(1, BIG));
        local.writeTo(D, BIG, D, 0);
        int self = local.fenceMark(Scif.FENCE_INIT_SELF);
        check(self >= 0, "INIT_SELF mark behind an async writeTo: " + self);
        remote.writeTo(D, BIG, D, 0);
        int peer = local.fenceMark(Scif.FENCE_INIT_PEER);
        check(peer < 0, "INIT_PEER mark behind the peer's async writeTo: " + peer);
        local.fenceWait(self);
        remote.fenceWait(remote.fenceMark(Scif.FENCE_INIT_SELF));
        local.fenceWait(peer);
    }

    @ParameterizedTest(name = "flags {0}")
    @ValueSource(ints = {0, 3, 4, 8, 0x10, 0x20, Scif.FENCE_INIT_SELF | 4,
        Scif.FENCE_INIT_PEER | 8, Scif.FENCE_INIT_SELF | Scif.SIGNAL_LOCAL, 0x101, -1})
    void fenceMarkNeedsExactlyOneInitFlag(int flags) {
        assertErrno(Errno.EINVAL, () -> local.fenceMark(flags),
            "fenceMark(0x" + Integer.toHexString(flags) + ")");
    }

    // ---- fenceWait ---------------------------------------------------------------------------

    @Test
    void fenceWaitReturnsOnlyOnceTheMarkedRmasAreComplete() throws ScifException {
        bigWindows();
        byte[] data = randomBytes(2, BIG);
        localData.put(0, data);
        local.writeTo(D, BIG, D, 0);
        int mark = local.fenceMark(Scif.FENCE_INIT_SELF);
        local.fenceWait(mark);
        assertEquals(crc(data), crc(remoteData, 0, BIG), "the whole async writeTo arrived");
        local.fenceWait(mark);
        // several async RMAs of both kinds behind one mark
        byte[] more = randomBytes(3, BIG / 2);
        local.vwriteTo(direct(more), D + BIG / 2, 0);
        remoteData.put(0, randomBytes(4, BIG / 4));
        local.readFrom(D, BIG / 4, D, 0);
        ByteBuffer back = ByteBuffer.allocateDirect(BIG / 4);
        local.vreadFrom(back, D + BIG / 4, Scif.RMA_USECPU);
        int second = local.fenceMark(Scif.FENCE_INIT_SELF);
        local.fenceWait(second);
        local.fenceWait(mark);
        assertEquals(crc(more), crc(remoteData, BIG / 2, BIG / 2), "async vwriteTo");
        assertEquals(crc(randomBytes(4, BIG / 4)), crc(localData, 0, BIG / 4), "async readFrom");
        assertEquals(crc(java.util.Arrays.copyOfRange(data, BIG / 4, BIG / 2)),
            crc(back, 0, BIG / 4), "USECPU vreadFrom");
    }

    /**
     * The API: interrupting a thread blocked in a SCIF call ends the call with EINTR and keeps
     * the interrupt status; for fenceWait too, which otherwise waits until the marked RMAs
     * complete. The mark waited for lies far beyond every RMA submitted, so it is never reached.
     */
    @Test
    void interruptingAFenceWaitEndsItWithEintr() throws ScifException {
        int ahead = local.fenceMark(Scif.FENCE_INIT_SELF) + 1_000_000;
        Async<Void> wait = async("fenceWait", () -> {
            local.fenceWait(ahead);
            return null;
        });
        wait.awaitBlocked();
        wait.thread().interrupt();
        wait.awaitFailure(Errno.EINTR, SOON, "an interrupted fenceWait");
        assertTrue(wait.interruptedAtEnd(), "EINTR keeps the interrupt status");
    }

    @Test
    void initPeerMarkCoversThePeersRmas() throws ScifException {
        bigWindows();
        byte[] data = randomBytes(5, BIG);
        remoteData.put(0, data);
        remote.writeTo(D, BIG, D, 0);
        int mark = local.fenceMark(Scif.FENCE_INIT_PEER);
        check(mark < 0, "INIT_PEER mark: " + mark);
        local.fenceWait(mark);
        assertEquals(crc(data), crc(localData, 0, BIG),
            "the peer's async writeTo is in our window after an INIT_PEER mark and wait");
        local.fenceWait(mark);
        byte[] mine = randomBytes(6, BIG);
        localData.put(0, mine);
        ByteBuffer dst = ByteBuffer.allocate(BIG);
        remote.vreadFrom(dst, D, 0);
        local.fenceWait(local.fenceMark(Scif.FENCE_INIT_PEER));
        assertEquals(crc(mine), crc(dst.array()), "the peer's async vreadFrom of our window");
    }

    // ---- fenceSignal -------------------------------------------------------------------------

    private static final long V1 = 0x0102_0304_0506_0708L;
    private static final long V2 = 0xF1E2_D3C4_B5A6_9788L;

    /** The peer's data window holds {@code data}, checked when a signal has been seen. */
    private void assertArrived(ByteBuffer window, byte[] data, String what) {
        assertEquals(crc(data), crc(window, 0, data.length), what
            + ": every byte of the RMAs the signal covers is there when its value appears");
    }

    @Test
    void initSelfSignalLocalAppearsAfterOurRmasComplete() throws ScifException {
        bigWindows();
        byte[] data = randomBytes(7, BIG);
        localData.put(0, data);
        local.writeTo(D, BIG, D, 0);
        local.fenceSignal(FLAGS + 8, V1, FLAGS + 16, V2, Scif.FENCE_INIT_SELF | Scif.SIGNAL_LOCAL);
        awaitWord(localFlags, 8, V1, "INIT_SELF|SIGNAL_LOCAL");
        assertArrived(remoteData, data, "INIT_SELF|SIGNAL_LOCAL");
        assertEquals(0L, (long) LONGS.getVolatile(remoteFlags, 16),
            "SIGNAL_LOCAL alone does not write the remote value");
        assertNativeOrder(localFlags, 8, V1);
    }

    @Test
    void initSelfSignalRemoteAppearsAfterOurRmasComplete() throws ScifException {
        bigWindows();
        byte[] data = randomBytes(8, BIG);
        localData.put(0, data);
        local.writeTo(D, BIG, D, 0);
        local.fenceSignal(FLAGS + 8, V1, FLAGS + 16, V2, Scif.FENCE_INIT_SELF | Scif.SIGNAL_REMOTE);
        awaitWord(remoteFlags, 16, V2, "INIT_SELF|SIGNAL_REMOTE");
        assertArrived(remoteData, data, "INIT_SELF|SIGNAL_REMOTE");
        assertEquals(0L, (long) LONGS.getVolatile(localFlags, 8),
            "SIGNAL_REMOTE alone does not write the local value");
        assertNativeOrder(remoteFlags, 16, V2);
    }

    /**
     * A read completes when its bytes are here, not when the owner has sent them: the peer,
     * which watches for the remote word to reuse its source, must never see the word while the
     * read before the signal is still on its way.
     */
    @Test
    void initSelfSignalRemoteAfterAReadAppearsOnlyOnceTheReadLanded() throws ScifException {
        bigWindows();
        byte[] zeros = new byte[BIG];
        for (int round = 1; round <= 8; round++) {
            byte[] data = randomBytes(20 + round, BIG);
            remoteData.put(0, data);
            localData.put(0, zeros);
            local.readFrom(D, BIG, D, 0);
            local.fenceSignal(0, 0, FLAGS + 16, V2 + round, Scif.FENCE_INIT_SELF | Scif.SIGNAL_REMOTE);
            awaitWord(remoteFlags, 16, V2 + round, "INIT_SELF|SIGNAL_REMOTE after a readFrom, round " + round);
            assertArrived(localData, data, "a readFrom before INIT_SELF|SIGNAL_REMOTE, round " + round);
        }
    }

    @Test
    void initSelfSignalBothWritesBothValues() throws ScifException {
        bigWindows();
        byte[] data = randomBytes(9, BIG);
        ByteBuffer src = direct(data);
        local.vwriteTo(src, D, 0);
        local.fenceSignal(FLAGS + 4, V1, FLAGS + 4092 - 8, V2,
            Scif.FENCE_INIT_SELF | Scif.SIGNAL_LOCAL | Scif.SIGNAL_REMOTE);
        awaitWord(remoteFlags, 4092 - 8, V2, "INIT_SELF|both, remote value");
        assertArrived(remoteData, data, "INIT_SELF|both");
        awaitWord(localFlags, 4, V1, "INIT_SELF|both, local value at a 4-byte aligned offset");
        assertNativeOrder(localFlags, 4, V1);
        assertNativeOrder(remoteFlags, 4092 - 8, V2);
    }

    @Test
    void initPeerSignalLocalWritesOurWordAfterThePeersRmas() throws ScifException {
        bigWindows();
        byte[] data = randomBytes(10, BIG);
        remoteData.put(0, data);
        remote.writeTo(D, BIG, D, 0);
        local.fenceSignal(FLAGS + 8, V1, FLAGS + 16, V2, Scif.FENCE_INIT_PEER | Scif.SIGNAL_LOCAL);
        awaitWord(localFlags, 8, V1, "INIT_PEER|SIGNAL_LOCAL writes lval in our window "
            + "(documented contract, not the driver's swap)");
        assertArrived(localData, data, "INIT_PEER|SIGNAL_LOCAL");
        assertEquals(0L, (long) LONGS.getVolatile(remoteFlags, 16),
            "INIT_PEER|SIGNAL_LOCAL does not write the peer's word");
        assertNativeOrder(localFlags, 8, V1);
    }

    @Test
    void initPeerSignalRemoteWritesThePeersWordAfterThePeersRmas() throws ScifException {
        bigWindows();
        byte[] data = randomBytes(11, BIG);
        remote.vwriteTo(direct(data), D, 0);
        local.fenceSignal(FLAGS + 8, V1, FLAGS + 16, V2, Scif.FENCE_INIT_PEER | Scif.SIGNAL_REMOTE);
        awaitWord(remoteFlags, 16, V2, "INIT_PEER|SIGNAL_REMOTE writes rval in the peer's "
            + "window (documented contract, not the driver's swap)");
        assertArrived(localData, data, "INIT_PEER|SIGNAL_REMOTE");
        assertEquals(0L, (long) LONGS.getVolatile(localFlags, 8),
            "INIT_PEER|SIGNAL_REMOTE does not write our word");
    }

    @Test
    void initPeerSignalBothWritesBothValues() throws ScifException {
        bigWindows();
        byte[] data = randomBytes(12, BIG);
        remoteData.put(0, data);
        remote.writeTo(D, BIG, D, 0);
        local.fenceSignal(FLAGS, V1, FLAGS + 8, V2,
            Scif.FENCE_INIT_PEER | Scif.SIGNAL_LOCAL | Scif.SIGNAL_REMOTE);
        awaitWord(localFlags, 0, V1, "INIT_PEER|both, our word");
        assertArrived(localData, data, "INIT_PEER|both");
        awaitWord(remoteFlags, 8, V2, "INIT_PEER|both, the peer's word");
    }

    @Test
    void peersSignallingEachOtherWithInitPeerAtOnceBothGetTheirSignals() throws Exception {
        bigWindows();
        // Both sides, from two threads at the same moment, write and then fence the other's
        // RMAs with INIT_PEER: every signal arrives, and nothing waits on itself.
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
        java.util.concurrent.ExecutorService two = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int round = 1; round <= 50; round++) {
                int r = round;
                java.util.concurrent.Future<?> a = two.submit(() -> {
                    start.await();
                    local.writeTo(D, BIG / 4, D, 0);
                    local.fenceSignal(FLAGS, r, 0, 0, Scif.FENCE_INIT_PEER | Scif.SIGNAL_LOCAL);
                    return null;
                });
                java.util.concurrent.Future<?> b = two.submit(() -> {
                    start.await();
                    remote.writeTo(D + BIG / 2, BIG / 4, D + BIG / 2, 0);
                    remote.fenceSignal(FLAGS, r, 0, 0, Scif.FENCE_INIT_PEER | Scif.SIGNAL_LOCAL);
                    return null;
                });
                a.get(SOON.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                b.get(SOON.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                awaitWord(localFlags, 0, round, "our INIT_PEER signal, round " + round);
                awaitWord(remoteFlags, 0, round, "the peer's INIT_PEER signal, round " + round);
            }
        } finally {
            two.shutdownNow();
        }
    }

    /** Exactly the 8 bytes of {@code value} in native order at {@code index}, zeros around. */
    private static void assertNativeOrder(ByteBuffer flags, int index, long value) {
        byte[] expected = new byte[8];
        ByteBuffer.wrap(expected).order(ByteOrder.nativeOrder()).putLong(value);
        assertSameBytes(expected, bytes(flags, index, 8), "the signalled value's bytes are in "
            + "native byte order (" + ByteOrder.nativeOrder() + ")");
        if (index >= 4) {
            assertEquals(0, flags.getInt(index - 4), "the 4 bytes before the value are untouched");
        }
        if (index + 12 <= flags.capacity()) {
            assertEquals(0, flags.getInt(index + 8), "the 4 bytes after the value are untouched");
        }
    }

    @ParameterizedTest(name = "flags {0}")
    @ValueSource(ints = {0, Scif.SIGNAL_LOCAL, Scif.SIGNAL_REMOTE,
        Scif.SIGNAL_LOCAL | Scif.SIGNAL_REMOTE, Scif.FENCE_INIT_SELF, Scif.FENCE_INIT_PEER,
        Scif.FENCE_INIT_SELF | Scif.FENCE_INIT_PEER | Scif.SIGNAL_LOCAL,
        Scif.FENCE_INIT_SELF | Scif.SIGNAL_LOCAL | 4, Scif.FENCE_INIT_SELF | Scif.SIGNAL_REMOTE | 8,
        Scif.FENCE_INIT_SELF | Scif.SIGNAL_LOCAL | 0x40, Scif.FENCE_INIT_PEER | Scif.SIGNAL_LOCAL
        | 0x100, -1})
    void fenceSignalRejectsBadFlags(int flags) throws ScifException {
        bigWindows();
        assertErrno(Errno.EINVAL, () -> local.fenceSignal(FLAGS, V1, FLAGS, V2, flags),
            "fenceSignal flags 0x" + Integer.toHexString(flags));
        fence(local);
        local.fenceWait(local.fenceMark(Scif.FENCE_INIT_PEER));
        assertEquals(crc(new byte[PAGE]), crc(localFlags, 0, PAGE), "our flag page untouched");
        assertEquals(crc(new byte[PAGE]), crc(remoteFlags, 0, PAGE), "the peer's flag page untouched");
    }

    @Test
    void fenceSignalOffsetsMustBeFourByteAlignedAndInsideOneWritableWindow() throws ScifException {
        bigWindows();
        int self = Scif.FENCE_INIT_SELF;
        int peer = Scif.FENCE_INIT_PEER;
        int sl = Scif.SIGNAL_LOCAL;
        int sr = Scif.SIGNAL_REMOTE;
        for (int init : new int[] {self, peer}) {
            String how = init == self ? "INIT_SELF" : "INIT_PEER";
            for (long bad : new long[] {1, 2, 3, 6}) {
                assertErrno(Errno.EINVAL, () -> local.fenceSignal(FLAGS + bad, V1, FLAGS, V2,
                    init | sl), how + "|SIGNAL_LOCAL at +" + bad);
                assertErrno(Errno.EINVAL, () -> local.fenceSignal(FLAGS, V1, FLAGS + bad, V2,
                    init | sr), how + "|SIGNAL_REMOTE at +" + bad);
                assertErrno(Errno.EINVAL, () -> local.fenceSignal(FLAGS, V1, FLAGS + bad, V2,
                    init | sl | sr), how + "|both, remote at +" + bad);
            }
            // the 8 bytes must lie in one window: the flag window is one page, followed by nothing
            for (long bad : new long[] {FLAGS + PAGE - 4, FLAGS + PAGE, FLAGS - 8, 0, -8,
                D + BIG - 4}) {
                assertErrno(Errno.ENXIO, () -> local.fenceSignal(bad, V1, FLAGS, V2, init | sl),
                    how + "|SIGNAL_LOCAL at " + bad);
                assertErrno(Errno.ENXIO, () -> local.fenceSignal(FLAGS, V1, bad, V2, init | sr),
                    how + "|SIGNAL_REMOTE at " + bad);
            }
        }
        fence(local);
        assertEquals(crc(new byte[PAGE]), crc(localFlags, 0, PAGE), "our flag page untouched");
        assertEquals(crc(new byte[PAGE]), crc(remoteFlags, 0, PAGE), "the peer's page untouched");
    }

    @Test
    void fenceSignalAcrossAdjacentWindowsIsEnxio() throws ScifException {
        Windows mine = windows(local, node0, FLAGS, RW, 1, 1);
        Windows theirs = windows(remote, node1, FLAGS, RW, 1, 1);
        assertErrno(Errno.ENXIO, () -> local.fenceSignal(FLAGS + PAGE - 4, V1, 0, 0,
            Scif.FENCE_INIT_SELF | Scif.SIGNAL_LOCAL), "8 bytes over two adjacent local windows");
        assertErrno(Errno.ENXIO, () -> local.fenceSignal(0, 0, FLAGS + PAGE - 4, V2,
            Scif.FENCE_INIT_SELF | Scif.SIGNAL_REMOTE), "8 bytes over two adjacent remote windows");
        local.fenceSignal(FLAGS + PAGE - 8, V1, FLAGS + PAGE, V2,
            Scif.FENCE_INIT_SELF | Scif.SIGNAL_LOCAL | Scif.SIGNAL_REMOTE);
        awaitWord(mine.memory[0], PAGE - 8, V1, "the last word of the first local window");
        awaitWord(theirs.memory[1], 0, V2, "the first word of the second remote window");
    }

    @Test
    void fenceSignalIntoAWindowWithoutWriteIsEperm() throws ScifException {
        ByteBuffer lr = aligned(PAGE);
        ByteBuffer rr = memory(node1, PAGE);
        assertEquals(FLAGS, local.register(lr, FLAGS, Scif.PROT_READ, Scif.MAP_FIXED), "mine");
        assertEquals(FLAGS, remote.register(rr, FLAGS, Scif.PROT_READ, Scif.MAP_FIXED), "theirs");
        long none = FLAGS + PAGE;
        assertEquals(none, local.register(aligned(PAGE), none, 0, Scif.MAP_FIXED), "mine, no rights");
        assertEquals(none, remote.register(aligned(PAGE), none, 0, Scif.MAP_FIXED), "theirs, none");
        for (int init : new int[] {Scif.FENCE_INIT_SELF, Scif.FENCE_INIT_PEER}) {
            for (long off : new long[] {FLAGS, none}) {
                assertErrno(Errno.EPERM, () -> local.fenceSignal(off, V1, 0, 0,
                    init | Scif.SIGNAL_LOCAL), "SIGNAL_LOCAL into our window without PROT_WRITE, "
                    + "init 0x" + init);
                assertErrno(Errno.EPERM, () -> local.fenceSignal(0, 0, off, V2,
                    init | Scif.SIGNAL_REMOTE), "SIGNAL_REMOTE into the peer's window without "
                    + "PROT_WRITE, init 0x" + init);
            }
        }
        fence(local);
        assertEquals(0L, lr.getLong(0), "our read-only window untouched");
        assertEquals(0L, rr.getLong(0), "the peer's read-only window untouched");
    }

    // ---- state -------------------------------------------------------------------------------

    @Test
    void fencesOnUnconnectedOrResetEndpointsFail() throws ScifException {
        bigWindows();
        int mark = local.fenceMark(Scif.FENCE_INIT_SELF);
        try (Endpoint bound = open(node0)) {
            bound.bind(0);
            assertErrno(Errno.ENOTCONN, () -> bound.fenceMark(Scif.FENCE_INIT_SELF), "fenceMark");
            assertErrno(Errno.ENOTCONN, () -> bound.fenceWait(0), "fenceWait");
            assertErrno(Errno.ENOTCONN, () -> bound.fenceSignal(0, 1, 0, 1,
                Scif.FENCE_INIT_SELF | Scif.SIGNAL_LOCAL), "fenceSignal");
        }
        remote.close();
        awaitEvents(local, Scif.POLLIN, Scif.POLLHUP, "the peer closed");
        assertErrno(Errno.ECONNRESET, () -> local.fenceMark(Scif.FENCE_INIT_SELF),
            "fenceMark INIT_SELF after the peer closed");
        assertErrno(Errno.ECONNRESET, () -> local.fenceMark(Scif.FENCE_INIT_PEER),
            "fenceMark INIT_PEER after the peer closed");
        assertErrno(Errno.ECONNRESET, () -> local.fenceWait(mark), "fenceWait after the peer closed");
        assertErrno(Errno.ECONNRESET, () -> local.fenceSignal(FLAGS, V1, FLAGS, V2,
            Scif.FENCE_INIT_SELF | Scif.SIGNAL_LOCAL), "fenceSignal after the peer closed");
        assertEquals(0L, localFlags.getLong(0), "no signal after ECONNRESET");
    }
}
