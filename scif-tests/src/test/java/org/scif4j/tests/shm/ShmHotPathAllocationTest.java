package org.scif4j.tests.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.tests.RmaTestBase;
import org.scif4j.tests.TransportFixture;

/**
 * The shm transport's hot paths allocate nothing once warm: send and recv, writeTo and readFrom
 * with the CPU, vwriteTo and vreadFrom, a DMA-engine writeTo with fenceMark and fenceWait, and
 * fenceSignal. Measured with the JVM's per-thread allocation counters over the calling thread and
 * the transport's own threads ({@code scif4j-*}: DMA engine, watchdog), N calls in a row: a single
 * allocation per call would add at least 16 B x N, far above the bound, which does not grow with N
 * (the same figure {@code ./scif jmh -prof gc} shows as {@code gc.alloc.rate.norm}).
 */
class ShmHotPathAllocationTest extends RmaTestBase {
    private static final int RW = Scif.PROT_READ | Scif.PROT_WRITE;
    private static final int SIZE = 4096;
    private static final int WARM_UP = 20_000;
    private static final int CALLS = 20_000;
    /** Bytes the whole measured loop may allocate (the counters' own reads, a stray lazy init). */
    private static final long BOUND = 4096;

    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private final ByteBuffer out8 = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
    private final ByteBuffer in8 = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
    private final ByteBuffer direct = ByteBuffer.allocateDirect(SIZE);
    private ByteBuffer localFlags;
    private long localOffset;
    private long remoteOffset;
    private long localFlag;
    private long remoteFlag;
    private long signals;

    @Override
    protected TransportFixture newFixture() {
        return new ShmFixture();
    }

    /** What one measured call does. */
    private interface Call {
        void run(int i) throws ScifException;
    }

    @BeforeEach
    void windows() throws ScifException {
        localOffset = local.register(memory(node0, SIZE), 0, RW, 0);
        remoteOffset = remote.register(memory(node1, SIZE), 0, RW, 0);
        localFlags = memory(node0, PAGE);
        localFlag = local.register(localFlags, 0, RW, 0);
        remoteFlag = remote.register(memory(node1, PAGE), 0, RW, 0);
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
    void cpuWriteToAndReadFrom() throws ScifException {
        assertAllocatesNothing("writeTo + readFrom with RMA_USECPU", i -> {
            local.writeTo(localOffset, SIZE, remoteOffset, Scif.RMA_USECPU);
            local.readFrom(localOffset, SIZE, remoteOffset, Scif.RMA_USECPU);
        });
    }

    @Test
    void vwriteToAndVreadFrom() throws ScifException {
        assertAllocatesNothing("vwriteTo + vreadFrom with RMA_USECPU", i -> {
            local.vwriteTo(direct.clear(), remoteOffset, Scif.RMA_USECPU);
            local.vreadFrom(direct.clear(), remoteOffset, Scif.RMA_USECPU);
        });
    }

    @Test
    void dmaWriteToThenFenceMarkAndWait() throws ScifException {
        assertAllocatesNothing("DMA writeTo + fenceMark + fenceWait", i -> {
            local.writeTo(localOffset, SIZE, remoteOffset, 0);
            local.fenceWait(local.fenceMark(Scif.FENCE_INIT_SELF));
        });
    }

    @Test
    void dmaWriteToThenFenceSignal() throws ScifException {
        assertAllocatesNothing("DMA writeTo + fenceSignal, until the local value lands", i -> {
            local.writeTo(localOffset, SIZE, remoteOffset, 0);
            long value = ++signals;
            local.fenceSignal(localFlag, value, remoteFlag, value,
                Scif.FENCE_INIT_SELF | Scif.SIGNAL_LOCAL | Scif.SIGNAL_REMOTE);
            while ((long) LONGS.getAcquire(localFlags, 0) != value) {
                Thread.onSpinWait();
            }
        });
    }

    private void assertAllocatesNothing(String what, Call call) throws ScifException {
        for (int i = 0; i < WARM_UP; i++) {
            call.run(i);
        }
        long[] ids = measuredThreads();
        long before = allocated(ids);
        for (int i = 0; i < CALLS; i++) {
            call.run(i);
        }
        long bytes = allocated(ids) - before;
        assertTrue(bytes < BOUND, what + ": " + CALLS + " calls allocated " + bytes + " bytes ("
            + (double) bytes / CALLS + " B per call) on this thread and the transport's");
    }

    /** This thread and the transport's threads. */
    private long[] measuredThreads() {
        List<Long> ids = new ArrayList<>();
        ids.add(Thread.currentThread().getId());
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("scif4j-")) {
                ids.add(t.getId());
            }
        }
        return ids.stream().mapToLong(Long::longValue).toArray();
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
        long[] ids = measuredThreads();
        long before = allocated(ids);
        for (int i = 0; i < CALLS; i++) {
            kept.add(new byte[16]);
        }
        assertEquals(CALLS, kept.size());
        assertTrue(allocated(ids) - before >= 16L * CALLS, "the per-thread counter missed allocations");
    }
}
