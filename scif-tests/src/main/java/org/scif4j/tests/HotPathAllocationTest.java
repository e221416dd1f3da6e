package org.scif4j.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.scif4j.PollItem;
import org.scif4j.Scif;
import org.scif4j.ScifException;

/**
 * A transport's hot paths allocate nothing once warm: send and recv, writeTo and readFrom (with
 * the CPU, with the DMA engine and a fence mark and wait, with RMA_SYNC), vwriteTo and
 * vreadFrom, a fence mark and wait on the peer's RMAs, and fenceSignal. Measured with the JVM's
 * per-thread allocation counters over the calling thread and the transports' own threads
 * ({@code scif4j-*}: DMA engines, event loops, watchdogs), N calls in a row: one allocation per
 * call would add at least 16 B x N, far above the bound, which does not grow with N (the figure
 * {@code ./scif jmh -prof gc} shows as {@code gc.alloc.rate.norm}). Of a few rounds of N calls
 * one must stay under it: a round now and then takes a few tens of KB at once that no
 * allocation profile of the calls shows (the JVM re-materialising the objects of a method it
 * deoptimises counts on the thread, as does a pool starting a new chunk); an allocation per
 * call shows in every round.
 */
public abstract class HotPathAllocationTest extends RmaTestBase {
    private static final int RW = Scif.PROT_READ | Scif.PROT_WRITE;
    private static final int SIZE = 4096;
    private static final int WARM_UP = 20_000;
    private static final int CALLS = 20_000;
    /** Bytes one round of calls may allocate (the counters' own reads, a stray lazy init). */
    private static final long BOUND = 4096;
    /**
     * A message larger than one unit of a transport's framing (tcp's DATA frames carry 64 KiB),
     * so that a send goes out in several pieces and a recv takes several in.
     */
    private static final int LARGE_MESSAGE = 128 << 10;
    /**
     * Calls per round of {@link #LARGE_MESSAGE}s: few, so that a round takes milliseconds, as a
     * round of small calls does. A transport's timer threads may allocate now and then whatever
     * the calls do, and are counted with the transport's threads: the shm watchdog's look for
     * dead processes every 200 ms took ~13 KB a time until it read /proc without allocating
     * (WatchdogAllocationTest in scif-transport-shm), and rounds of 20,000 such messages (2.6 GB)
     * took long enough for one look in every round, with native on a loaded machine. One
     * allocation per call still shows: 16 B x 500 is twice the bound.
     */
    private static final int LARGE_CALLS = 500;
    /** Rounds of {@link #CALLS} calls tried; see the class comment. */
    private static final int ROUNDS = 5;
    /**
     * A round ends after this long once it made {@link #MIN_CALLS} calls: calls that take a
     * millisecond on average (RMAs over tcp with epoll took that while a lost wake-up made
     * some wait seconds, docs/decisions.md) would otherwise make a round of 20 s or more, long
     * enough for the transport's timer threads to allocate in every round.
     */
    private static final long ROUND_NANOS = 1_000_000_000L;
    /** Calls a round makes at least: one allocation per call (16 B or more) is still 4x the bound. */
    private static final int MIN_CALLS = 1_000;

    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private final ByteBuffer out8 = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
    private final ByteBuffer in8 = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
    private final ByteBuffer direct = ByteBuffer.allocateDirect(SIZE);
    private final ByteBuffer outLarge = ByteBuffer.allocateDirect(LARGE_MESSAGE);
    private final ByteBuffer inLarge = ByteBuffer.allocateDirect(LARGE_MESSAGE);
    private ByteBuffer localFlags;
    private long localOffset;
    private long remoteOffset;
    private long localFlag;
    private long remoteFlag;
    private long signals;

    /** What one measured call does. */
    protected interface Call {
        void run(int i) throws ScifException;
    }

    @BeforeEach
    final void registerWindows() throws ScifException {
        localOffset = local.register(memory(node0, SIZE), 0, RW, 0);
        remoteOffset = remote.register(memory(node1, SIZE), 0, RW, 0);
        localFlags = memory(node0, PAGE);
        localFlag = local.register(localFlags, 0, RW, 0);
        remoteFlag = remote.register(memory(node1, PAGE), 0, RW, 0);
    }

    @Test
    void sendAndRecv() throws ScifException {
        assertAllocatesNothing("send + recv of 8 B", i -> sendAndReceive(out8, in8, i));
    }

    /**
     * A message of several frames: tcp writes them in one gathering write through views of the
     * caller's buffer, made once per buffer, and returns credit for them; neither may allocate.
     */
    @Test
    void sendAndRecvOfALargeMessage() throws ScifException {
        assertAllocatesNothing("send + recv of 128 KiB", LARGE_CALLS, i -> sendAndReceive(outLarge, inLarge, i));
    }

    /**
     * A poll that finds the message waiting, then its recv: a loop that polls the same items
     * (a server's, or {@code EndpointChannel.read}'s) allocates nothing per call.
     */
    @Test
    void sendPollAndRecv() throws ScifException {
        PollItem[] items = {new PollItem(remote, Scif.POLLIN)};
        assertAllocatesNothing("send + poll + recv of 8 B", i -> {
            out8.clear().putInt(0, i);
            local.send(out8, Scif.SEND_BLOCK);
            if (Scif.poll(items, -1) != 1 || items[0].revents() != Scif.POLLIN) {
                throw new AssertionError("poll reported " + items[0].revents() + " with a message waiting");
            }
            in8.clear();
            remote.recv(in8, Scif.RECV_BLOCK);
            if (in8.getInt(0) != i) {
                throw new AssertionError("received " + in8.getInt(0) + ", sent " + i);
            }
        });
    }

    /** Sends all of {@code out} stamped with {@code i}, receives as much into {@code in}, checks the stamp. */
    private void sendAndReceive(ByteBuffer out, ByteBuffer in, int i) throws ScifException {
        out.clear().putInt(0, i);
        local.send(out, Scif.SEND_BLOCK);
        in.clear();
        remote.recv(in, Scif.RECV_BLOCK);
        if (in.getInt(0) != i) {
            throw new AssertionError("received " + in.getInt(0) + ", sent " + i);
        }
    }

    @Test
    void cpuWriteToAndReadFrom() throws ScifException {
        assertAllocatesNothing("writeTo + readFrom with RMA_USECPU", i -> {
            local.writeTo(localOffset, SIZE, remoteOffset, Scif.RMA_USECPU);
            local.readFrom(localOffset, SIZE, remoteOffset, Scif.RMA_USECPU);
        });
    }

    @Test
    void syncWriteToAndReadFrom() throws ScifException {
        assertAllocatesNothing("writeTo + readFrom with RMA_SYNC", i -> {
            local.writeTo(localOffset, SIZE, remoteOffset, Scif.RMA_SYNC);
            local.readFrom(localOffset, SIZE, remoteOffset, Scif.RMA_SYNC);
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
    void writeToThenFenceMarkAndWait() throws ScifException {
        assertAllocatesNothing("writeTo (DMA) + fenceMark + fenceWait", i -> {
            local.writeTo(localOffset, SIZE, remoteOffset, 0);
            local.fenceWait(local.fenceMark(Scif.FENCE_INIT_SELF));
        });
    }

    @Test
    void peerFenceMarkAndWait() throws ScifException {
        assertAllocatesNothing("fenceMark(INIT_PEER) + fenceWait",
            i -> local.fenceWait(local.fenceMark(Scif.FENCE_INIT_PEER)));
    }

    @Test
    void writeToThenFenceSignal() throws ScifException {
        assertAllocatesNothing("writeTo (DMA) + fenceSignal, until the local value lands", i -> {
            local.writeTo(localOffset, SIZE, remoteOffset, 0);
            long value = ++signals;
            local.fenceSignal(localFlag, value, remoteFlag, value,
                Scif.FENCE_INIT_SELF | Scif.SIGNAL_LOCAL | Scif.SIGNAL_REMOTE);
            while ((long) LONGS.getAcquire(localFlags, 0) != value) {
                Thread.onSpinWait();
            }
        });
    }

    /** Runs {@code call} {@value #WARM_UP} times, then rounds of {@value #CALLS}: one must stay under the bound. */
    protected final void assertAllocatesNothing(String what, Call call) throws ScifException {
        assertAllocatesNothing(what, CALLS, call);
    }

    /** Runs {@code call} {@value #WARM_UP} times, then rounds of {@code calls}: one must stay under the bound. */
    private void assertAllocatesNothing(String what, int calls, Call call) throws ScifException {
        for (int i = 0; i < WARM_UP; i++) {
            call.run(i);
        }
        List<Thread> measured = measuredThreads();
        long[] ids = measured.stream().mapToLong(Thread::getId).toArray();
        StringBuilder rounds = new StringBuilder();
        for (int round = 0; round < ROUNDS; round++) {
            long[] before = threads.getThreadAllocatedBytes(ids);
            long start = System.nanoTime();
            int made = 0;
            while (made < calls && (made < MIN_CALLS || System.nanoTime() - start < ROUND_NANOS)) {
                call.run(made++);
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
            rounds.append("\n  ").append(bytes).append(" bytes in ").append(made).append(" calls (")
                .append((double) bytes / made).append(" B per call): ").append(each);
        }
        fail(fixture.transportName() + ", " + what + ": every round of calls (" + calls + ", or at least " + MIN_CALLS
            + " in " + ROUND_NANOS / 1_000_000 + " ms) allocated " + BOUND
            + " bytes or more on this thread and the transports':" + rounds);
    }

    /** This thread and the transports' threads. */
    private static List<Thread> measuredThreads() {
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
    void theCounterSeesAnAllocationPerCall() {
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
