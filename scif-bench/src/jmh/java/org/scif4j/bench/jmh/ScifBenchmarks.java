package org.scif4j.bench.jmh;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.scif4j.Endpoint;
import org.scif4j.PollItem;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifMemory;
import org.scif4j.ScifNode;
import org.scif4j.bench.cli.LocalPair;

/**
 * Single-call costs of the shm transport's hot paths, each beside its baseline ({@code baseline*}
 * methods use no scif4j code). Two nodes of one fabric in this JVM, one connected endpoint pair;
 * {@code roundTrip8} has a fabric, a pair and an echo thread of its own.
 * Run with {@code ./scif jmh [regex] [JMH options]}; add {@code -prof gc} to see
 * {@code gc.alloc.rate.norm}, which should be 0 B/op for every SCIF method.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
    "-Dchronicle.analytics.disable=true", "-Dchronicle.announcer.disable=true",
    "-Djvm.resource.tracing=false", "-Dchronicle.disk.monitor.disable=true"})
public class ScifBenchmarks {
    private static final int RW = Scif.PROT_READ | Scif.PROT_WRITE;
    private static final VarHandle LONGS =
        MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

    /** Two nodes, a connected pair of endpoints and a window on each side. */
    @State(Scope.Benchmark)
    public static class Fabric {
        ScifNode host;
        ScifNode card;
        Endpoint a;
        Endpoint b;
        ScifMemory local;
        ScifMemory remote;
        ScifMemory spare;
        ByteBuffer spare64k;
        ByteBuffer local64k;
        ByteBuffer localWindow;
        ByteBuffer remoteWindow;
        ScifMemory localSignal;
        ByteBuffer localFlag;
        ScifMemory remoteSignal;
        long localOffset;
        long remoteOffset;
        long localSignalOffset;
        long remoteSignalOffset;
        long signals;
        final ByteBuffer out8 = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
        final ByteBuffer in8 = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
        final ByteBuffer flag = ByteBuffer.allocateDirect(128).order(ByteOrder.nativeOrder());

        @Setup(Level.Trial)
        public void setUp() throws ScifException {
            String name = "jmh-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
            host = Scif.attach("shm:" + name + "?node=0&dma=2&wait=spin");
            card = Scif.attach("shm:" + name + "?node=1&dma=2&wait=spin");
            Endpoint[] pair = connectedPair(host, card);
            a = pair[0];
            b = pair[1];
            local = card.allocate(1 << 20);
            remote = host.allocate(1 << 20);
            spare = card.allocate(64 << 10);
            spare64k = spare.buffer().duplicate();
            local64k = local.buffer().duplicate();
            localWindow = local.buffer().duplicate();
            remoteWindow = remote.buffer().duplicate();
            localOffset = a.register(local.buffer(), 0, RW, 0);
            remoteOffset = b.register(remote.buffer(), 0, RW, 0);
            localSignal = card.allocate(4096);
            localFlag = localSignal.buffer().order(ByteOrder.nativeOrder());
            remoteSignal = host.allocate(4096);
            localSignalOffset = a.register(localSignal.buffer(), 0, RW, 0);
            remoteSignalOffset = b.register(remoteSignal.buffer(), 0, RW, 0);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            spare.close();
            localSignal.close();
            remoteSignal.close();
            local.close();
            remote.close();
            card.close();
            host.close();
        }
    }

    /** @return an endpoint of {@code card} connected to one of {@code host}: [card's, host's] */
    static Endpoint[] connectedPair(ScifNode host, ScifNode card) throws ScifException {
        try (Endpoint listener = host.open()) {
            listener.bind(0);
            listener.listen(1);
            Endpoint c = card.open();
            return new Endpoint[] {c, LocalPair.connect(c, listener)};
        }
    }

    /** Transfer sizes of the RMA benchmarks. */
    @State(Scope.Thread)
    public static class Size {
        @Param({"4096", "16384", "65536", "1048576"})
        int size;
        ByteBuffer src;
        ByteBuffer dst;
        ByteBuffer heapSrc;
        ByteBuffer heapDst;

        @Setup(Level.Trial)
        public void setUp() {
            src = ByteBuffer.allocateDirect(size);
            dst = ByteBuffer.allocateDirect(size);
            heapSrc = ByteBuffer.allocate(size);
            heapDst = ByteBuffer.allocate(size);
        }
    }

    /** send 8 B on one endpoint, recv them on the other (one thread: the calls' own cost). */
    @Benchmark
    public long sendRecv8(Fabric f) throws ScifException {
        f.out8.clear();
        f.a.send(f.out8, Scif.SEND_BLOCK);
        f.in8.clear();
        f.b.recv(f.in8, Scif.RECV_BLOCK);
        return f.in8.getLong(0);
    }

    /** Baseline of sendRecv8: an 8-byte release store and acquire load in shared memory. */
    @Benchmark
    public long baselineFlag8(Fabric f) {
        LONGS.setRelease(f.flag, 0, f.flag.getLong(64) + 1);
        return (long) LONGS.getAcquire(f.flag, 0);
    }

    /** writeTo with the CPU (RMA_USECPU): synchronous. */
    @Benchmark
    public void writeToCpu(Fabric f, Size s) throws ScifException {
        f.a.writeTo(f.localOffset, s.size, f.remoteOffset, Scif.RMA_USECPU);
    }

    /** readFrom with the CPU (RMA_USECPU): synchronous. */
    @Benchmark
    public void readFromCpu(Fabric f, Size s) throws ScifException {
        f.a.readFrom(f.localOffset, s.size, f.remoteOffset, Scif.RMA_USECPU);
    }

    /** vwriteTo from a direct buffer with the CPU (RMA_USECPU): synchronous. */
    @Benchmark
    public void vwriteToCpu(Fabric f, Size s) throws ScifException {
        s.src.clear();
        f.a.vwriteTo(s.src, f.remoteOffset, Scif.RMA_USECPU);
    }

    /** vreadFrom into a direct buffer with the CPU (RMA_USECPU): synchronous. */
    @Benchmark
    public void vreadFromCpu(Fabric f, Size s) throws ScifException {
        s.dst.clear();
        f.a.vreadFrom(s.dst, f.remoteOffset, Scif.RMA_USECPU);
    }

    /** vwriteTo from a heap buffer (a byte[]) with the CPU (RMA_USECPU): synchronous. */
    @Benchmark
    public void vwriteToCpuHeap(Fabric f, Size s) throws ScifException {
        s.heapSrc.clear();
        f.a.vwriteTo(s.heapSrc, f.remoteOffset, Scif.RMA_USECPU);
    }

    /** vreadFrom into a heap buffer (a byte[]) with the CPU (RMA_USECPU): synchronous. */
    @Benchmark
    public void vreadFromCpuHeap(Fabric f, Size s) throws ScifException {
        s.heapDst.clear();
        f.a.vreadFrom(s.heapDst, f.remoteOffset, Scif.RMA_USECPU);
    }

    /**
     * send {@code size} bytes from a direct buffer on one endpoint, recv them into another on
     * the other (one thread, the ring's two copies in this core's cache: the calls' own cost).
     */
    @Benchmark
    public ByteBuffer sendRecvBulk(Fabric f, Size s) throws ScifException {
        return sendRecvBulk(f, s.src, s.dst);
    }

    /** {@link #sendRecvBulk} from and into heap buffers (byte[]). */
    @Benchmark
    public ByteBuffer sendRecvBulkHeap(Fabric f, Size s) throws ScifException {
        return sendRecvBulk(f, s.heapSrc, s.heapDst);
    }

    private static ByteBuffer sendRecvBulk(Fabric f, ByteBuffer src, ByteBuffer dst) throws ScifException {
        src.clear();
        f.a.send(src, Scif.SEND_BLOCK);
        dst.clear();
        while (dst.hasRemaining()) {
            f.b.recv(dst, Scif.RECV_BLOCK);
        }
        return dst;
    }

    /** writeTo through the DMA engine with RMA_SYNC: returns once the copy is complete. */
    @Benchmark
    public void writeToDmaSync(Fabric f, Size s) throws ScifException {
        f.a.writeTo(f.localOffset, s.size, f.remoteOffset, Scif.RMA_SYNC);
    }

    /** writeTo through the DMA engine, then a fence mark and wait over it. */
    @Benchmark
    public void writeToDmaFenced(Fabric f, Size s) throws ScifException {
        f.a.writeTo(f.localOffset, s.size, f.remoteOffset, 0);
        f.a.fenceWait(f.a.fenceMark(Scif.FENCE_INIT_SELF));
    }

    /**
     * writeTo through the DMA engine, then a fenceSignal over it that stores a new value on both
     * sides, and a spin until the local one has landed: the completion a poller sees.
     */
    @Benchmark
    public long writeToDmaSignalled(Fabric f, Size s) throws ScifException {
        f.a.writeTo(f.localOffset, s.size, f.remoteOffset, 0);
        return signalAndAwait(f);
    }

    private static long signalAndAwait(Fabric f) throws ScifException {
        long value = ++f.signals;
        f.a.fenceSignal(f.localSignalOffset, value, f.remoteSignalOffset, value,
            Scif.FENCE_INIT_SELF | Scif.SIGNAL_LOCAL | Scif.SIGNAL_REMOTE);
        while ((long) LONGS.getAcquire(f.localFlag, 0) != value) {
            Thread.onSpinWait();
        }
        return value;
    }

    /** Baseline of writeTo: a plain copy between direct buffers of the same size. */
    @Benchmark
    public ByteBuffer baselineMemcpy(Size s) {
        s.src.clear();
        s.dst.clear();
        return s.dst.put(s.src);
    }

    /**
     * Baseline of writeToCpu: the same bytes between the same two windows (the local one and
     * the peer's, both mapped here), copied by {@code ByteBuffer.put}, so the difference is the
     * call's own cost.
     */
    @Benchmark
    public ByteBuffer baselineWindowCopy(Fabric f, Size s) {
        ByteBuffer src = f.localWindow.clear().limit(s.size);
        return f.remoteWindow.clear().put(src);
    }

    /** fenceMark and fenceWait with nothing outstanding. */
    @Benchmark
    public int fenceMarkWait(Fabric f) throws ScifException {
        int mark = f.a.fenceMark(Scif.FENCE_INIT_SELF);
        f.a.fenceWait(mark);
        return mark;
    }

    /**
     * fenceSignal (local and remote value) with nothing outstanding, and a spin until the local
     * value has landed.
     */
    @Benchmark
    public long fenceSignal(Fabric f) throws ScifException {
        return signalAndAwait(f);
    }

    /** Baseline of fenceMarkWait and fenceSignal: a volatile read of a completion counter. */
    @Benchmark
    public long baselineVolatileRead(Fabric f) {
        return (long) LONGS.getVolatile(f.flag, 64);
    }

    /** register and unregister a 64 KiB window of ScifNode.allocate memory. */
    @Benchmark
    public long registerUnregister(Fabric f) throws ScifException {
        long off = f.a.register(f.spare.buffer(), 0, RW, 0);
        f.a.unregister(off, 64 << 10);
        return off;
    }

    /** Baseline of registerUnregister: a 64 KiB copy, the price scif4j's 10 µs register/unregister goal is set against. */
    @Benchmark
    public ByteBuffer baselineCopy64k(Fabric f) {
        ByteBuffer src = f.spare64k.clear();
        return f.local64k.clear().put(src);
    }

    /** A connected pair and an echo thread that answers every 8 bytes, waiting as the benchmark does. */
    @State(Scope.Benchmark)
    public static class Echo {
        @Param({"recv", "poll"})
        String wait;
        ScifNode host;
        ScifNode card;
        Endpoint mine;
        Endpoint theirs;
        Thread echo;
        boolean poll;
        final ByteBuffer out8 = ByteBuffer.allocateDirect(8);
        final ByteBuffer in8 = ByteBuffer.allocateDirect(8);
        PollItem[] items;

        @Setup(Level.Trial)
        public void setUp() throws ScifException {
            poll = wait.equals("poll");
            String name = "jmh-poll-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
            host = Scif.attach("shm:" + name + "?node=0");
            card = Scif.attach("shm:" + name + "?node=1");
            Endpoint[] pair = connectedPair(host, card);
            mine = pair[0];
            theirs = pair[1];
            items = new PollItem[] {new PollItem(mine, Scif.POLLIN)};
            echo = new Thread(this::answer, "jmh-echo");
            echo.setDaemon(true);
            echo.start();
        }

        /** Answers until the benchmark closes its endpoint (the wait then ends with POLLHUP or ECONNRESET). */
        private void answer() {
            ByteBuffer b = ByteBuffer.allocateDirect(8);
            PollItem[] theirItems = {new PollItem(theirs, Scif.POLLIN)};
            try {
                while (true) {
                    if (poll) {
                        Scif.poll(theirItems, -1);
                    }
                    b.clear();
                    if (theirs.recv(b, Scif.RECV_BLOCK) < 8) {
                        return;
                    }
                    b.flip();
                    theirs.send(b, Scif.SEND_BLOCK);
                }
            } catch (ScifException e) {
                // the benchmark's side closed: done
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() throws InterruptedException {
            mine.close();
            echo.join(10_000);
            theirs.close();
            card.close();
            host.close();
        }
    }

    /**
     * An 8-byte round trip between this thread and an echo thread (default adaptive wait), each
     * waiting in a blocking recv or in {@code Scif.poll} then recv, as a poll(2)-style server and
     * {@code EndpointChannel.read} do: a poll that costs a system call per message shows here as
     * microseconds against the recv round trip's hundreds of nanoseconds.
     */
    @Benchmark
    public long roundTrip8(Echo e) throws ScifException {
        e.out8.clear();
        e.mine.send(e.out8, Scif.SEND_BLOCK);
        if (e.poll) {
            Scif.poll(e.items, -1);
        }
        e.in8.clear();
        e.mine.recv(e.in8, Scif.RECV_BLOCK);
        return e.in8.getLong(0);
    }
}
