package org.scif4j.bench.baseline;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.scif4j.bench.process.ChildJvm;
import org.scif4j.bench.process.ParentWatch;
import org.scif4j.bench.stats.LatencyStats;

/**
 * The physical floor of a cross-process round trip (PERF.md): two processes map one
 * {@code /dev/shm} file and bounce a sequence number through one cache-line flag each way,
 * with VarHandle release stores and acquire loads, busy-spinning. No scif4j code is involved.
 *
 * <p>The parent (this class's {@link #run}) writes round trip {@code i} into the ping flag and
 * spins until the child has copied it into the pong flag; the child is this class's
 * {@link #main}. The file is unlinked as soon as the child has mapped it, so nothing is left
 * behind however the run ends.
 */
public final class RawShmPingPong {
    /** The ping flag (parent to child): a long at the start of its own cache line. */
    static final int PING_OFFSET = 0;
    /** The pong flag (child to parent), two cache lines further (no adjacent-line sharing). */
    static final int PONG_OFFSET = 128;
    /** Size of the shared file: one page. */
    static final int FILE_SIZE = 4096;
    /** The parent checks that the child still lives every this many spins (a power of two). */
    private static final int LIVENESS_CHECK_SPINS = 1 << 16;

    private static final VarHandle LONGS =
        MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

    private final Path dir;
    private final List<String> childPrefix;

    /**
     * @param dir         where the shared file is created, normally {@code /dev/shm}
     * @param childPrefix commands before the child's java, e.g. {@code taskset -c 1}
     */
    public RawShmPingPong(Path dir, List<String> childPrefix) {
        this.dir = dir;
        this.childPrefix = List.copyOf(childPrefix);
    }

    /**
     * Runs {@code warmup} unrecorded round trips, then {@code roundTrips} recorded ones.
     *
     * @param warmup     round trips before recording
     * @param roundTrips recorded round trips
     * @return their latency percentiles
     * @throws IOException when the file or the child fails
     */
    public LatencyStats run(long warmup, long roundTrips) throws IOException {
        long total = warmup + roundTrips;
        Path file = dir.resolve("scif4j-bench-raw-" + ProcessHandle.current().pid() + "-"
            + Long.toHexString(System.nanoTime()) + ".dat");
        file.toFile().deleteOnExit(); // Ctrl-C before the child has mapped it
        ByteBuffer flags;
        try {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                flags = ch.map(FileChannel.MapMode.READ_WRITE, 0, FILE_SIZE);
            }
            try (ChildJvm child = ChildJvm.start("raw ping-pong peer", childPrefix,
                    RawShmPingPong.class, List.of(file.toString(), Long.toString(total)))) {
                child.awaitReady(60);
                Files.deleteIfExists(file); // both sides have it mapped now
                Histogram h = LatencyStats.newHistogram();
                pingLoop(flags, warmup, total, h, child);
                int code = child.awaitExit(30);
                if (code != 0) {
                    throw new IOException(child.describe());
                }
                return LatencyStats.of(h);
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static void pingLoop(ByteBuffer flags, long warmup, long total, Histogram h,
                                 ChildJvm child) throws IOException {
        for (long i = 1; i <= total; i++) {
            long start = System.nanoTime();
            LONGS.setRelease(flags, PING_OFFSET, i);
            int spins = 0;
            while ((long) LONGS.getAcquire(flags, PONG_OFFSET) != i) {
                if ((++spins & (LIVENESS_CHECK_SPINS - 1)) == 0 && !child.isAlive()) {
                    throw new IOException(child.describe() + " during round trip " + i);
                }
            }
            long end = System.nanoTime();
            if (i > warmup) {
                LatencyStats.record(h, end - start);
            }
        }
    }

    /**
     * The child side: maps the file, prints {@code READY}, answers {@code total} pings.
     *
     * @param args the shared file and the number of round trips
     * @throws IOException if the file cannot be mapped
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: RawShmPingPong FILE ROUND-TRIPS (started by scif pingpong)");
            System.exit(2);
        }
        ParentWatch.exitWhenOrphaned();
        Path file = Path.of(args[0]);
        long total = Long.parseLong(args[1]);
        ByteBuffer flags;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            flags = ch.map(FileChannel.MapMode.READ_WRITE, 0, FILE_SIZE);
        }
        System.out.println(ChildJvm.READY);
        System.out.flush();
        pongLoop(flags, total);
        System.exit(0);
    }

    private static void pongLoop(ByteBuffer flags, long total) {
        for (long i = 1; i <= total; i++) {
            while ((long) LONGS.getAcquire(flags, PING_OFFSET) != i) {
                // busy-spin: this is the floor, nothing may add to it
            }
            LONGS.setRelease(flags, PONG_OFFSET, i);
        }
    }
}
