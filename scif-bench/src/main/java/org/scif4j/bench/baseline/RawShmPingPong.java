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
import java.util.function.BooleanSupplier;
import org.HdrHistogram.Histogram;
import org.scif4j.bench.stats.LatencyStats;

/**
 * The physical floor of a cross-process round trip: two processes map one {@code /dev/shm}
 * file and bounce a sequence number through one cache-line flag each way, with VarHandle
 * release stores and acquire loads, busy-spinning. No scif4j code is involved.
 *
 * <p>Each spin that finds nothing executes a pause ({@link Thread#onSpinWait}): on the VM this
 * was measured on, that round trip was 10-20 ns shorter than one of plain loads (docs/decisions.md,
 * "Spinning with a pause"), and the floor is the fastest raw round trip known, not a slower one.
 *
 * <p>The one implementation of the floor of {@code scif bench} and {@code scif pingpong}: node
 * 0 {@link #create creates} the file before it starts its peer (node 1), the peer
 * {@link #map maps} it before it says it is ready, node 0 then {@link Flags#unlink unlinks} it
 * (so nothing is left behind however the run ends), and from then on the very two processes,
 * on the very cores, that measure scif4j's round trip measure the floor too, in rounds
 * interleaved with scif4j's: node 0 {@link #ping pings}, the peer {@link #pong pongs} on
 * command. The sequence numbers go on from round to round, so a stale flag never matches.
 */
public final class RawShmPingPong {
    /** The ping flag (node 0 to the peer): a long at the start of its own cache line. */
    static final int PING_OFFSET = 0;
    /** The pong flag (the peer to node 0), two cache lines further (no adjacent-line sharing). */
    static final int PONG_OFFSET = 128;
    /** Size of the shared file: one page. */
    static final int FILE_SIZE = 4096;
    /** The file name's prefix; the process id and a unique suffix follow. */
    public static final String PREFIX = "scif4j-bench-raw-";
    /** Node 0 checks that the peer still lives every this many spins (a power of two). */
    private static final int LIVENESS_CHECK_SPINS = 1 << 16;

    private static final VarHandle LONGS =
        MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

    private RawShmPingPong() {
    }

    /**
     * Node 0's side of the shared file.
     *
     * @param file   where it is, until unlinked
     * @param buffer its mapping
     */
    public record Flags(Path file, ByteBuffer buffer) implements AutoCloseable {
        /**
         * Removes the file; the mappings stay valid. Call once the peer has mapped it.
         *
         * @throws IOException when it cannot be removed
         */
        public void unlink() throws IOException {
            Files.deleteIfExists(file);
        }

        /** Removes the file if it is still there. */
        @Override
        public void close() throws IOException {
            unlink();
        }
    }

    /**
     * Creates and maps a new flag file.
     *
     * @param dir where, normally {@code /dev/shm}
     * @return the file and its mapping
     * @throws IOException when it cannot be created
     */
    public static Flags create(Path dir) throws IOException {
        Path file = dir.resolve(PREFIX + ProcessHandle.current().pid() + "-"
            + Long.toHexString(System.nanoTime()) + ".dat");
        file.toFile().deleteOnExit(); // Ctrl-C before the peer has mapped it
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return new Flags(file, ch.map(FileChannel.MapMode.READ_WRITE, 0, FILE_SIZE));
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
    }

    /**
     * The peer's side: maps a file {@link #create} made.
     *
     * @param file the file
     * @return its mapping
     * @throws IOException when it cannot be mapped
     */
    public static ByteBuffer map(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return ch.map(FileChannel.MapMode.READ_WRITE, 0, FILE_SIZE);
        }
    }

    /**
     * Node 0's side of one round: round trips {@code first} to {@code first + warmup + count - 1};
     * the last {@code count} are recorded.
     *
     * @param flags     the mapping
     * @param first     the first sequence number, at least 1 and above every earlier round's
     * @param warmup    round trips not recorded
     * @param count     round trips recorded
     * @param peerAlive checked now and then while waiting
     * @return the recorded round trips' latency
     * @throws IOException when the peer dies
     */
    public static LatencyStats ping(ByteBuffer flags, long first, long warmup, long count,
                                    BooleanSupplier peerAlive) throws IOException {
        return ping(flags, PING_OFFSET, flags, PONG_OFFSET, first, warmup, count, peerAlive);
    }

    /**
     * {@link #ping(ByteBuffer, long, long, long, BooleanSupplier)} with the two flags anywhere:
     * each ping stored at {@code out[outAt]}, each pong awaited at {@code in[inAt]}; the same
     * loop as the floor's, so that a round trip over other memory (a SCIF window mapped with
     * {@code mmap}, say) differs from the floor in the memory alone.
     *
     * @param out       where the pings go (8 bytes at {@code outAt}, native order)
     * @param outAt     the ping flag's index in {@code out}
     * @param in        where the pongs arrive
     * @param inAt      the pong flag's index in {@code in}
     * @param first     the first sequence number, at least 1 and above every earlier round's
     * @param warmup    round trips not recorded
     * @param count     round trips recorded
     * @param peerAlive checked now and then while waiting
     * @return the recorded round trips' latency
     * @throws IOException when the peer dies
     */
    public static LatencyStats ping(ByteBuffer out, int outAt, ByteBuffer in, int inAt, long first, long warmup,
                                    long count, BooleanSupplier peerAlive) throws IOException {
        Histogram h = LatencyStats.newHistogram();
        long end = first + warmup + count;
        long recordFrom = first + warmup;
        for (long i = first; i < end; i++) {
            long start = System.nanoTime();
            LONGS.setRelease(out, outAt, i);
            int spins = 0;
            while ((long) LONGS.getAcquire(in, inAt) != i) {
                if ((++spins & (LIVENESS_CHECK_SPINS - 1)) == 0 && !peerAlive.getAsBoolean()) {
                    throw new IOException("the peer died during raw round trip " + i);
                }
                Thread.onSpinWait();
            }
            long stop = System.nanoTime();
            if (i >= recordFrom) {
                LatencyStats.record(h, stop - start);
            }
        }
        return LatencyStats.of(h);
    }

    /**
     * The peer's side of one round: answers pings {@code first} to {@code first + total - 1}.
     *
     * @param flags the mapping
     * @param first the first sequence number node 0 sends
     * @param total how many
     */
    public static void pong(ByteBuffer flags, long first, long total) {
        pong(flags, PING_OFFSET, flags, PONG_OFFSET, first, total);
    }

    /**
     * {@link #pong(ByteBuffer, long, long)} with the two flags anywhere: each ping awaited at
     * {@code in[inAt]}, each pong stored at {@code out[outAt]}.
     *
     * @param in    where the pings arrive (8 bytes at {@code inAt}, native order)
     * @param inAt  the ping flag's index in {@code in}
     * @param out   where the pongs go
     * @param outAt the pong flag's index in {@code out}
     * @param first the first sequence number node 0 sends
     * @param total how many
     */
    public static void pong(ByteBuffer in, int inAt, ByteBuffer out, int outAt, long first, long total) {
        long end = first + total;
        for (long i = first; i < end; i++) {
            while ((long) LONGS.getAcquire(in, inAt) != i) {
                Thread.onSpinWait(); // the floor's spin: nothing else may add to it
            }
            LONGS.setRelease(out, outAt, i);
        }
    }
}
