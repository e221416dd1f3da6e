package org.scif4j.tests;

import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import org.junit.jupiter.api.Test;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Mapping;
import org.scif4j.Scif;
import org.scif4j.ScifException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * mmap (SCIF; docs/decisions.md "mmap", "mmap lifetime"): a mapping is
 * a buffer over the very memory of the peer's window (stores on either side are seen on the
 * other, VarHandle atomics work across endpoints), read-only without PROT_WRITE, rounded up to
 * pages, possibly over several adjacent windows; its EINVAL, ENXIO and EPERM cases; close is
 * idempotent and leaves a buffer that reads zeros; a mapping outlives the peer's unregister and
 * close and keeps the range from being registered again until it is closed.
 */
@SuppressWarnings("try") // tests close resources mid-test on purpose
public abstract class RmaMmapTest extends RmaTestBase {
    private static final int RW = Scif.PROT_READ | Scif.PROT_WRITE;
    private static final long F = 1L << 40;

    @Test
    void aMappingIsTheVeryMemoryOfThePeersWindow() throws ScifException {
        ByteBuffer window = memory(node1, 4 * PAGE);
        window.put(0, randomBytes(1, 4 * PAGE));
        assertEquals(F, remote.register(window, F, RW, Scif.MAP_FIXED), "window");
        Mapping m = map(local, F, 4 * PAGE, RW);
        assertEquals(F, m.remoteOffset(), "remoteOffset()");
        assertEquals(4 * PAGE, m.length(), "length()");
        ByteBuffer b = m.buffer();
        assertTrue(b.isDirect(), "a mapping is direct memory");
        assertEquals(4 * PAGE, b.capacity(), "capacity");
        check(!b.isReadOnly(), "mapped with PROT_WRITE: writable");
        assertSameBytes(randomBytes(1, 4 * PAGE), bytes(b, 0, 4 * PAGE),
            "the mapping shows the window's contents");
        b.put(100, randomBytes(2, 5000));
        assertSameBytes(randomBytes(2, 5000), bytes(window, 100, 5000),
            "stores through the mapping land in the window's memory");
        window.put(3 * PAGE, randomBytes(3, PAGE));
        assertSameBytes(randomBytes(3, PAGE), bytes(b, 3 * PAGE, PAGE),
            "stores into the window's memory are seen through the mapping");
        // RMAs of the window's owner's peer and the mapping see the same bytes
        byte[] data = randomBytes(4, 3000);
        local.vwriteTo(direct(data), F + 2 * PAGE + 7, Scif.RMA_SYNC);
        assertSameBytes(data, bytes(b, 2 * PAGE + 7, 3000), "an RMA's bytes through the mapping");
    }

    @Test
    void varHandleAtomicsWorkAcrossTheMapping() throws ScifException {
        ByteBuffer window = memory(node1, PAGE);
        long off = remote.register(window, 0, RW, 0);
        ByteBuffer mapped = map(local, off, PAGE, RW).buffer();
        LONGS.setVolatile(mapped, 64, 42L);
        assertEquals(42L, (long) LONGS.getVolatile(window, 64), "setVolatile through the mapping");
        LONGS.setVolatile(window, 128, -7L);
        assertEquals(-7L, (long) LONGS.getVolatile(mapped, 128), "setVolatile into the window");
        check(LONGS.compareAndSet(mapped, 64, 42L, 43L), "CAS through the mapping");
        check(!LONGS.compareAndSet(window, 64, 42L, 44L), "a stale CAS in the window fails");
        assertEquals(43L, (long) LONGS.getVolatile(window, 64), "CAS result");
        int perThread = 100_000;
        Async<Integer> mine = async("cas-mapping", () -> increment(mapped, 8, perThread));
        Async<Integer> theirs = async("cas-window", () -> increment(window, 8, perThread));
        mine.get(SOON);
        theirs.get(SOON);
        assertEquals(2L * perThread, (long) LONGS.getVolatile(window, 8),
            "increments by CAS through the mapping and the window are atomic together");
    }

    /**
     * Increments the 64-bit word at {@code index} {@code times} times with compareAndSet.
     *
     * @param buf   the memory
     * @param index the word's byte index
     * @param times how often
     * @return {@code times}
     */
    static int increment(ByteBuffer buf, int index, int times) {
        for (int i = 0; i < times; i++) {
            long v;
            do {
                v = (long) LONGS.getVolatile(buf, index);
            } while (!LONGS.compareAndSet(buf, index, v, v + 1));
        }
        return times;
    }

    @Test
    void withoutProtWriteTheBufferIsReadOnly() throws ScifException {
        ByteBuffer window = memory(node1, PAGE);
        window.put(0, randomBytes(5, PAGE));
        long off = remote.register(window, 0, RW, 0);
        Mapping m = map(local, off, PAGE, Scif.PROT_READ);
        ByteBuffer b = m.buffer();
        check(b.isReadOnly(), "a mapping without PROT_WRITE is read-only");
        assertThrows(ReadOnlyBufferException.class, () -> b.put(0, (byte) 1), "store into it");
        assertSameBytes(randomBytes(5, PAGE), bytes(b, 0, PAGE), "but readable");
        // in native byte order, as a writable mapping and allocated memory are: a word that
        // fenceSignal stored reads the same through any of them
        assertEquals(java.nio.ByteOrder.nativeOrder(), b.order(), "a read-only mapping's byte order");
        assertEquals(java.nio.ByteOrder.nativeOrder(), map(local, off, PAGE, RW).buffer().order(),
            "a writable mapping's byte order");
    }

    @Test
    void lengthIsRoundedUpToWholePages() throws ScifException {
        ByteBuffer window = memory(node1, 2 * PAGE);
        window.put(0, randomBytes(6, 2 * PAGE));
        long off = remote.register(window, 0, RW, 0);
        Mapping one = map(local, off, 100, Scif.PROT_READ);
        assertEquals(PAGE, one.length(), "mmap of 100 bytes maps a page");
        assertEquals(PAGE, one.buffer().capacity(), "the buffer covers the page");
        assertSameBytes(randomBytes(6, PAGE), bytes(one.buffer(), 0, PAGE), "the whole page");
        Mapping two = map(local, off, PAGE + 1, Scif.PROT_READ);
        assertEquals(2 * PAGE, two.length(), "mmap of a page and a byte maps two pages");
        assertEquals(2 * PAGE, two.buffer().capacity(), "capacity");
    }

    @Test
    void aMappingMaySpanAdjacentWindows() throws ScifException {
        Windows w = windows(remote, node1, F, RW, 1, 2, 1);
        w.fill(7);
        Mapping m = map(local, F, 4 * PAGE, RW);
        assertSameBytes(w.model, bytes(m.buffer(), 0, 4 * PAGE), "three windows in one mapping");
        byte[] data = randomBytes(8, 2 * PAGE + 2);
        m.buffer().put(PAGE - 1, data);
        w.written(F + PAGE - 1, data);
        w.assertMatchesModel("stores across two window boundaries through one mapping");
        Mapping middle = map(local, F + PAGE, 2 * PAGE, Scif.PROT_READ);
        assertSameBytes(w.expected(F + PAGE, 2 * PAGE), bytes(middle.buffer(), 0, 2 * PAGE),
            "a mapping of the middle window alone");
    }

    @Test
    void badArgumentsAreEinvalEnxioEperm() throws ScifException {
        windows(remote, node1, F, RW, 2);
        windows(remote, node1, F + 3 * PAGE, RW, 1);
        windows(remote, node1, F + 8 * PAGE, Scif.PROT_READ, 1);
        windows(remote, node1, F + 9 * PAGE, Scif.PROT_WRITE, 1);
        windows(remote, node1, F + 10 * PAGE, 0, 1);
        assertErrno(Errno.EINVAL, () -> local.mmap(F + 1, PAGE, Scif.PROT_READ), "offset F+1");
        assertErrno(Errno.EINVAL, () -> local.mmap(F + 2048, PAGE, Scif.PROT_READ), "offset F+2048");
        assertErrno(Errno.EINVAL, () -> local.mmap(F, 0, Scif.PROT_READ), "length 0");
        assertErrno(Errno.ENXIO, () -> local.mmap(F, 3 * PAGE, Scif.PROT_READ),
            "running past the window into the gap");
        assertErrno(Errno.ENXIO, () -> local.mmap(F + 2 * PAGE, PAGE, Scif.PROT_READ), "the gap");
        assertErrno(Errno.ENXIO, () -> local.mmap(F, 4 * PAGE, Scif.PROT_READ), "over the gap");
        assertErrno(Errno.ENXIO, () -> local.mmap(0, PAGE, Scif.PROT_READ), "no window");
        assertErrno(Errno.ENXIO, () -> local.mmap(F + 3 * PAGE, 2 * PAGE, Scif.PROT_READ),
            "past the end of a window");
        assertErrno(Errno.EPERM, () -> local.mmap(F + 8 * PAGE, PAGE, RW),
            "PROT_WRITE of a read-only window");
        assertErrno(Errno.EPERM, () -> local.mmap(F + 9 * PAGE, PAGE, Scif.PROT_READ),
            "PROT_READ of a write-only window");
        assertErrno(Errno.EPERM, () -> local.mmap(F + 10 * PAGE, PAGE, Scif.PROT_READ),
            "PROT_READ of a window without rights");
        assertErrno(Errno.EPERM, () -> local.mmap(F + 8 * PAGE, 2 * PAGE, Scif.PROT_READ),
            "PROT_READ over a read-only and a write-only window");
        map(local, F + 8 * PAGE, PAGE, Scif.PROT_READ).close();
    }

    @Test
    void closeIsIdempotentAndTheBufferThenReadsZeros() throws ScifException {
        ByteBuffer window = memory(node1, 2 * PAGE);
        window.put(0, randomBytes(9, 2 * PAGE));
        long off = remote.register(window, 0, RW, 0);
        Mapping m = map(local, off, 2 * PAGE, RW);
        ByteBuffer b = m.buffer();
        assertSameBytes(randomBytes(9, 2 * PAGE), bytes(b, 0, 2 * PAGE), "before close");
        check(m.toString().contains("offset " + off) && m.toString().contains(2 * PAGE + " bytes")
            && !m.toString().contains("closed"), "toString shows the range and that it is open: " + m);
        m.close();
        m.close();
        check(m.toString().contains("closed"), "toString shows a closed mapping: " + m);
        assertSameBytes(new byte[2 * PAGE], bytes(b, 0, 2 * PAGE),
            "after close the buffer reads zeros (and the JVM is still here)");
        b.put(0, randomBytes(10, 100));
        LONGS.setVolatile(b, 8, 5L);
        assertSameBytes(randomBytes(9, 2 * PAGE), bytes(window, 0, 2 * PAGE),
            "stores into a closed mapping do not reach the window");
        Mapping again = map(local, off, 2 * PAGE, RW);
        assertSameBytes(randomBytes(9, 2 * PAGE), bytes(again.buffer(), 0, 2 * PAGE),
            "a new mapping of the same window");
    }

    @Test
    void aMappingOutlivesThePeersUnregisterAndClose() throws ScifException {
        ByteBuffer window = memory(node1, 2 * PAGE);
        window.put(0, randomBytes(11, 2 * PAGE));
        assertEquals(F, remote.register(window, F, RW, Scif.MAP_FIXED), "window");
        Mapping m = map(local, F, 2 * PAGE, RW);
        remote.unregister(F, 2 * PAGE);
        assertSameBytes(randomBytes(11, 2 * PAGE), bytes(m.buffer(), 0, 2 * PAGE),
            "after the peer's unregister the mapping still reads the window");
        m.buffer().put(0, randomBytes(12, 64));
        assertSameBytes(randomBytes(12, 64), bytes(window, 0, 64),
            "and still reaches its memory");
        assertErrno(Errno.ENXIO, () -> local.mmap(F, PAGE, Scif.PROT_READ),
            "a new mmap of the unregistered window");
        assertErrno(Errno.EADDRINUSE, () -> remote.register(aligned(PAGE), F, RW, Scif.MAP_FIXED),
            "the peer cannot register over the still-mapped range");
        remote.close();
        awaitEvents(local, Scif.POLLIN, Scif.POLLHUP, "the peer closed");
        assertSameBytes(randomBytes(12, 64), bytes(m.buffer(), 0, 64),
            "after the peer's close the mapping is still readable");
        local.close();
        assertSameBytes(java.util.Arrays.copyOfRange(randomBytes(11, 2 * PAGE), 64, 2 * PAGE),
            bytes(m.buffer(), 64, 2 * PAGE - 64), "and after our own close");
        m.close();
    }

    /**
     * Closing the window owner's endpoint does not unmap the peer's mapping, and the window's
     * memory stays pinned: the mapping and the owner's buffer remain one memory after the
     * close, stores on either side seen on the other, whether the window was memory from
     * {@code allocate} or any page-aligned direct buffer. The buffer can then be registered
     * again on another connection. Here node 0 owns the window (the native transport's own
     * side), node 1 maps it.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0} memory")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"allocate", "direct"})
    void theMappingStaysTheWindowsMemoryAfterTheOwnerCloses(String kind) throws ScifException {
        ByteBuffer window = kind.equals("allocate") ? memory(node0, 2 * PAGE) : aligned(2 * PAGE);
        window.put(0, randomBytes(21, 2 * PAGE));
        long off = local.register(window, 0, RW, 0);
        Mapping m = map(remote, off, 2 * PAGE, RW);
        local.close();
        awaitEvents(remote, Scif.POLLIN, Scif.POLLHUP, "the owner closed");
        m.buffer().put(100, randomBytes(22, 500));
        assertSameBytes(randomBytes(22, 500), bytes(window, 100, 500),
            "after the owner's close, stores through the mapping land in the owner's memory");
        window.put(PAGE, randomBytes(23, 700));
        assertSameBytes(randomBytes(23, 700), bytes(m.buffer(), PAGE, 700),
            "and the owner's stores are seen through the mapping");
        m.close();
        try (Connection again = connect(node0, node1)) {
            long off2 = again.connector().register(window, 0, RW, 0);
            byte[] data = randomBytes(24, 3000);
            again.acceptor().vwriteTo(direct(data), off2 + 10, Scif.RMA_SYNC);
            assertSameBytes(data, bytes(window, 10, 3000), "the buffer is registered again and reached by an RMA");
            assertSameBytes(randomBytes(23, 700), bytes(window, PAGE, 700), "with its contents kept");
        }
    }

    @Test
    void theRangeCanBeRegisteredAgainOnceTheMappingIsClosed() throws ScifException {
        ByteBuffer window = memory(node1, PAGE);
        assertEquals(F, remote.register(window, F, RW, Scif.MAP_FIXED), "window");
        Mapping m = map(local, F, PAGE, Scif.PROT_READ);
        Mapping m2 = map(local, F, PAGE, Scif.PROT_READ);
        remote.unregister(F, PAGE);
        m.close();
        assertErrno(Errno.EADDRINUSE, () -> remote.register(aligned(PAGE), F, RW, Scif.MAP_FIXED),
            "one of two mappings still holds the range");
        m2.close();
        ByteBuffer fresh = aligned(PAGE);
        fresh.put(0, randomBytes(13, PAGE));
        awaitRegisterFixed(remote, fresh, F, RW, "the range is free once every mapping is closed");
        Mapping m3 = map(local, F, PAGE, Scif.PROT_READ);
        assertSameBytes(randomBytes(13, PAGE), bytes(m3.buffer(), 0, PAGE),
            "a mapping of the new window shows the new memory");
    }

    @Test
    void mmapOnUnconnectedOrResetEndpointsFails() throws ScifException {
        long off = remote.register(memory(node1, PAGE), 0, RW, 0);
        try (Endpoint listening = listener(node0, 0, 1)) {
            assertErrno(Errno.ENOTCONN, () -> listening.mmap(off, PAGE, Scif.PROT_READ),
                "mmap on a listener");
        }
        remote.close();
        awaitEvents(local, Scif.POLLIN, Scif.POLLHUP, "the peer closed");
        assertErrno(Errno.ECONNRESET, () -> local.mmap(off, PAGE, Scif.PROT_READ),
            "mmap after the peer closed");
    }
}
