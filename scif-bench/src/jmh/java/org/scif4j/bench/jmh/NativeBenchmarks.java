package org.scif4j.bench.jmh;

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
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifMemory;
import org.scif4j.ScifNode;
import org.scif4j.bench.cli.LocalPair;

/**
 * Single-call costs of the native transport's data path over scif4j's libscif (JNA and the
 * library together): a native node with a connected pair of its own endpoints and a window on
 * each. Compare with {@link ScifBenchmarks}' methods of the same name (the shm transport):
 * {@code ./scif jmh 'sendRecv8|writeToCpu' -prof gc}; {@code gc.alloc.rate.norm} should be
 * 0 B/op here too.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED"})
public class NativeBenchmarks {
    private static final int RW = Scif.PROT_READ | Scif.PROT_WRITE;

    /** A native node, a connected pair of its endpoints and a window on each side. */
    @State(Scope.Benchmark)
    public static class Fabric {
        ScifNode node;
        Endpoint a;
        Endpoint b;
        ScifMemory local;
        ScifMemory remote;
        long localOffset;
        long remoteOffset;
        final ByteBuffer out8 = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
        final ByteBuffer in8 = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());

        @Setup(Level.Trial)
        public void setUp() throws ScifException {
            String name = "jmh-native-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
            node = Scif.attach("native:?lib=emulated&fabric=" + name + "&node=1&wait=spin");
            try (Endpoint listener = node.open()) {
                listener.bind(0);
                listener.listen(1);
                a = node.open();
                b = LocalPair.connect(a, listener);
            }
            local = node.allocate(1 << 20);
            remote = node.allocate(1 << 20);
            localOffset = a.register(local.buffer(), 0, RW, 0);
            remoteOffset = b.register(remote.buffer(), 0, RW, 0);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            local.close();
            remote.close();
            node.close();
        }
    }

    /** Transfer sizes of the RMA benchmarks. */
    @State(Scope.Thread)
    public static class Size {
        @Param({"4096", "65536"})
        int size;
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

    /** writeTo with flags 0 (the library's DMA path), then a fence mark and wait over it. */
    @Benchmark
    public void writeToFenced(Fabric f, Size s) throws ScifException {
        f.a.writeTo(f.localOffset, s.size, f.remoteOffset, 0);
        f.a.fenceWait(f.a.fenceMark(Scif.FENCE_INIT_SELF));
    }

    /** fenceMark and fenceWait with nothing outstanding. */
    @Benchmark
    public int fenceMarkWait(Fabric f) throws ScifException {
        int mark = f.a.fenceMark(Scif.FENCE_INIT_SELF);
        f.a.fenceWait(mark);
        return mark;
    }
}
