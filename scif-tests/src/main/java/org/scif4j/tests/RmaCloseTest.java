package org.scif4j.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;

/**
 * Closing or unregistering while RMAs are in flight: side A
 * owns a 64 MiB window, side B hammers it with asynchronous writeTo/readFrom from several
 * threads, and A closes (or unregisters) in the middle.
 *
 * <ul>
 * <li>close: the RMAs in flight through either endpoint complete before close returns,
 * so once A's close has returned its memory is A's again: nothing B issued changes it
 * any more. B's later RMA and fence calls fail with ECONNRESET. The closer's own
 * asynchronous reads and writes have landed when its close returns.</li>
 * <li>unregister: RMAs in flight run to completion against the still-pinned pages, later ones
 * fail with ENXIO, the connection stays usable, and a window registered afterwards at the same
 * offsets never receives a byte of the old RMAs.</li>
 * <li>an endpoint closed with more queued RMAs than its watchdog allows for still ends, and
 * frees nothing a running copy uses (no crash, nothing left behind).</li>
 * </ul>
 * Each race is repeated; no step waits by sleeping.
 */
public abstract class RmaCloseTest extends RmaTestBase {
    private static final int WINDOW = 64 << 20;
    private static final int CHUNK = 1 << 20;
    private static final int CHUNKS = WINDOW / CHUNK;
    private static final int THREADS = 3;
    /** RMAs each worker has issued before A acts: some are surely still queued. */
    private static final int PRIMED = 4;
    /** Per worker and race: keeps the backlog of 1 MiB copies far within the watchdog period. */
    private static final int MAX_RMAS = 256;
    private static final int RACES = 6;
    private static final long A_WINDOW = 1L << 30;
    private static final long B_WINDOW = 1L << 31;
    private static final int RW = Scif.PROT_READ | Scif.PROT_WRITE;
    private static final byte SENTINEL = (byte) 0xEE;

    /** How a worker ended: after {@code issued} RMAs, with {@code end} or at its cap (null). */
    private record Outcome(int issued, ScifException end) {
    }

    /**
     * Starts {@link #THREADS} workers on {@code b}, each issuing asynchronous 1 MiB writeTo and
     * readFrom between B's window and A's until a call fails or it reaches its cap.
     */
    private List<Async<Outcome>> hammer(Endpoint b, int chunk, int maxRmas, CountDownLatch primed) {
        List<Async<Outcome>> workers = new ArrayList<>();
        int chunks = WINDOW / chunk;
        for (int t = 0; t < THREADS; t++) {
            int thread = t;
            workers.add(async("rma-" + t, () -> {
                int i = 0;
                boolean counted = false;
                try {
                    for (; i < maxRmas; i++) {
                        long at = (long) ((thread + i * THREADS) % chunks) * chunk;
                        if ((i & 1) == 0) {
                            b.writeTo(B_WINDOW + at, chunk, A_WINDOW + at, 0);
                        } else {
                            b.readFrom(B_WINDOW + at, chunk, A_WINDOW + at, 0);
                        }
                        if (i + 1 == PRIMED) {
                            counted = true;
                            primed.countDown();
                        }
                    }
                    return new Outcome(i, null);
                } catch (ScifException e) {
                    return new Outcome(i, e);
                } finally {
                    if (!counted) {
                        primed.countDown();
                    }
                }
            }));
        }
        return workers;
    }

    private void awaitPrimed(CountDownLatch primed) throws InterruptedException {
        check(primed.await(SOON.toMillis(), TimeUnit.MILLISECONDS), "every worker issued its first RMAs");
    }

    private static void fill(ByteBuffer b, byte value) {
        byte[] page = new byte[CHUNK];
        Arrays.fill(page, value);
        for (int at = 0; at < b.capacity(); at += CHUNK) {
            b.put(at, page, 0, Math.min(CHUNK, b.capacity() - at));
        }
    }

    /** Fails unless every byte of {@code b} is {@code value}. */
    private static void assertAll(ByteBuffer b, byte value, String what) {
        assertRange(b, 0, b.capacity(), value, what);
    }

    /** Fails unless every byte of {@code b} in {@code [from, to)} is {@code value}. */
    private static void assertRange(ByteBuffer b, int from, int to, byte value, String what) {
        byte[] want = new byte[CHUNK];
        Arrays.fill(want, value);
        byte[] got = new byte[CHUNK];
        for (int at = from; at < to; at += CHUNK) {
            int n = Math.min(CHUNK, to - at);
            b.get(at, got, 0, n);
            int i = Arrays.mismatch(want, 0, n, got, 0, n);
            if (i >= 0) {
                fail(what + ": byte " + (at + i) + " is " + got[i] + ", expected " + value);
            }
        }
    }

    private static void checkOutcome(Async<Outcome> w, Errno... allowed) {
        Outcome o = w.get(SOON);
        check(o.issued() >= Math.min(PRIMED, MAX_RMAS) || o.end() != null, w + " issued its first RMAs");
        if (o.end() != null && !Arrays.asList(allowed).contains(o.end().errno())) {
            throw new AssertionError(w + " ended after " + o.issued() + " RMAs with " + o.end().errno()
                + ", expected one of " + Arrays.toString(allowed) + ": " + o.end().getMessage(), o.end());
        }
    }

    /**
     * The closer's own asynchronous RMAs in flight complete before its close returns: the reads
     * have landed in its window and the writes in the peer's (scif_close(3)).
     */
    @Test
    void closingLetsTheClosersOwnRmasInFlightComplete() throws Exception {
        int half = WINDOW / 2;
        ByteBuffer aMem = memory(node0, WINDOW);
        ByteBuffer bMem = memory(node1, WINDOW);
        for (int race = 0; race < 3; race++) {
            fill(aMem, (byte) 0x3C); // its first half is overwritten by the reads
            fill(bMem, (byte) 0x5A); // its second half is overwritten by the writes
            aMem.put(0, new byte[half]);
            bMem.put(half, new byte[half]);
            Connection c = connect(node0, node1);
            Endpoint a = c.connector();
            Endpoint b = c.acceptor();
            assertEquals(A_WINDOW, a.register(aMem, A_WINDOW, RW, Scif.MAP_FIXED));
            assertEquals(B_WINDOW, b.register(bMem, B_WINDOW, RW, Scif.MAP_FIXED));
            for (int at = 0; at < half; at += CHUNK) {
                a.readFrom(A_WINDOW + at, CHUNK, B_WINDOW + at, 0);
                a.writeTo(A_WINDOW + half + at, CHUNK, B_WINDOW + half + at, 0);
            }
            a.close();
            assertRange(aMem, 0, half, (byte) 0x5A, "race " + race + ": A's reads in flight when it closed");
            assertRange(bMem, half, WINDOW, (byte) 0x3C, "race " + race + ": A's writes in flight when it closed");
            b.close();
        }
    }

    @Test
    void closingTheWindowOwnerWaitsForThePeersRmasInFlight() throws Exception {
        ByteBuffer bMem = memory(node1, WINDOW);
        fill(bMem, (byte) 0x5A);
        ByteBuffer aAllocated = memory(node0, WINDOW);
        ByteBuffer aDirect = aligned(WINDOW);
        for (int race = 0; race < RACES; race++) {
            ByteBuffer aMem = race % 2 == 0 ? aAllocated : aDirect;
            fill(aMem, (byte) 0);
            Connection c = connect(node0, node1);
            Endpoint a = c.connector();
            Endpoint b = c.acceptor();
            assertEquals(A_WINDOW, a.register(aMem, A_WINDOW, RW, Scif.MAP_FIXED));
            assertEquals(B_WINDOW, b.register(bMem, B_WINDOW, RW, Scif.MAP_FIXED));
            CountDownLatch primed = new CountDownLatch(THREADS);
            List<Async<Outcome>> workers = hammer(b, CHUNK, MAX_RMAS, primed);
            awaitPrimed(primed);
            int mark = b.fenceMark(Scif.FENCE_INIT_SELF);
            long t0 = System.nanoTime();
            a.close();
            long took = System.nanoTime() - t0;
            check(took < SOON.toNanos(), "race " + race + ": A's close returned after " + took / 1_000_000 + " ms");
            // Close returned: the RMAs in flight are complete and the memory is A's to reuse.
            fill(aMem, SENTINEL);
            for (Async<Outcome> w : workers) {
                checkOutcome(w, Errno.ECONNRESET, Errno.ENXIO);
            }
            assertErrno(Errno.ECONNRESET, () -> b.writeTo(B_WINDOW, CHUNK, A_WINDOW, 0),
                "race " + race + ": writeTo after the peer closed");
            assertErrno(Errno.ECONNRESET, () -> b.readFrom(B_WINDOW, CHUNK, A_WINDOW, Scif.RMA_SYNC),
                "race " + race + ": readFrom after the peer closed");
            assertErrno(Errno.ECONNRESET, () -> b.fenceMark(Scif.FENCE_INIT_SELF),
                "race " + race + ": fenceMark after the peer closed");
            assertErrno(Errno.ECONNRESET, () -> b.fenceWait(mark),
                "race " + race + ": fenceWait after the peer closed");
            assertErrno(Errno.ECONNRESET, () -> b.unregister(B_WINDOW, WINDOW),
                "race " + race + ": unregister after the peer closed");
            t0 = System.nanoTime();
            b.close(); // after this no RMA of B's can still run
            took = System.nanoTime() - t0;
            check(took < SOON.toNanos(), "race " + race + ": B's close returned after " + took / 1_000_000 + " ms");
            assertAll(aMem, SENTINEL, "race " + race + " (" + (race % 2 == 0 ? "allocate" : "direct buffer")
                + "): A's memory, rewritten after A's close returned, was changed by an RMA of the peer's that"
                + " ran after that close");
        }
    }

    @Test
    void unregisteringAWindowThePeersRmasUseLetsThemFinishAndFailsLaterOnesWithEnxio() throws Exception {
        Endpoint a = local;
        Endpoint b = remote;
        ByteBuffer bMem = memory(node1, WINDOW);
        fill(bMem, (byte) 0x5A);
        assertEquals(B_WINDOW, b.register(bMem, B_WINDOW, RW, Scif.MAP_FIXED));
        ByteBuffer[] aMems = {memory(node0, WINDOW), aligned(WINDOW)};
        ByteBuffer fresh = memory(node0, WINDOW);
        for (int race = 0; race < RACES; race++) {
            ByteBuffer aMem = aMems[race % 2];
            fill(aMem, (byte) 0);
            awaitRegisterFixed(a, aMem, A_WINDOW, RW, "race " + race + ": register A's window");
            CountDownLatch primed = new CountDownLatch(THREADS);
            List<Async<Outcome>> workers = hammer(b, CHUNK, MAX_RMAS, primed);
            awaitPrimed(primed);
            long t0 = System.nanoTime();
            a.unregister(A_WINDOW, WINDOW);
            long took = System.nanoTime() - t0;
            check(took < SOON.toNanos(), "race " + race + ": unregister returned after " + took / 1_000_000 + " ms");
            for (Async<Outcome> w : workers) {
                checkOutcome(w, Errno.ENXIO);
            }
            assertErrno(Errno.ENXIO, () -> b.writeTo(B_WINDOW, CHUNK, A_WINDOW, 0),
                "race " + race + ": writeTo to an unregistered window");
            assertErrno(Errno.ENXIO, () -> b.readFrom(B_WINDOW, CHUNK, A_WINDOW, Scif.RMA_SYNC),
                "race " + race + ": readFrom of an unregistered window");
            // A new window at the same offsets, once the old one's references are gone.
            fill(fresh, SENTINEL);
            awaitRegisterFixed(a, fresh, A_WINDOW, RW, "race " + race + ": register over the released range");
            fence(b); // every RMA B issued is complete: the connection is intact
            assertAll(fresh, SENTINEL, "race " + race + ": the window registered after the unregister got bytes"
                + " of an RMA issued against the old window");
            b.writeTo(B_WINDOW, CHUNK, A_WINDOW + CHUNK, Scif.RMA_SYNC);
            assertEquals(crc(bMem, 0, CHUNK), crc(fresh, CHUNK, CHUNK), "race " + race + ": an RMA to the new window");
            fill(bMem, (byte) 0x5A); // readFroms of the old window may have copied zeros into B's
            a.unregister(A_WINDOW, WINDOW);
        }
        // Both ends still work together.
        assertEquals(A_WINDOW, a.register(fresh, A_WINDOW, RW, Scif.MAP_FIXED));
        b.readFrom(B_WINDOW, CHUNK, A_WINDOW, Scif.RMA_SYNC);
        assertEquals(crc(fresh, 0, CHUNK), crc(bMem, 0, CHUNK), "readFrom after the races");
    }

    @Test
    void closingWithMoreQueuedRmasThanTheWatchdogAllowsEndsAndCrashesNothing() throws Exception {
        // A watchdog of 100 ms, and a backlog of 64 MiB copies far longer than that.
        ScifNode n2 = attach(2, "timeout=100");
        ScifNode n3 = attach(3, "timeout=100");
        ByteBuffer aMem = memory(n2, WINDOW);
        for (int race = 0; race < 4; race++) {
            Connection c = connectDespiteShortWatchdog(n2, n3);
            Endpoint a = c.connector();
            Endpoint b = c.acceptor();
            assertEquals(A_WINDOW, a.register(aMem, A_WINDOW, RW, Scif.MAP_FIXED));
            // B's window is plain direct memory, which its owner may free once B is closed.
            ByteBuffer bMem = aligned(WINDOW);
            assertEquals(B_WINDOW, b.register(bMem, B_WINDOW, RW, Scif.MAP_FIXED));
            CountDownLatch primed = new CountDownLatch(THREADS);
            List<Async<Outcome>> workers = hammer(b, WINDOW, 48, primed);
            awaitPrimed(primed);
            Endpoint closer = race % 2 == 1 ? a : b; // the initiator itself, or the window owner
            Endpoint other = closer == a ? b : a;
            long t0 = System.nanoTime();
            closer.close();
            long took = System.nanoTime() - t0;
            check(took < SOON.toNanos(), "race " + race + ": close returned after " + took / 1_000_000 + " ms");
            for (Async<Outcome> w : workers) {
                // On the closing end: EBADF once closed, EINTR for a call that close woke.
                // A 100 ms watchdog may also end a call that waited for room behind 48 MiB of
                // copies before the close came (ETIMEDOUT): on a loaded machine it does.
                checkOutcome(w, closer == b ? new Errno[] {Errno.EBADF, Errno.EINTR, Errno.ETIMEDOUT}
                    : new Errno[] {Errno.ECONNRESET, Errno.ENXIO, Errno.ETIMEDOUT});
            }
            // Close waits for the peer's acknowledgement only as long as the watchdog, 100 ms
            // here, and the DISCONNECT goes out behind the copies still queued: the other end
            // may learn of the close after it returned. Once it did, its calls fail.
            awaitEvents(other, Scif.POLLIN, Scif.POLLHUP, "race " + race + ": the other end sees the close");
            assertErrno(Errno.ECONNRESET, () -> other.fenceMark(Scif.FENCE_INIT_SELF),
                "race " + race + ": fenceMark after the peer closed");
            other.close();
            // Both ends are closed: B's memory is its owner's again, to keep or to free. Dropping
            // it lets the JVM free it (and unmap it, at this size) while nothing may use it any more.
            bMem = null;
            System.gc();
        }
    }

    /**
     * Connects nodes whose connect watchdog is 100 ms. That watchdog refuses a connect that the
     * accepting thread did not take within 100 ms (ECONNREFUSED), which a loaded machine can
     * cause; it is shortened here for the close path, not tested, so a refused connect is
     * tried again, at most five times, after closing what the refused one left: the connector
     * (still bound), the listener, and the endpoint a late accept may have made of the request.
     */
    private Connection connectDespiteShortWatchdog(ScifNode from, ScifNode to) throws Exception {
        for (int attempt = 1; ; attempt++) {
            Endpoint listener = listener(to, 0, 4);
            Endpoint connector = open(from);
            Async<Endpoint> accept = async("accept", () -> track(listener.accept(Scif.ACCEPT_SYNC)));
            try {
                connector.connect(listener.localPort());
                return new Connection(connector, accept.get(SOON));
            } catch (ScifException e) {
                if (e.errno() != Errno.ECONNREFUSED || attempt == 5) {
                    throw e;
                }
                connector.close();
                listener.close(); // ends the accept, unless it took the refused request first
                Endpoint late = accept.resultOrNull(SOON);
                if (late != null) {
                    late.close();
                }
            } finally {
                listener.close();
            }
        }
    }
}
