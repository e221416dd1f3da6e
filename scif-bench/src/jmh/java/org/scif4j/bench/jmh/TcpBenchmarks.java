package org.scif4j.bench.jmh;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
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
import org.scif4j.bench.sweep.FabricUris;

/**
 * Single-call costs of the tcp transport's hot paths: two nodes of this JVM on free ports of
 * 127.0.0.1, one connected endpoint pair and a window on each side. The baselines ({@code
 * baseline*}) use no scif4j code: a pair of plain blocking NIO sockets on the same loopback.
 * {@code ./scif jmh Tcp -prof gc}; {@code gc.alloc.rate.norm} counts every thread of the JVM, the
 * transport's event loops included, and JMH's own: the calls allocate nothing once warm, and
 * what the figure keeps is time-based, so larger for a slower operation (docs/decisions.md,
 * "Allocation on the hot paths").
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED"})
public class TcpBenchmarks {
    private static final int RW = Scif.PROT_READ | Scif.PROT_WRITE;

    /** Two tcp nodes, a connected pair of endpoints and a window on each side. */
    @State(Scope.Benchmark)
    public static class Fabric {
        ScifNode host;
        ScifNode card;
        Endpoint a;
        Endpoint b;
        ScifMemory local;
        ScifMemory remote;
        long localOffset;
        long remoteOffset;
        final ByteBuffer out8 = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
        final ByteBuffer in8 = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            String fabric = FabricUris.defaultFabric("tcp", "jmh-tcp", 0);
            host = Scif.attach(FabricUris.withNode(fabric, 0));
            card = Scif.attach(FabricUris.withNode(fabric, 1));
            try (Endpoint listener = host.open()) {
                listener.bind(0);
                listener.listen(1);
                a = card.open();
                b = LocalPair.connect(a, listener);
            }
            local = card.allocate(64 << 10);
            remote = host.allocate(64 << 10);
            localOffset = a.register(local.buffer(), 0, RW, 0);
            remoteOffset = b.register(remote.buffer(), 0, RW, 0);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            local.close();
            remote.close();
            card.close();
            host.close();
        }
    }

    /** Two connected blocking NIO sockets on 127.0.0.1, and buffers of every size used. */
    @State(Scope.Benchmark)
    public static class Sockets {
        SocketChannel out;
        SocketChannel in;
        final ByteBuffer out8 = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
        final ByteBuffer in8 = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
        final ByteBuffer src = ByteBuffer.allocateDirect(64 << 10);
        final ByteBuffer dst = ByteBuffer.allocateDirect(64 << 10);

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            try (ServerSocketChannel server = ServerSocketChannel.open()) {
                server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                out = SocketChannel.open(server.getLocalAddress());
                in = server.accept();
            }
            out.setOption(StandardSocketOptions.TCP_NODELAY, true);
            in.setOption(StandardSocketOptions.TCP_NODELAY, true);
            out.configureBlocking(false);
            in.configureBlocking(false);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            out.close();
            in.close();
        }

        /** Writes {@code src} on one socket and reads as many bytes on the other, from this thread. */
        void transfer(ByteBuffer from, ByteBuffer to) throws IOException {
            while (to.hasRemaining()) {
                if (from.hasRemaining()) {
                    out.write(from);
                }
                in.read(to);
            }
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

    /** Baseline of sendRecv8: 8 B written on one loopback socket and read on the other. */
    @Benchmark
    public long baselineSocket8(Sockets s) throws IOException {
        s.out8.clear();
        s.in8.clear();
        s.transfer(s.out8, s.in8);
        return s.in8.getLong(0);
    }

    /** writeTo with RMA_SYNC: returns once the bytes are in the peer's window. */
    @Benchmark
    public void writeToSync(Fabric f, Size s) throws ScifException {
        f.a.writeTo(f.localOffset, s.size, f.remoteOffset, Scif.RMA_SYNC);
    }

    /** writeTo with flags 0, then a fence mark and wait over it. */
    @Benchmark
    public void writeToFenced(Fabric f, Size s) throws ScifException {
        f.a.writeTo(f.localOffset, s.size, f.remoteOffset, 0);
        f.a.fenceWait(f.a.fenceMark(Scif.FENCE_INIT_SELF));
    }

    /** readFrom with RMA_SYNC: returns once the peer's bytes are in the local window. */
    @Benchmark
    public void readFromSync(Fabric f, Size s) throws ScifException {
        f.a.readFrom(f.localOffset, s.size, f.remoteOffset, Scif.RMA_SYNC);
    }

    /** Baseline of the RMAs: as many bytes written on one loopback socket and read on the other. */
    @Benchmark
    public ByteBuffer baselineSocketCopy(Sockets k, Size s) throws IOException {
        k.src.clear().limit(s.size);
        k.dst.clear().limit(s.size);
        k.transfer(k.src, k.dst);
        return k.dst;
    }

    /** fenceMark and fenceWait with nothing outstanding. */
    @Benchmark
    public int fenceMarkWait(Fabric f) throws ScifException {
        int mark = f.a.fenceMark(Scif.FENCE_INIT_SELF);
        f.a.fenceWait(mark);
        return mark;
    }
}
