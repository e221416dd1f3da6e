package org.scif4j.bench.baseline;

import io.aeron.Aeron;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.FragmentHandler;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.scif4j.bench.process.ChildJvm;
import org.scif4j.bench.process.ParentWatch;
import org.scif4j.bench.stats.LatencyStats;

/**
 * The peer a Java user would otherwise pick (PERF.md): Aeron IPC with an embedded media driver,
 * in a JVM of its own (the only one that gets Aeron's {@code --add-exports}). Two threads: an
 * 8-byte ping-pong (HdrHistogram) and one-way throughput by message size with the receiver
 * copying each message out. No scif4j code is involved.
 *
 * <p>Started by {@code scif bench --peers aeron}; prints {@code READY}, then one line per result:
 * {@code rtt COUNT P50 P90 P99 P999 MAX}, {@code gbps SIZE GBPS}, {@code rate SIZE MSG_PER_S}.
 */
public final class AeronIpc {
    /** Aeron's flag on Java 17 (PERF.md); only this child JVM gets it. */
    public static final List<String> JVM_FLAGS =
        List.of("--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED");
    /** The largest message measured: IPC's default term (64 MiB) allows 8 MiB. */
    public static final long MAX_MESSAGE = 8L << 20;
    private static final String CHANNEL = "aeron:ipc";
    private static final int PING = 1001;
    private static final int PONG = 1002;
    private static final int DATA = 1003;

    private AeronIpc() {
    }

    /**
     * @param args aeron directory, warm-up round trips, round trips, bytes per size, repetitions,
     *             then the message sizes
     */
    @SuppressWarnings("try") // the shutdown hook closes the resources early on Ctrl-C
    public static void main(String[] args) {
        if (args.length < 5) {
            System.err.println("usage: AeronIpc DIR WARMUP ROUND-TRIPS BYTES REPS SIZE... (started by scif bench)");
            System.exit(2);
        }
        ParentWatch.exitWhenOrphaned();
        String dir = args[0];
        long warmup = Long.parseLong(args[1]);
        long roundTrips = Long.parseLong(args[2]);
        long bytes = Long.parseLong(args[3]);
        int reps = Integer.parseInt(args[4]);
        List<Integer> sizes = new ArrayList<>();
        for (int i = 5; i < args.length; i++) {
            sizes.add(Integer.parseInt(args[i]));
        }
        MediaDriver.Context driverContext = new MediaDriver.Context().aeronDirectoryName(dir)
            .threadingMode(ThreadingMode.SHARED).sharedIdleStrategy(new SleepingMillisIdleStrategy(1))
            .dirDeleteOnStart(true).dirDeleteOnShutdown(true);
        try (MediaDriver driver = MediaDriver.launch(driverContext);
             Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(dir))) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                aeron.close();
                driver.close();
            }));
            System.out.println(ChildJvm.READY);
            LatencyStats rtt = pingPong(aeron, warmup, roundTrips);
            System.out.printf(Locale.ROOT, "rtt %d %d %d %d %d %d%n", rtt.count(), rtt.median(),
                rtt.p90(), rtt.p99(), rtt.p999(), rtt.max());
            for (int size : sizes) {
                double[] r = throughput(aeron, size, bytes, reps);
                System.out.printf(Locale.ROOT, "gbps %d %.6f%n", size, r[0]);
                System.out.printf(Locale.ROOT, "rate %d %.1f%n", size, r[1]);
            }
            System.out.flush();
        }
        System.exit(0);
    }

    private static LatencyStats pingPong(Aeron aeron, long warmup, long roundTrips) {
        Histogram h = LatencyStats.newHistogram();
        long total = warmup + roundTrips;
        try (Publication ping = aeron.addPublication(CHANNEL, PING);
             Subscription pingIn = aeron.addSubscription(CHANNEL, PING);
             Publication pong = aeron.addPublication(CHANNEL, PONG);
             Subscription pongIn = aeron.addSubscription(CHANNEL, PONG)) {
            awaitConnected(ping, pong);
            UnsafeBuffer echoBuffer = new UnsafeBuffer(ByteBuffer.allocateDirect(64));
            FragmentHandler echo = (buffer, offset, length, header) -> {
                echoBuffer.putBytes(0, buffer, offset, length);
                while (pong.offer(echoBuffer, 0, length) < 0) {
                    Thread.onSpinWait();
                }
            };
            Thread echoer = new Thread(() -> {
                long n = 0;
                while (n < total) {
                    n += pingIn.poll(echo, 16);
                }
            }, "aeron-echo");
            echoer.start();
            UnsafeBuffer out = new UnsafeBuffer(ByteBuffer.allocateDirect(64));
            long[] got = new long[1];
            FragmentHandler back = (buffer, offset, length, header) -> got[0] = buffer.getLong(offset);
            for (long i = 1; i <= total; i++) {
                out.putLong(0, i);
                long start = System.nanoTime();
                while (ping.offer(out, 0, 8) < 0) {
                    Thread.onSpinWait();
                }
                while (got[0] != i) {
                    pongIn.poll(back, 1);
                }
                long end = System.nanoTime();
                if (i > warmup) {
                    LatencyStats.record(h, end - start);
                }
            }
            join(echoer);
        }
        return LatencyStats.of(h);
    }

    /** @return {GB/s, messages per second}, medians of the measured repetitions */
    private static double[] throughput(Aeron aeron, int size, long bytes, int reps) {
        long messages = Math.max(16, bytes / size);
        double[] gbs = new double[reps];
        double[] rates = new double[reps];
        try (Publication pub = aeron.addPublication(CHANNEL, DATA);
             Subscription sub = aeron.addSubscription(CHANNEL, DATA)) {
            awaitConnected(pub);
            UnsafeBuffer src = new UnsafeBuffer(ByteBuffer.allocateDirect(size));
            UnsafeBuffer dst = new UnsafeBuffer(ByteBuffer.allocateDirect(size));
            long[] received = new long[1];
            FragmentAssembler copyOut = new FragmentAssembler((buffer, offset, length, header) -> {
                dst.putBytes(0, buffer, offset, length); // the receiver copies out
                received[0]++;
            });
            for (int r = -1; r < reps; r++) {
                received[0] = 0;
                AtomicBoolean failed = new AtomicBoolean();
                Thread sender = new Thread(() -> {
                    for (long i = 0; i < messages; i++) {
                        long result;
                        while ((result = pub.offer(src, 0, size)) < 0) {
                            if (result == Publication.CLOSED || result == Publication.MAX_POSITION_EXCEEDED) {
                                failed.set(true);
                                return;
                            }
                            Thread.onSpinWait();
                        }
                    }
                }, "aeron-sender");
                long start = System.nanoTime();
                sender.start();
                while (received[0] < messages && !failed.get()) {
                    if (sub.poll(copyOut, 64) == 0) {
                        Thread.onSpinWait();
                    }
                }
                long elapsed = System.nanoTime() - start;
                join(sender);
                if (r >= 0) {
                    gbs[r] = (double) messages * size / elapsed;
                    rates[r] = messages * 1e9 / elapsed;
                }
            }
        }
        Arrays.sort(gbs);
        Arrays.sort(rates);
        return new double[] {gbs[reps / 2], rates[reps / 2]};
    }

    private static void awaitConnected(Publication... pubs) {
        for (Publication p : pubs) {
            while (!p.isConnected()) {
                Thread.onSpinWait();
            }
        }
    }

    private static void join(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
