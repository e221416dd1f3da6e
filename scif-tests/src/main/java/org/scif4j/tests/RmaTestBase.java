package org.scif4j.tests;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Mapping;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifMemory;
import org.scif4j.ScifNode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The common base of the registered-memory, RMA, fence and mmap tests (SCIF;
 * docs/decisions.md "Registered memory, RMA, fences, mmap"): before each test, node 0
 * and node 1 are attached and connected ({@link #local} on node 0, {@link #remote} on node 1);
 * memory from {@link #memory} and mappings from {@link #map} are released after the test.
 * Helpers build chains of adjacent windows ({@link Windows}) whose contents the test models
 * byte by byte, so that every check can also assert what did <em>not</em> change.
 */
public abstract class RmaTestBase extends TwoNodeTestBase {
    /** The page size of SCIF. */
    protected static final int PAGE = 4096;
    /** 2^63, the end of the registered address space. */
    protected static final long RAS_END = Long.MAX_VALUE;
    /** 64-bit words in native byte order, as fenceSignal stores them (the API's Javadoc). */
    protected static final VarHandle LONGS =
        MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());
    /** Every RMA flag combination of the four valid bits, plus one with an ignored extra bit. */
    protected static final int[] ALL_RMA_FLAGS = {0, Scif.RMA_USECPU, Scif.RMA_SYNC,
        Scif.RMA_ORDERED, Scif.RMA_USECACHE, Scif.RMA_USECPU | Scif.RMA_SYNC,
        Scif.RMA_USECPU | Scif.RMA_ORDERED, Scif.RMA_SYNC | Scif.RMA_ORDERED,
        Scif.RMA_USECPU | Scif.RMA_SYNC | Scif.RMA_ORDERED, Scif.RMA_USECACHE | Scif.RMA_SYNC,
        Scif.RMA_USECACHE | Scif.RMA_USECPU, 0xF, 0x101};

    /** The connection between them. */
    protected Connection connection;
    /** The end on node 0 (the connector): "this side". */
    protected Endpoint local;
    /** The end on node 1 (the acceptor): "the peer". */
    protected Endpoint remote;

    private final List<ScifMemory> memories = new CopyOnWriteArrayList<>();
    private final List<Mapping> mappings = new CopyOnWriteArrayList<>();

    @BeforeEach
    final void connectNodes() throws ScifException {
        connection = connect(node0, node1);
        local = connection.connector();
        remote = connection.acceptor();
    }

    @AfterEach
    final void releaseMemory() {
        for (Mapping m : mappings) {
            m.close();
        }
        if (connection != null) {
            connection.close();
        }
        for (ScifMemory m : memories) {
            m.close();
        }
    }

    // ---- memory ------------------------------------------------------------------------------

    /**
     * Memory from {@link ScifNode#allocate}, closed after the test.
     *
     * @param node  the node
     * @param bytes the size
     * @return its buffer (position 0, limit = the rounded size)
     * @throws ScifException if allocate fails
     */
    protected ByteBuffer memory(ScifNode node, long bytes) throws ScifException {
        ScifMemory m = node.allocate(bytes);
        memories.add(m);
        return m.buffer();
    }

    /**
     * Page-aligned direct memory that is not from {@code allocate}: the way a C program
     * registers any page-aligned range.
     *
     * @param bytes the size, a multiple of {@link #PAGE}
     * @return a buffer of exactly {@code bytes}, its address page-aligned
     */
    protected static ByteBuffer aligned(int bytes) {
        ByteBuffer b = ByteBuffer.allocateDirect(bytes + PAGE).alignedSlice(PAGE).slice(0, bytes);
        check(b.alignmentOffset(0, PAGE) == 0, "alignedSlice gives a page-aligned buffer");
        return b;
    }

    /**
     * A direct buffer holding {@code data} (position 0, limit its length): the source of a
     * vwriteTo where the test is not about heap buffers.
     *
     * @param data the bytes
     * @return the buffer
     */
    protected static ByteBuffer direct(byte[] data) {
        return ByteBuffer.allocateDirect(data.length).put(data).flip();
    }

    /**
     * Maps the peer's window; the mapping is closed after the test.
     *
     * @param ep           the endpoint whose peer owns the window
     * @param remoteOffset the offset in the peer's registered address space
     * @param length       the length
     * @param prot         the rights
     * @return the mapping
     * @throws ScifException if mmap fails
     */
    protected Mapping map(Endpoint ep, long remoteOffset, long length, int prot)
        throws ScifException {
        Mapping m = ep.mmap(remoteOffset, length, prot);
        mappings.add(m);
        return m;
    }

    // ---- windows -----------------------------------------------------------------------------

    /**
     * A chain of adjacent windows registered with MAP_FIXED, each over its own memory
     * (alternately from {@code allocate} and from {@link #aligned}), seen as one range of the
     * registered address space whose expected contents the test keeps in {@link #model}.
     */
    protected final class Windows {
        /** The first offset. */
        public final long base;
        /** The window memory, one buffer per window. */
        public final ByteBuffer[] memory;
        /** Where each window starts. */
        public final long[] starts;
        /** What the whole range should hold. */
        public final byte[] model;

        Windows(Endpoint ep, ScifNode node, long base, int prot, int... pages)
            throws ScifException {
            this.base = base;
            this.memory = new ByteBuffer[pages.length];
            this.starts = new long[pages.length];
            long at = base;
            int total = 0;
            for (int i = 0; i < pages.length; i++) {
                int bytes = pages[i] * PAGE;
                memory[i] = i % 2 == 0 ? memory(node, bytes) : aligned(bytes);
                starts[i] = at;
                assertEquals(at, ep.register(memory[i], at, prot, Scif.MAP_FIXED),
                    "MAP_FIXED registers at exactly the offset given");
                at += bytes;
                total += bytes;
            }
            this.model = new byte[total];
        }

        /** @return the length of the whole range */
        public int length() {
            return model.length;
        }

        /** @return the offset just past the last window */
        public long end() {
            return base + model.length;
        }

        /**
         * Fills every window with pseudo-random bytes and updates the model.
         *
         * @param seed the seed
         */
        public void fill(long seed) {
            new SplittableRandom(seed).nextBytes(model);
            int at = 0;
            for (ByteBuffer m : memory) {
                m.put(0, model, at, m.capacity());
                at += m.capacity();
            }
        }

        /**
         * The range's actual contents, read straight from the window memory.
         *
         * @return a copy
         */
        public byte[] actual() {
            byte[] out = new byte[model.length];
            int at = 0;
            for (ByteBuffer m : memory) {
                m.get(0, out, at, m.capacity());
                at += m.capacity();
            }
            return out;
        }

        /**
         * The model's bytes of {@code [offset, offset + n)}.
         *
         * @param offset an offset in the registered address space
         * @param n      how many
         * @return a copy
         */
        public byte[] expected(long offset, int n) {
            int from = Math.toIntExact(offset - base);
            return Arrays.copyOfRange(model, from, from + n);
        }

        /**
         * Records in the model that {@code data} was written at {@code offset}.
         *
         * @param offset an offset in the registered address space
         * @param data   the bytes
         */
        public void written(long offset, byte[] data) {
            System.arraycopy(data, 0, model, Math.toIntExact(offset - base), data.length);
        }

        /**
         * Asserts that the window memory holds exactly the model (so nothing outside the
         * expected range changed).
         *
         * @param what for the message
         */
        public void assertMatchesModel(String what) {
            byte[] actual = actual();
            if (!Arrays.equals(model, actual)) {
                int i = Arrays.mismatch(model, actual);
                fail(what + ": window byte at offset " + (base + i) + " (window range ["
                    + base + ", " + end() + ")) is " + actual[i] + ", expected " + model[i]
                    + "; first differing index " + i + ", CRC32 expected " + crc(model)
                    + " actual " + crc(actual));
            }
        }
    }

    /**
     * Registers a chain of adjacent windows at {@code base} with MAP_FIXED.
     *
     * @param ep    the endpoint
     * @param node  its node
     * @param base  the page-aligned first offset
     * @param prot  the rights of every window
     * @param pages the size of each window in pages
     * @return the windows, zero-filled
     * @throws ScifException if register fails
     */
    protected Windows windows(Endpoint ep, ScifNode node, long base, int prot, int... pages)
        throws ScifException {
        return new Windows(ep, node, base, prot, pages);
    }

    // ---- completion and checks ---------------------------------------------------------------

    /**
     * Waits for every RMA this endpoint initiated so far: fenceMark(INIT_SELF) + fenceWait.
     *
     * @param ep the endpoint
     * @throws ScifException if a fence call fails
     */
    protected static void fence(Endpoint ep) throws ScifException {
        int mark = ep.fenceMark(Scif.FENCE_INIT_SELF);
        check(mark >= 0, "an INIT_SELF mark is non-negative: " + mark);
        ep.fenceWait(mark);
    }

    /**
     * Makes an RMA issued with {@code flags} complete before its data are checked: nothing to do
     * after {@link Scif#RMA_SYNC}, a fence otherwise (USECPU RMAs are "in practice" complete,
     * which the suite does not rely on).
     *
     * @param ep    the initiating endpoint
     * @param flags the RMA's flags
     * @throws ScifException if a fence call fails
     */
    protected static void settle(Endpoint ep, int flags) throws ScifException {
        if ((flags & Scif.RMA_SYNC) == 0) {
            fence(ep);
        }
    }

    /**
     * Asserts two byte arrays are equal, reporting CRCs and the first difference instead of
     * dumping megabytes.
     *
     * @param expected the bytes expected
     * @param actual   the bytes found
     * @param what     for the message
     */
    protected static void assertSameBytes(byte[] expected, byte[] actual, String what) {
        if (!Arrays.equals(expected, actual)) {
            assertEquals(expected.length, actual.length, what + ": length");
            int i = Arrays.mismatch(expected, actual);
            fail(what + ": first difference at index " + i + " (expected " + expected[i]
                + ", found " + actual[i] + "); CRC32 expected " + crc(expected) + " found "
                + crc(actual));
        }
        assertArrayEquals(expected, actual, what);
    }

    /**
     * The bytes of a buffer between two absolute indexes (also past its limit).
     *
     * @param buf  the buffer
     * @param from the first index
     * @param n    how many
     * @return a copy
     */
    protected static byte[] bytes(ByteBuffer buf, int from, int n) {
        byte[] out = new byte[n];
        buf.duplicate().limit(buf.capacity()).get(from, out, 0, n);
        return out;
    }

    /**
     * Waits, with an upper bound of {@link #SOON}, until the 64-bit word at {@code index} of
     * {@code buf} (native byte order, read with getVolatile) equals {@code value}.
     *
     * @param buf   the memory
     * @param index the byte index of the word
     * @param value the value awaited
     * @param what  for the message
     */
    protected static void awaitWord(ByteBuffer buf, int index, long value, String what) {
        long deadline = System.nanoTime() + SOON.toNanos();
        long seen;
        while ((seen = word(buf, index)) != value) {
            if (System.nanoTime() > deadline) {
                fail(what + ": the word at index " + index + " is 0x" + Long.toHexString(seen)
                    + " after " + SOON + ", expected 0x" + Long.toHexString(value));
            }
            Thread.onSpinWait();
        }
    }

    /**
     * Reads the 64-bit word at {@code index} in native byte order with getVolatile; at an index
     * that is only 4-byte aligned (legal for fenceSignal), where a VarHandle allows plain access
     * only, with a plain read behind a full fence.
     *
     * @param buf   the memory
     * @param index the byte index
     * @return the value
     */
    protected static long word(ByteBuffer buf, int index) {
        if (buf.alignmentOffset(index, 8) == 0) {
            return (long) LONGS.getVolatile(buf, index);
        }
        VarHandle.fullFence();
        return buf.duplicate().order(ByteOrder.nativeOrder()).getLong(index);
    }

    /**
     * Registers with MAP_FIXED where a released range may become free a little later (the peer
     * drops its reference asynchronously): retries while register fails with EADDRINUSE, up to
     * {@link #SOON}.
     *
     * @param ep     the endpoint
     * @param region the memory
     * @param offset the offset
     * @param prot   the rights
     * @param what   for the message
     * @throws ScifException if register fails with anything but EADDRINUSE
     */
    protected static void awaitRegisterFixed(Endpoint ep, ByteBuffer region, long offset, int prot,
        String what) throws ScifException {
        long deadline = System.nanoTime() + SOON.toNanos();
        while (true) {
            try {
                assertEquals(offset, ep.register(region, offset, prot, Scif.MAP_FIXED), what);
                return;
            } catch (ScifException e) {
                if (e.errno() != Errno.EADDRINUSE || System.nanoTime() > deadline) {
                    throw e;
                }
                pause();
            }
        }
    }
}
