package org.scif4j.shm.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.scif4j.Scif;

/**
 * The DMA engine's split of large copies across its channels: the bytes arrive whole whatever
 * the pieces' boundaries, a part that a busy channel never started is taken back by the
 * copying thread, and such a part, run later from that channel's queue, copies nothing.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DmaEngineSplitTest {
    private DmaEngine engine;

    @AfterEach
    void stopEngine() {
        if (engine != null) {
            engine.stop();
        }
    }

    @Test
    void aSplitCopyArrivesWholeAcrossUnevenPiecesInBothDirections() {
        engine = new DmaEngine(3, "split-test");
        DmaEngine.Channel self = engine.assign();
        int length = 5 * (int) DmaEngine.SPLIT_BYTES / 2 + 123; // not a multiple of anything
        for (boolean toRemote : new boolean[] {true, false}) {
            for (int flags : new int[] {0, Scif.RMA_ORDERED}) {
                byte[] local = pattern(length, toRemote ? 7 : 0);
                ByteBuffer remote = ByteBuffer.allocateDirect(length);
                if (!toRemote) {
                    remote.put(pattern(length, 11)).clear();
                }
                engine.copy(transfer(local, remote, toRemote, flags), self);
                byte[] got = new byte[length];
                if (toRemote) {
                    remote.get(got);
                    assertArrayEquals(local, got, "writeTo of " + length + " bytes, flags " + flags);
                } else {
                    assertArrayEquals(pattern(length, 11), local, "readFrom of " + length + " bytes, flags " + flags);
                }
            }
        }
    }

    @Test
    void aPartABusyChannelNeverStartedIsTakenBackAndLaterRunsAsANoOp() throws Exception {
        engine = new DmaEngine(2, "takeback-test");
        DmaEngine.Channel self = engine.assign();
        DmaEngine.Channel busy = engine.assign();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch blocking = new CountDownLatch(1);
        busy.submit(() -> {
            blocking.countDown();
            awaitQuietly(release);
        });
        assertTrue(blocking.await(10, TimeUnit.SECONDS), "the busy channel runs its blocking operation");

        int length = 2 * (int) DmaEngine.SPLIT_BYTES;
        byte[] first = pattern(length, 3);
        ByteBuffer remote = ByteBuffer.allocateDirect(length);
        Transfer t = transfer(first, remote, true, 0);
        engine.copy(t, self); // the busy channel's part waits in its queue: taken back here
        byte[] got = new byte[length];
        remote.get(0, got);
        assertArrayEquals(first, got, "the copy completed while a channel it was split to was busy");

        // The taken-back part is still in the busy channel's queue, pointing at this transfer:
        // change the source under it; when the channel finally runs it, it must copy nothing.
        System.arraycopy(pattern(length, 99), 0, first, 0, length);
        byte[] before = got.clone();
        release.countDown();
        CountDownLatch drained = new CountDownLatch(1);
        busy.submit(drained::countDown);
        assertTrue(drained.await(10, TimeUnit.SECONDS), "the busy channel drains its queue");
        remote.get(0, got);
        assertArrayEquals(before, got, "a stale part run after its copy completed wrote nothing");
    }

    @Test
    void concurrentSplitCopiesReuseTheirPartsWithoutMixingBytes() throws Exception {
        engine = new DmaEngine(3, "concurrent-test");
        int length = (int) DmaEngine.SPLIT_BYTES + 3 * 4096 + 17;
        List<Thread> threads = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int c = 0; c < 3; c++) {
            DmaEngine.Channel self = engine.assign();
            int seed = c;
            Thread th = new Thread(() -> {
                try {
                    ByteBuffer remote = ByteBuffer.allocateDirect(length);
                    byte[] got = new byte[length];
                    for (int round = 0; round < 20; round++) {
                        byte[] local = pattern(length, seed * 100 + round);
                        engine.copy(transfer(local, remote, true, 0), self);
                        remote.get(0, got);
                        assertArrayEquals(local, got, "copier " + seed + ", round " + round);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "copier-" + c);
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
    }

    /**
     * A transfer between a heap array (three uneven local pieces, addressed by index) and direct memory (two remote
     * pieces), so that the split's part boundaries fall inside pieces on both sides.
     */
    private static Transfer transfer(byte[] local, ByteBuffer remote, boolean toRemote, int flags) {
        int length = local.length;
        Transfer t = new Transfer(Thread.currentThread());
        t.reset(length, toRemote, flags);
        int a = length / 3 + 1;
        int b = length / 2 + 4095;
        t.addLocal(local, 0, a);
        t.addLocal(local, a, b - a);
        t.addLocal(local, b, length - b);
        long address = Memory.address(remote);
        int r = length - 8191;
        t.addRemote(address, r);
        t.addRemote(address + r, length - r);
        return t;
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 31 + (i >>> 11) + seed);
        }
        return b;
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
