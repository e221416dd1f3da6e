package org.scif4j.bench.jmh;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.CompilerControl;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The price of one Java-to-C crossing through JNA's direct mapping ({@code Native.register}),
 * the mechanism the native transport's data path uses, measured on C functions that do almost
 * nothing: what is left is the crossing itself. Each side of a native round trip holds one such
 * crossing on its critical path (its recv returns to Java, its send enters C again), so twice
 * this figure is the least a JNA bridge can add to a round trip, whatever the library does.
 * Compare with {@link NativeBenchmarks#sendRecv8} and {@link ScifBenchmarks#sendRecv8}:
 * {@code ./scif jmh 'JnaCrossing|sendRecv8'}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class JnaCrossingBenchmarks {
    /** libc functions bound by direct mapping, exactly as the transport binds libscif. */
    static final class LibC {
        static {
            Native.register(LibC.class, Platform.C_LIBRARY_NAME);
        }

        private LibC() {
        }

        static native int getpagesize();

        static native long labs(long value);
    }

    long argument = -4096;

    /** A direct-mapped call with no argument: the crossing alone. */
    @Benchmark
    public int jnaNoArgument() {
        return LibC.getpagesize();
    }

    /** A direct-mapped call with one {@code long}, as a call taking a handle or an address. */
    @Benchmark
    public long jnaOneLong() {
        return LibC.labs(argument);
    }

    /** Baseline: a Java call the JIT may not inline, doing the same work. */
    @Benchmark
    public long javaNotInlined() {
        return javaAbs(argument);
    }

    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    private static long javaAbs(long value) {
        return Math.abs(value);
    }
}
