package org.scif4j.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;

/**
 * Many threads on one connection at once (the RMA and fence rules of the scif_writeto(3) and scif_fence_mark(3) man pages):
 * RMAs, fences and window changes from both ends never lose, tear or misplace a byte, every
 * mark covers what it should, and an RMA racing with the unregistration of its target either
 * completes or fails with ENXIO, never touching memory outside its range.
 */
public abstract class RmaConcurrencyTest extends RmaTestBase {
    private static final int THREADS = 4;
    private static final int SLICE = 64 * 1024;
    private static final int ROUNDS = 60;
    private static final long OURS = 1L << 30;
    private static final long THEIRS = 1L << 31;
    private static final long SCRATCH = 1L << 32;
    /**
     * More RMA threads than cores: a thread descheduled between taking a reference on the
     * scratch window and dropping it (a refused RMA holds one for a few instructions) is what
     * unregister must not mistake for a transfer still in flight.
     */
    private static final int RACING_RMA_THREADS = 4;
    /** Register/unregister cycles of the scratch window, at least. */
    private static final int REGISTRATION_CYCLES = 2_000;

    /** A pattern no two (thread, round) pairs share, so a misplaced byte shows. */
    private static byte pattern(int thread, int round, int i) {
        return (byte) (thread * 31 + round * 7 + i * 13 + (i >>> 8));
    }

    @Test
    void threadsWritingAndReadingTheirOwnSlicesWithFencesSeeOnlyTheirOwnBytes() throws Exception {
        int size = THREADS * SLICE;
        ByteBuffer ours = memory(node0, 2L * size); // [0, size): sources; [size, 2 size): read-backs
        ByteBuffer theirs = memory(node1, size);
        assertEquals(OURS, local.register(ours, OURS, Scif.PROT_READ | Scif.PROT_WRITE, Scif.MAP_FIXED));
        assertEquals(THEIRS, remote.register(theirs, THEIRS, Scif.PROT_READ | Scif.PROT_WRITE, Scif.MAP_FIXED));
        CyclicBarrier start = new CyclicBarrier(THREADS + 1);
        List<Async<Integer>> workers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int thread = t;
            workers.add(async("rma-" + t, () -> {
                start.await();
                long src = OURS + (long) thread * SLICE;
                long back = OURS + size + (long) thread * SLICE;
                long dst = THEIRS + (long) thread * SLICE;
                for (int round = 0; round < ROUNDS; round++) {
                    for (int i = 0; i < SLICE; i++) {
                        ours.put(thread * SLICE + i, pattern(thread, round, i));
                    }
                    int flags = round % 3 == 0 ? Scif.RMA_SYNC : round % 3 == 1 ? 0 : Scif.RMA_USECPU;
                    local.writeTo(src, SLICE, dst, flags);
                    local.fenceWait(local.fenceMark(Scif.FENCE_INIT_SELF)); // the source may be reused
                    local.readFrom(back, SLICE, dst, round % 2 == 0 ? Scif.RMA_SYNC : 0);
                    local.fenceWait(local.fenceMark(Scif.FENCE_INIT_SELF));
                    for (int i = 0; i < SLICE; i++) {
                        byte want = pattern(thread, round, i);
                        byte got = ours.get(size + thread * SLICE + i);
                        if (got != want) {
                            throw new AssertionError("thread " + thread + " round " + round + " byte " + i
                                + ": read back " + got + ", wrote " + want);
                        }
                    }
                }
                return ROUNDS;
            }));
        }
        start.await();
        for (Async<Integer> w : workers) {
            assertEquals(ROUNDS, w.get(SOON), "rounds a thread completed");
        }
        for (int t = 0; t < THREADS; t++) {
            for (int i = 0; i < SLICE; i += 4093) {
                assertEquals(pattern(t, ROUNDS - 1, i), theirs.get(t * SLICE + i),
                    "the peer's window holds each thread's last round, byte " + i + " of slice " + t);
            }
        }
    }

    @Test
    void rmasRacingWithTheirTargetsUnregistrationCompleteOrFailWithEnxio() throws Exception {
        ByteBuffer src = memory(node0, PAGE);
        src.put(0, randomBytes(7, PAGE));
        assertEquals(OURS, local.register(src, OURS, Scif.PROT_READ | Scif.PROT_WRITE, Scif.MAP_FIXED));
        ByteBuffer guard = memory(node1, 3 * PAGE); // the scratch window is the middle page
        assertEquals(SCRATCH - PAGE, remote.register(guard.slice(0, PAGE), SCRATCH - PAGE,
            Scif.PROT_READ | Scif.PROT_WRITE, Scif.MAP_FIXED));
        assertEquals(SCRATCH + PAGE, remote.register(guard.slice(2 * PAGE, PAGE), SCRATCH + PAGE,
            Scif.PROT_READ | Scif.PROT_WRITE, Scif.MAP_FIXED));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong completed = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        // Threads alternate writeTo and readFrom of one page at the scratch window while the
        // peer registers and unregisters it as fast as it can, between two guard windows; each
        // MAP_FIXED register right after an unregister finds the range free again.
        List<Async<Integer>> rmas = new ArrayList<>();
        for (int t = 0; t < RACING_RMA_THREADS; t++) {
            int thread = t;
            rmas.add(async("rma-" + t, () -> {
                int n = 0;
                while (!stop.get()) {
                    try {
                        if ((n++ & 1) == (thread & 1)) {
                            local.writeTo(OURS, PAGE, SCRATCH, Scif.RMA_SYNC);
                        } else {
                            local.readFrom(OURS, PAGE, SCRATCH, Scif.RMA_SYNC);
                        }
                        completed.incrementAndGet();
                    } catch (ScifException e) {
                        if (e.errno() != Errno.ENXIO) {
                            throw e;
                        }
                        refused.incrementAndGet();
                    }
                }
                return n;
            }));
        }
        ByteBuffer scratch = guard.slice(PAGE, PAGE);
        scratch.put(0, randomBytes(7, PAGE)); // both directions move the same bytes: any other byte is misplaced
        for (int i = 0; i < REGISTRATION_CYCLES || completed.get() == 0 || refused.get() == 0; i++) {
            check(i < 20_000, "both outcomes seen within 20,000 register/unregister cycles");
            assertEquals(SCRATCH, remote.register(scratch, SCRATCH, Scif.PROT_READ | Scif.PROT_WRITE,
                Scif.MAP_FIXED), "the scratch range is free again after unregister");
            remote.unregister(SCRATCH, PAGE);
        }
        stop.set(true);
        for (Async<Integer> r : rmas) {
            r.get(SOON);
        }
        byte[] zeros = new byte[PAGE];
        assertSameBytes(zeros, bytes(guard, 0, PAGE), "the page below the scratch window");
        assertSameBytes(zeros, bytes(guard, 2 * PAGE, PAGE), "the page above the scratch window");
        assertSameBytes(randomBytes(7, PAGE), bytes(scratch, 0, PAGE), "the scratch page");
        assertSameBytes(randomBytes(7, PAGE), bytes(src, 0, PAGE), "our page");
    }
}
