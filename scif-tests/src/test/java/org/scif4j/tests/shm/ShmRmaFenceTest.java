package org.scif4j.tests.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.tests.Async;
import org.scif4j.tests.RmaFenceTest;
import org.scif4j.tests.TransportFixture;

/**
 * {@link RmaFenceTest} on the shared-memory transport, and the fence signals of several threads
 * of one endpoint at once: shm stores a signal's values on the calling thread when nothing the
 * fence covers is outstanding, and queues it on the DMA channel otherwise (EndpointFences), so
 * a signal must never get ahead of an RMA that another thread issued before it.
 */
class ShmRmaFenceTest extends RmaFenceTest {
    private static final int RW = Scif.PROT_READ | Scif.PROT_WRITE;
    private static final int WRITERS = 3;
    private static final int ROUNDS = 40;
    /** Each (writer, round) writes its own region of the peer's window, never written again. */
    private static final int REGION = 128 << 10;
    /** Base of the sources (ours) and of the regions (the peer's). */
    private static final long DATA = 1L << 32;
    /** Base of the flag windows on either side. */
    private static final long FLAGS = 1L << 33;
    /** The INIT_PEER signaller's word in the peer's flag window, after the writers'. */
    private static final int PEER_WORD = 8 * WRITERS;

    @Override
    protected TransportFixture newFixture() {
        return new ShmFixture();
    }

    /**
     * Mixes a small copy (taken inline when nothing is outstanding) and larger ones (queued on
     * the DMA channel, the largest above the inline limit of 64 KiB), so that some signals find
     * the channel busy with another thread's RMA and some find it idle.
     */
    private static int length(int writer, int round) {
        return switch ((writer + round) % 4) {
            case 0 -> REGION;
            case 1 -> 4096;
            case 2 -> 100 << 10;
            default -> 64 << 10;
        };
    }

    /** Random bytes from which each (writer, round) takes its own run: stale or missing bytes show. */
    private static final byte[] PATTERNS = randomBytes(0x5167, REGION + (WRITERS * ROUNDS) * 4099);

    /** Where the data of ({@code writer}, {@code round}) starts in {@link #PATTERNS}. */
    private static int pattern(int writer, int round) {
        return (writer * ROUNDS + round) * 4099;
    }

    /** Whether region ({@code writer}, {@code round}) of the peer's window holds its data; the tail first. */
    private static String missing(ByteBuffer regions, int writer, int round) {
        int base = (writer * ROUNDS + round) * REGION;
        int n = length(writer, round);
        int from = pattern(writer, round);
        int i = regions.get(base + n - 1) != PATTERNS[from + n - 1] ? n - 1 // a copy in progress lacks its tail
            : regions.slice(base, n).mismatch(ByteBuffer.wrap(PATTERNS, from, n));
        return i < 0 ? null : "writer " + writer + " round " + round + ": byte " + i + " of " + n + " is "
            + regions.get(base + i) + ", not " + PATTERNS[from + i];
    }

    /**
     * Writers on one endpoint each write a region of the peer's window with DMA writeTo, then
     * fence it in one of three ways: a fenceSignal of both words, a fenceSignal of the peer's
     * word then fenceMark+fenceWait, or fenceMark+fenceWait then a fenceSignal. A checker on the
     * peer's side polls each writer's word in its window and issues INIT_PEER signals into its
     * own: every value it sees must imply the data of every writeTo that returned before that
     * signal was issued, whichever thread issued it.
     */
    @Test
    void signalsOfSeveralThreadsComeAfterEveryRmaIssuedBeforeThem() throws Exception {
        ByteBuffer sources = memory(node0, (long) WRITERS * REGION);
        ByteBuffer regions = memory(node1, (long) WRITERS * ROUNDS * REGION);
        ByteBuffer localFlags = memory(node0, PAGE);
        ByteBuffer remoteFlags = memory(node1, PAGE);
        assertEquals(DATA, local.register(sources, DATA, RW, Scif.MAP_FIXED));
        assertEquals(DATA, remote.register(regions, DATA, RW, Scif.MAP_FIXED));
        assertEquals(FLAGS, local.register(localFlags, FLAGS, RW, Scif.MAP_FIXED));
        assertEquals(FLAGS, remote.register(remoteFlags, FLAGS, RW, Scif.MAP_FIXED));

        // issued[w]: the last round whose writeTo returned. covered[(w * ROUNDS + r) * WRITERS + u]:
        // issued[u] just before writer w's signal of round r, which that signal covers.
        AtomicIntegerArray issued = new AtomicIntegerArray(WRITERS);
        AtomicIntegerArray covered = new AtomicIntegerArray(WRITERS * ROUNDS * WRITERS);
        for (int w = 0; w < WRITERS; w++) {
            issued.set(w, -1);
        }
        CyclicBarrier start = new CyclicBarrier(WRITERS + 1);
        List<Async<Integer>> writers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            writers.add(async("writer-" + w, () -> {
                start.await();
                long src = DATA + (long) writer * REGION;
                for (int round = 0; round < ROUNDS; round++) {
                    int n = length(writer, round);
                    sources.put(writer * REGION, PATTERNS, pattern(writer, round), n);
                    long dst = DATA + (long) (writer * ROUNDS + round) * REGION;
                    local.writeTo(src, n, dst, 0);
                    issued.set(writer, round);
                    for (int u = 0; u < WRITERS; u++) {
                        covered.set((writer * ROUNDS + round) * WRITERS + u, issued.get(u));
                    }
                    long word = FLAGS + 8L * writer;
                    long value = round + 1;
                    int both = Scif.FENCE_INIT_SELF | Scif.SIGNAL_LOCAL | Scif.SIGNAL_REMOTE;
                    switch (round % 3) {
                        case 0 -> {
                            local.fenceSignal(word, value, word, value, both);
                            awaitWord(localFlags, 8 * writer, value, "writer " + writer + "'s local word");
                        }
                        case 1 -> {
                            local.fenceSignal(0, 0, word, value, Scif.FENCE_INIT_SELF | Scif.SIGNAL_REMOTE);
                            local.fenceWait(local.fenceMark(Scif.FENCE_INIT_SELF)); // the source may be reused
                        }
                        default -> {
                            local.fenceWait(local.fenceMark(Scif.FENCE_INIT_SELF));
                            String gap = missing(regions, writer, round);
                            if (gap != null) {
                                throw new AssertionError("after fenceMark and fenceWait, " + gap);
                            }
                            local.fenceSignal(word, value, word, value, both);
                            awaitWord(localFlags, 8 * writer, value, "writer " + writer + "'s local word");
                        }
                    }
                }
                return ROUNDS;
            }));
        }
        start.await();
        // The checker, on the peer's side: each writer's word in the peer's window, polled as an
        // offload runtime polls it; and between two looks, an INIT_PEER signal of the peer into
        // its own window, which covers our writeTos that returned before it was issued.
        int[] seen = new int[WRITERS];
        int[] checked = {-1, -1, -1};
        int[] snapshot = new int[WRITERS];
        long peerSignals = 0;
        boolean done = false;
        while (!done) {
            done = writers.stream().allMatch(Async::isDone); // then one last look at every word
            for (int u = 0; u < WRITERS; u++) {
                snapshot[u] = issued.get(u);
            }
            long peerValue = ++peerSignals;
            remote.fenceSignal(FLAGS + PEER_WORD, peerValue, 0, 0, Scif.FENCE_INIT_PEER | Scif.SIGNAL_LOCAL);
            awaitWord(remoteFlags, PEER_WORD, peerValue, "the peer's INIT_PEER word");
            for (int u = 0; u < WRITERS; u++) {
                for (int q = checked[u] + 1; q <= snapshot[u]; q++) {
                    String gap = missing(regions, u, q);
                    check(gap == null, "the peer's INIT_PEER signal " + peerValue + " seen, but " + gap);
                }
                checked[u] = Math.max(checked[u], snapshot[u]);
            }
            for (int w = 0; w < WRITERS; w++) {
                int value = (int) word(remoteFlags, 8 * w);
                if (value == seen[w]) {
                    continue;
                }
                check(value > seen[w], "writer " + w + "'s word went from " + seen[w] + " back to " + value);
                seen[w] = value;
                int round = value - 1;
                for (int u = 0; u < WRITERS; u++) {
                    int upTo = covered.get((w * ROUNDS + round) * WRITERS + u);
                    for (int q = checked[u] + 1; q <= upTo; q++) {
                        String gap = missing(regions, u, q);
                        check(gap == null, "writer " + w + "'s signal of round " + round + " seen, but " + gap);
                    }
                    checked[u] = Math.max(checked[u], upTo);
                }
            }
        }
        for (Async<Integer> w : writers) {
            assertEquals(ROUNDS, w.get(SOON), "rounds a writer completed");
        }
        for (int w = 0; w < WRITERS; w++) {
            assertEquals(ROUNDS, seen[w], "writer " + w + "'s last signal reached the peer's window");
            for (int q = 0; q < ROUNDS; q++) {
                String gap = missing(regions, w, q);
                check(gap == null, "at the end, " + gap);
            }
        }
    }
}
