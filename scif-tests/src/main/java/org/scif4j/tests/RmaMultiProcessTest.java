package org.scif4j.tests;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Mapping;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifMemory;
import org.scif4j.ScifNode;
import org.scif4j.tests.process.PeerMain;
import org.scif4j.tests.process.PeerProcess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Registered memory, RMA, fences and mmap across processes (SCIF; docs/
 * decisions.md "mmap lifetime"): a child's window, whose offset it sends over the connection,
 * is written and read with RMA; a child maps our window and its stores and CAS increments are
 * seen here; a child killed with SIGKILL mid-transfer makes our RMA and fence calls fail with
 * ECONNRESET within a bound, nothing hangs, a mapping of its memory stays readable, and the
 * fabric leaves no files behind.
 */
@Tag("slow")
@SuppressWarnings("try") // tests close resources mid-test on purpose
public abstract class RmaMultiProcessTest extends ScifTestBase {
    private static final int RW = Scif.PROT_READ | Scif.PROT_WRITE;
    private static final Duration NOTICE = Duration.ofSeconds(10);

    /** Our node, a child on node 1, and a connection between us (the child accepted). */
    private ScifNode node0;
    private PeerProcess child;

    private Endpoint connectToChild() throws ScifException {
        node0 = attach(0);
        child = startPeer(1);
        int port = Integer.parseInt(child.ok("listen 0 4").get("port"));
        Endpoint ep = open(node0);
        Async<String> accept = async("child-accept", () -> child.call("accept"));
        ep.connect(port(1, port));
        check(accept.get(SOON).startsWith("OK"), "the child accepted");
        return ep;
    }

    private static long recvOffset(Endpoint ep) throws ScifException {
        ByteBuffer b = ByteBuffer.allocate(8);
        assertEquals(8, ep.recv(b, Scif.RECV_BLOCK), "8 bytes of offset");
        return b.getLong(0);
    }

    private ScifMemory allocate(long bytes) throws ScifException {
        return node0.allocate(bytes);
    }

    @Test
    void aChildsWindowIsWrittenAndReadWithRma() throws ScifException {
        int size = 3 << 20;
        try (Endpoint ep = connectToChild(); ScifMemory mine = allocate(size)) {
            Map<String, String> reg = child.ok("reg-send " + size + " " + RW + " 17");
            long theirs = recvOffset(ep);
            assertEquals(reg.get("offset"), Long.toString(theirs), "the offset sent = registered");
            long ours = ep.register(mine.buffer(), 0, RW, 0);
            ep.readFrom(ours, size, theirs, Scif.RMA_SYNC);
            assertEquals(Long.parseLong(reg.get("crc")), crc(mine.buffer(), 0, size),
                "readFrom of the child's window");
            byte[] data = randomBytes(18, size - 1000);
            mine.buffer().put(0, data);
            ep.writeTo(ours, size - 1000, theirs + 999, 0);
            int mark = ep.fenceMark(Scif.FENCE_INIT_SELF);
            ep.fenceWait(mark);
            byte[] expected = PeerMain.randomBytes(17, size);
            System.arraycopy(data, 0, expected, 999, data.length);
            assertEquals("OK crc=" + crc(expected), child.call("window-crc " + theirs + " " + size),
                "the child's window after our async writeTo and a fence");
            byte[] small = randomBytes(19, 12345);
            ep.vwriteTo(RmaTestBase.direct(small), theirs, Scif.RMA_USECPU | Scif.RMA_SYNC);
            ByteBuffer back = ByteBuffer.allocateDirect(12345);
            ep.vreadFrom(back, theirs, 0);
            ep.fenceWait(ep.fenceMark(Scif.FENCE_INIT_SELF));
            assertEquals(crc(small), crc(back, 0, 12345), "vwriteTo then vreadFrom");
            ep.close();
        }
    }

    @Test
    void plainDirectBufferWindowsWorkAcrossProcesses() throws ScifException {
        int size = 1 << 20;
        try (Endpoint ep = connectToChild()) {
            Map<String, String> reg = child.ok("reg-send " + size + " " + RW + " 41 direct");
            long theirs = recvOffset(ep);
            ByteBuffer theirBytes = ByteBuffer.allocateDirect(size);
            ep.vreadFrom(theirBytes, theirs, Scif.RMA_SYNC);
            assertEquals(Long.parseLong(reg.get("crc")), crc(theirBytes, 0, size),
                "vreadFrom of the child's direct-buffer window");
            ByteBuffer mine = RmaTestBase.aligned(size);
            mine.put(0, randomBytes(42, size));
            long ours = ep.register(mine, 0, RW, 0);
            // the child's RMAs on our plain direct buffer
            child.ok("readfrom " + theirs + " " + size + " " + ours + " 0");
            assertEquals("OK crc=" + crc(randomBytes(42, size)), child.call("window-crc " + theirs
                + " " + size), "the child read our direct-buffer window into its own");
            mine.put(0, randomBytes(43, size));
            child.ok("writeto " + theirs + " " + (size - 3) + " " + (ours + 3) + " "
                + Scif.RMA_SYNC);
            byte[] expected = randomBytes(43, size);
            System.arraycopy(randomBytes(42, size), 0, expected, 3, size - 3);
            assertEquals(crc(expected), crc(mine, 0, size),
                "the child wrote its window into our direct buffer");
            // our RMAs and mapping on the child's plain direct buffer
            mine.put(0, randomBytes(44, size));
            ep.writeTo(ours, size, theirs, 0);
            ep.fenceWait(ep.fenceMark(Scif.FENCE_INIT_SELF));
            assertEquals("OK crc=" + crc(randomBytes(44, size)), child.call("window-crc " + theirs
                + " " + size), "our writeTo into the child's direct-buffer window");
            if (!fixture.mapsPeerMemory()) {
                ep.close();
                return;
            }
            try (Mapping m = ep.mmap(theirs, size, RW)) {
                assertEquals(crc(randomBytes(44, size)), crc(m.buffer(), 0, size),
                    "our mapping of the child's direct-buffer window");
                m.buffer().put(0, randomBytes(45, 4096));
                byte[] after = randomBytes(44, size);
                System.arraycopy(randomBytes(45, 4096), 0, after, 0, 4096);
                assertEquals("OK crc=" + crc(after), child.call("window-crc " + theirs + " "
                    + size), "our stores through the mapping are in the child's buffer");
            }
            ep.close();
        }
    }

    @Test
    void aChildMapsOurWindowAndWeSeeItsStores() throws ScifException {
        assumeTrue(fixture.mapsPeerMemory(), fixture.transportName() + " cannot map a peer's window");
        int size = 4 * 4096;
        try (Endpoint ep = connectToChild(); ScifMemory mine = allocate(size)) {
            long ours = ep.register(mine.buffer(), 0, RW, 0);
            assertEquals(Integer.toString(size),
                child.ok("mmap " + ours + " " + size + " " + RW).get("length"), "mapped");
            long childCrc = Long.parseLong(child.ok("mmap-fill 23").get("crc"));
            assertEquals(childCrc, crc(mine.buffer(), 0, size), "the child's stores in our memory");
            mine.buffer().put(0, randomBytes(24, size));
            assertEquals("OK crc=" + crc(randomBytes(24, size)), child.call("mmap-crc"),
                "our stores seen through the child's mapping");
            mine.buffer().putLong(64, 0);
            int times = 100_000;
            Async<String> theirs = async("child-cas", () -> child.call("mmap-cas 64 " + times));
            RmaMmapTest.increment(mine.buffer(), 64, times);
            assertEquals("OK n=" + times, theirs.get(PeerProcess.REPLY_TIMEOUT), "child CAS loop");
            assertEquals(2L * times, (long) RmaTestBase.LONGS.getVolatile(mine.buffer(), 64),
                "CAS increments from two processes on one word are atomic together");
            child.ok("munmap");
            ep.close();
        }
    }

    @Test
    void aChildKilledMidTransferEndsOurCallsWithEconnreset() throws ScifException {
        int size = 8 << 20;
        try (Endpoint ep = connectToChild(); ScifMemory mine = allocate(size);
             ScifMemory spare = allocate(4096)) {
            Map<String, String> reg = child.ok("reg-send " + size + " " + RW + " 29");
            long theirs = recvOffset(ep);
            long ours = ep.register(mine.buffer(), 0, RW, 0);
            mine.buffer().put(0, randomBytes(30, size));
            Mapping mapped = fixture.mapsPeerMemory() ? ep.mmap(theirs, size, RW) : null;
            ByteBuffer seen = mapped != null ? mapped.buffer() : ByteBuffer.allocateDirect(size);
            if (mapped == null) {
                ep.vreadFrom(seen, theirs, Scif.RMA_SYNC);
            }
            assertEquals(Long.parseLong(reg.get("crc")), crc(seen, 0, size), "the child's window, as we see it");
            // both directions at once: the child writes into our window, we into its
            child.ok("writeto-loop " + theirs + " " + size + " " + ours);
            assertEquals("LOOP n=1", child.awaitEvent(SOON), "the child's loop is running");
            AtomicLong rounds = new AtomicLong();
            Async<ScifException> loop = async("rma-loop", () -> {
                try {
                    while (true) {
                        ep.writeTo(ours, size, theirs, 0);
                        ep.readFrom(ours, size / 2, theirs + size / 2, Scif.RMA_USECPU);
                        ep.fenceWait(ep.fenceMark(Scif.FENCE_INIT_SELF));
                        rounds.incrementAndGet();
                    }
                } catch (ScifException e) {
                    return e;
                }
            });
            assertTimeoutPreemptively(SOON, () -> {
                while (rounds.get() < 2 && !loop.isDone()) {
                    pause();
                }
            }, "our RMA loop runs");
            check(!loop.isDone(), "our RMA loop runs while the child lives: " + (loop.isDone()
                ? loop.get(SOON).getMessage() : ""));
            int mark = ep.fenceMark(Scif.FENCE_INIT_SELF);
            child.kill();
            ScifException end = assertTimeoutPreemptively(NOTICE, () -> loop.get(NOTICE),
                "the RMA loop ends after the child was killed");
            assertEquals(Errno.ECONNRESET, end.errno(), "how the loop ended: " + end.getMessage());
            assertTimeoutPreemptively(NOTICE, () -> {
                assertErrno(Errno.ECONNRESET, () -> ep.writeTo(ours, size, theirs, 0), "writeTo");
                assertErrno(Errno.ECONNRESET, () -> ep.readFrom(ours, 8, theirs, Scif.RMA_SYNC),
                    "readFrom");
                assertErrno(Errno.ECONNRESET, () -> ep.vwriteTo(ByteBuffer.allocate(8), theirs,
                    Scif.RMA_USECPU), "vwriteTo");
                assertErrno(Errno.ECONNRESET, () -> ep.vreadFrom(ByteBuffer.allocate(8), theirs,
                    0), "vreadFrom");
                assertErrno(Errno.ECONNRESET, () -> ep.fenceMark(Scif.FENCE_INIT_SELF),
                    "fenceMark INIT_SELF");
                assertErrno(Errno.ECONNRESET, () -> ep.fenceMark(Scif.FENCE_INIT_PEER),
                    "fenceMark INIT_PEER");
                assertErrno(Errno.ECONNRESET, () -> ep.fenceWait(mark), "fenceWait");
                assertErrno(Errno.ECONNRESET, () -> ep.fenceSignal(ours, 1, theirs, 2,
                    Scif.FENCE_INIT_SELF | Scif.SIGNAL_LOCAL | Scif.SIGNAL_REMOTE), "fenceSignal");
                assertErrno(Errno.ECONNRESET, () -> ep.register(spare.buffer(), 0, RW, 0),
                    "register");
                assertErrno(Errno.ECONNRESET, () -> ep.unregister(ours, size), "unregister");
                assertErrno(Errno.ECONNRESET, () -> ep.mmap(theirs, 4096, Scif.PROT_READ),
                    "mmap");
            }, "calls on a connection to a killed child");
            check((poll(ep, Scif.POLLIN, 0) & Scif.POLLHUP) != 0, "POLLHUP");
            if (mapped == null) {
                assertTimeoutPreemptively(NOTICE, () -> {
                    ep.close();
                    mine.close();
                }, "closing and freeing after the child was killed");
                return;
            }
            // the killed child's memory: stale but readable (and writable), never a crash
            ByteBuffer stale = mapped.buffer();
            long sum = 0;
            for (int i = 0; i < size; i += 8) {
                sum += stale.getLong(i);
            }
            stale.putLong(0, sum);
            assertEquals(sum, stale.getLong(0), "a store into the killed child's memory");
            assertTimeoutPreemptively(NOTICE, () -> {
                mapped.close();
                mapped.close();
                ep.close();
                mine.close();
            }, "unmapping, closing and freeing after the child was killed");
        }
    }
}
