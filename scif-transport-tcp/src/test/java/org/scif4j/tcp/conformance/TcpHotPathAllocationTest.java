package org.scif4j.tcp.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.util.ResourceLeakDetector;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.tests.RmaTestBase;
import org.scif4j.tests.TransportFixture;

/**
 * The tcp transport's hot paths allocate nothing once warm: send and recv, writeTo with
 * RMA_SYNC, writeTo with a fence mark and wait over it, and readFrom with RMA_SYNC. The calling
 * thread reads the link the answers come on itself while it waits (LinkReader), so its frames
 * must not be new Netty buffers per frame; the peer's event loop serves the RMAs. Measured with
 * the JVM's per-thread allocation counters over the calling thread and the transport's threads
 * ({@code scif4j-*}: both nodes' event loops, the take-back timers), N calls in a row: one
 * allocation per call would add at least 16 B x N, far above the bound, which does not grow
 * with N (the figure {@code ./scif jmh Tcp -prof gc} shows as {@code gc.alloc.rate.norm}); of
 * a few rounds of N calls, one must stay under it (see {@link #ROUNDS}).
 *
 * <p>Netty's leak detector is off meanwhile: at its default level it follows one buffer in 128
 * that Netty's pool hands out (the event loops' socket reads among them) with a recorded stack
 * trace, a debugging aid of Netty's that would count here as allocation per call.
 */
class TcpHotPathAllocationTest extends RmaTestBase {
    private static final int RW = Scif.PROT_READ | Scif.PROT_WRITE;
    private static final int SIZE = 4096;
    private static final int WARM_UP = 20_000;
    private static final int CALLS = 20_000;
    /** Bytes one round of calls may allocate (the counters' own reads, a stray lazy init). */
    private static final long BOUND = 4096;
    /**
     * Rounds of {@link #CALLS} calls tried: one under the bound passes. A round now and then
     * allocates a few tens of KB at once that no allocation profile of the calls shows (the JVM
     * re-materialising objects of a method it deoptimises counts on the thread, as does Netty's
     * pool starting a chunk); an allocation per call shows in every round.
     */
    private static final int ROUNDS = 5;
    private static ResourceLeakDetector.Level leakLevel;

    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private final ByteBuffer out8 = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
    private final ByteBuffer in8 = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
    private long localOffset;
    private long remoteOffset;

    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture();
    }

    @BeforeAll
    static void leakDetectorOff() {
        leakLevel = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    }

    @AfterAll
    static void leakDetectorBack() {
        ResourceLeakDetector.setLevel(leakLevel);
    }

    /** What one measured call does. */
    private interface Call {
        void run(int i) throws ScifException;
    }

    @BeforeEach
    void windows() throws ScifException {
        localOffset = local.register(memory(node0, SIZE), 0, RW, 0);
        remoteOffset = remote.register(memory(node1, SIZE), 0, RW, 0);
    }

    @Test
    void sendAndRecv() throws ScifException {
        assertAllocatesNothing("send + recv of 8 B", i -> {
            out8.clear().putLong(0, i);
            local.send(out8, Scif.SEND_BLOCK);
            in8.clear();
            remote.recv(in8, Scif.RECV_BLOCK);
            if (in8.getLong(0) != i) {
                throw new AssertionError("received " + in8.getLong(0) + ", sent " + i);
            }
        });
    }

    @Test
    void writeToSync() throws ScifException {
        assertAllocatesNothing("writeTo with RMA_SYNC", i -> local.writeTo(localOffset, SIZE, remoteOffset,
            Scif.RMA_SYNC));
    }

    @Test
    void writeToThenFenceMarkAndWait() throws ScifException {
        assertAllocatesNothing("writeTo + fenceMark + fenceWait", i -> {
            local.writeTo(localOffset, SIZE, remoteOffset, 0);
            local.fenceWait(local.fenceMark(Scif.FENCE_INIT_SELF));
        });
    }

    @Test
    void readFromSync() throws ScifException {
        assertAllocatesNothing("readFrom with RMA_SYNC", i -> local.readFrom(localOffset, SIZE, remoteOffset,
            Scif.RMA_SYNC));
    }

    private void assertAllocatesNothing(String what, Call call) throws ScifException {
        for (int i = 0; i < WARM_UP; i++) {
            call.run(i);
        }
        List<Thread> measured = measuredThreads();
        long[] ids = measured.stream().mapToLong(Thread::getId).toArray();
        StringBuilder rounds = new StringBuilder();
        for (int round = 0; round < ROUNDS; round++) {
            long[] before = threads.getThreadAllocatedBytes(ids);
            for (int i = 0; i < CALLS; i++) {
                call.run(i);
            }
            long[] after = threads.getThreadAllocatedBytes(ids);
            long bytes = 0;
            StringBuilder each = new StringBuilder();
            for (int k = 0; k < ids.length; k++) {
                long b = before[k] < 0 || after[k] < 0 ? 0 : after[k] - before[k]; // -1: the thread ended
                bytes += b;
                each.append(k == 0 ? "" : ", ").append(measured.get(k).getName()).append(' ').append(b);
            }
            if (bytes < BOUND) {
                return;
            }
            rounds.append("\n  ").append(bytes).append(" bytes (").append((double) bytes / CALLS)
                .append(" B per call): ").append(each);
        }
        fail(what + ": every round of " + CALLS + " calls allocated " + BOUND + " bytes or more on this thread and"
            + " the transport's:" + rounds);
    }

    /** This thread and the transport's threads. */
    private List<Thread> measuredThreads() {
        List<Thread> measured = new ArrayList<>();
        measured.add(Thread.currentThread());
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("scif4j-")) {
                measured.add(t);
            }
        }
        return measured;
    }

    private long allocated(long[] ids) {
        long sum = 0;
        for (long b : threads.getThreadAllocatedBytes(ids)) {
            sum += Math.max(0, b); // -1 for a thread that has ended
        }
        return sum;
    }

    @Test
    void theCounterSeesAnAllocationPerCall() throws ScifException {
        // the measurement itself: a call that allocates is caught
        List<byte[]> kept = new ArrayList<>();
        long[] ids = measuredThreads().stream().mapToLong(Thread::getId).toArray();
        long before = allocated(ids);
        for (int i = 0; i < CALLS; i++) {
            kept.add(new byte[16]);
        }
        assertEquals(CALLS, kept.size());
        assertTrue(allocated(ids) - before >= 16L * CALLS, "the per-thread counter missed allocations");
    }
}
