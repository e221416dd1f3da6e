package org.scif4j.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.scif4j.Scif;
import org.scif4j.ScifMemory;
import org.scif4j.tcp.conformance.TcpFixture;

/**
 * Read requests held back to go out together (RmaInitiator) are never stranded: a stream of
 * asynchronous reads completes with no later call of the initiator's (no fence, no wait), the
 * answers' reader sending what was held; and many threads mixing asynchronous and RMA_SYNC
 * reads, writes, signals and fences on one endpoint all get their bytes, in order.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a stranded request spins forever
class HeldReadRequestsTest {
    private static final int PORT = 3013;
    private static final int CHUNK = 64 << 10;
    private static final int THREADS = 8;
    /** Each thread's share of the windows. */
    private static final int SHARE = 8 * CHUNK;

    private final TcpFixture fabric = new TcpFixture();
    private Honest.Pair pair;
    private ScifMemory local;
    private ScifMemory remote;

    @BeforeEach
    void connect() throws Exception {
        pair = new Honest.Pair(fabric, "", PORT);
        local = pair.node1.allocate(THREADS * SHARE);
        remote = pair.node0.allocate(2 * THREADS * SHARE);
        int prot = Scif.PROT_READ | Scif.PROT_WRITE;
        pair.client.register(local.buffer(), 0, prot, Scif.MAP_FIXED);
        pair.server.register(remote.buffer(), 0, prot, Scif.MAP_FIXED);
    }

    @AfterEach
    void close() throws Exception {
        if (pair != null) {
            pair.close();
        }
        fabric.assertNoLeftovers();
    }

    @Test
    void asynchronousReadsCompleteWithoutALaterCall() throws Exception {
        ByteBuffer r = remote.buffer();
        for (int i = 0; i < r.capacity(); i++) {
            r.put(i, pattern(1, i));
        }
        // More than the bytes allowed in flight (so submitters wait for room), then a tail of
        // reads that nobody waits for: the last one's bytes must still arrive.
        int calls = (int) (RmaInitiator.MAX_BYTES / CHUNK) * 3 + RmaInitiator.MAX_HELD + 7;
        int slots = THREADS * SHARE / CHUNK;
        for (int i = 0; i < calls; i++) {
            int slot = i % slots;
            // The last call reads other bytes than the earlier ones into its slot.
            long from = i == calls - 1 ? THREADS * SHARE + (long) slot * CHUNK : (long) slot * CHUNK;
            pair.client.readFrom((long) slot * CHUNK, CHUNK, from, 0);
        }
        int lastSlot = (calls - 1) % slots;
        int base = THREADS * SHARE + lastSlot * CHUNK;
        ByteBuffer l = local.buffer();
        for (int i = 0; i < CHUNK; i++) {
            while (l.get(lastSlot * CHUNK + i) != pattern(1, base + i)) {
                Thread.onSpinWait(); // bounded by the test's timeout: a stranded request never arrives
            }
        }
        pair.client.fenceWait(pair.client.fenceMark(Scif.FENCE_INIT_SELF));
        for (int i = 0; i < THREADS * SHARE; i++) {
            int from = i / CHUNK == lastSlot ? base + i % CHUNK : i;
            assertEquals(pattern(1, from), l.get(i), "byte " + i);
        }
    }

    @Test
    void manyThreadsMixingReadsWritesAndFencesGetTheirBytes() throws Exception {
        ByteBuffer r = remote.buffer();
        for (int i = 0; i < THREADS * SHARE; i++) {
            r.put(i, pattern(2, i));
        }
        CyclicBarrier start = new CyclicBarrier(THREADS);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int me = t;
                done.add(pool.submit(() -> {
                    start.await();
                    work(me);
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Thread {@code t}'s rounds: asynchronous reads of its share, a read with RMA_SYNC, a write
     * of what it read to the second half of the peer's window, and a fence or a signal; each
     * round checks what arrived.
     */
    private void work(int t) throws Exception {
        int at = t * SHARE;
        ByteBuffer l = local.buffer();
        ByteBuffer r = remote.buffer();
        for (int round = 0; round < 20; round++) {
            for (int c = 0; c < SHARE / CHUNK - 1; c++) {
                pair.client.readFrom(at + (long) c * CHUNK, CHUNK, at + (long) c * CHUNK, 0);
            }
            int last = SHARE - CHUNK;
            pair.client.readFrom(at + last, CHUNK, at + last, Scif.RMA_SYNC);
            if (round % 2 == 0) {
                pair.client.fenceWait(pair.client.fenceMark(Scif.FENCE_INIT_SELF));
            } else {
                // A signal after the reads: its local word is stored once they all completed.
                l.putLong(at, 0);
                pair.client.fenceSignal(at, round, THREADS * SHARE + at, round, Scif.FENCE_INIT_SELF
                    | Scif.SIGNAL_LOCAL | Scif.SIGNAL_REMOTE);
                pair.client.fenceWait(pair.client.fenceMark(Scif.FENCE_INIT_SELF));
                assertEquals(round, l.duplicate().order(ByteOrder.nativeOrder()).getLong(at), "thread " + t + "'s signalled word, round " + round);
                pair.client.readFrom(at, 8, at, Scif.RMA_SYNC); // the word's bytes again
            }
            assertPattern(l, at, at, SHARE, "thread " + t + "'s reads, round " + round);
            pair.client.writeTo(at, SHARE, THREADS * SHARE + at, 0);
            pair.client.fenceWait(pair.client.fenceMark(Scif.FENCE_INIT_SELF));
            assertPattern(r, THREADS * SHARE + at, at, SHARE, "thread " + t + "'s write, round " + round);
            for (int i = 0; i < SHARE; i += 4096) {
                l.put(at + i, (byte) ~pattern(2, at + i)); // the next round must read them again
            }
        }
    }

    /** Asserts that {@code n} bytes of {@code b} at {@code at} are pattern 2 of the offsets from {@code from}. */
    private static void assertPattern(ByteBuffer b, int at, int from, int n, String what) {
        for (int i = 0; i < n; i++) {
            if (b.get(at + i) != pattern(2, from + i)) {
                assertEquals(pattern(2, from + i), b.get(at + i), what + ", byte " + i);
            }
        }
    }

    private static byte pattern(int p, int offset) {
        return (byte) (offset * 31 + offset / 65536 + p * 101 + 1);
    }
}
