package org.scif4j.bench.baseline;

import io.aeron.Aeron;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.FragmentHandler;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.scif4j.bench.process.ChildJvm;
import org.scif4j.bench.process.ThreadPinning;
import org.scif4j.bench.stats.LatencyStats;

/**
 * The peer a Java user would otherwise pick: Aeron IPC with an embedded media driver, in a JVM
 * of its own (the only one that gets Aeron's {@code --add-exports}), driven line by line through
 * its stdin ({@link AeronPeer} is the other end) so that its rounds interleave with scif4j's.
 * No scif4j code is involved.
 *
 * <p>Prints {@code READY}, then answers each command with one line: {@code rtt WARMUP COUNT}
 * (an 8-byte ping-pong between two threads, HdrHistogram) with
 * {@code rtt COUNT P50 P90 P99 P999 MAX}; {@code stream SIZE MESSAGES} (one-way, the receiver
 * copying each message out) with {@code gbps SIZE GBPS MSG_PER_S}; {@code pin NEAR FAR} (the
 * pinging or receiving thread to cpu NEAR, the echoing or sending one to FAR, from then on, as
 * scif4j's two processes are pinned) with {@code pinned NEAR FAR}. Exits at the end of stdin
 * (which is also what happens when the parent dies).
 */
public final class AeronIpc {
    /** Aeron's flag on Java 17; only this child JVM gets it. */
    public static final List<String> JVM_FLAGS =
        List.of("--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED");
    /** The largest message measured: IPC's default term (64 MiB) allows 8 MiB. */
    public static final long MAX_MESSAGE = 8L << 20;
    private static final String CHANNEL = "aeron:ipc";
    private static final int PING = 1001;
    private static final int PONG = 1002;
    private static final int DATA = 1003;

    private final Publication ping;
    private final Subscription pingIn;
    private final Publication pong;
    private final Subscription pongIn;
    private final Publication data;
    private final Subscription dataIn;
    private final UnsafeBuffer src = new UnsafeBuffer(ByteBuffer.allocateDirect((int) MAX_MESSAGE));
    private final UnsafeBuffer dst = new UnsafeBuffer(ByteBuffer.allocateDirect((int) MAX_MESSAGE));
    private long sequence;
    /** The cpu of the echoing or sending thread; -1: not pinned (the main thread pings and receives). */
    private int farCpu = -1;

    private AeronIpc(Aeron aeron) {
        ping = aeron.addPublication(CHANNEL, PING);
        pingIn = aeron.addSubscription(CHANNEL, PING);
        pong = aeron.addPublication(CHANNEL, PONG);
        pongIn = aeron.addSubscription(CHANNEL, PONG);
        data = aeron.addPublication(CHANNEL, DATA);
        dataIn = aeron.addSubscription(CHANNEL, DATA);
        awaitConnected(ping, pong, data);
    }

    /**
     * @param args the aeron directory
     * @throws IOException when stdin fails
     */
    @SuppressWarnings("try") // the shutdown hook closes the resources early on Ctrl-C
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: AeronIpc DIR (started by scif bench, commands on stdin)");
            System.exit(2);
        }
        MediaDriver.Context driverContext = new MediaDriver.Context().aeronDirectoryName(args[0])
            .threadingMode(ThreadingMode.SHARED).sharedIdleStrategy(new SleepingMillisIdleStrategy(1))
            .dirDeleteOnStart(true).dirDeleteOnShutdown(true);
        try (MediaDriver driver = MediaDriver.launch(driverContext);
             Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(args[0]))) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                aeron.close();
                driver.close();
            }));
            AeronIpc ipc = new AeronIpc(aeron);
            System.out.println(ChildJvm.READY);
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                System.out.println(ipc.serve(line.trim().split("\\s+")));
                System.out.flush();
            }
        }
        System.exit(0);
    }

    private String serve(String[] c) {
        switch (c[0]) {
            case "rtt" -> {
                LatencyStats s = pingPong(Long.parseLong(c[1]), Long.parseLong(c[2]));
                return String.format(Locale.ROOT, "rtt %d %d %d %d %d %d", s.count(), s.median(), s.p90(), s.p99(),
                    s.p999(), s.max());
            }
            case "pin" -> {
                int near = Integer.parseInt(c[1]);
                int far = Integer.parseInt(c[2]);
                try {
                    // far first: a cpu the kernel refuses fails this command, not a measuring thread
                    ThreadPinning.pinCurrentThread(far);
                    ThreadPinning.pinCurrentThread(near); // this thread pings and receives
                } catch (IllegalStateException e) {
                    return "error " + e.getMessage();
                }
                farCpu = far;
                return "pinned " + near + " " + far;
            }
            case "stream" -> {
                int size = Integer.parseInt(c[1]);
                long messages = Long.parseLong(c[2]);
                double seconds = stream(size, messages) / 1e9;
                return String.format(Locale.ROOT, "gbps %d %.6f %.1f", size, messages * size / seconds / 1e9,
                    messages / seconds);
            }
            default -> {
                return "error unknown command " + c[0];
            }
        }
    }

    private LatencyStats pingPong(long warmup, long roundTrips) {
        Histogram h = LatencyStats.newHistogram();
        long total = warmup + roundTrips;
        UnsafeBuffer echoBuffer = new UnsafeBuffer(ByteBuffer.allocateDirect(64));
        FragmentHandler echo = (buffer, offset, length, header) -> {
            echoBuffer.putBytes(0, buffer, offset, length);
            while (pong.offer(echoBuffer, 0, length) < 0) {
                Thread.onSpinWait();
            }
        };
        Thread echoer = new Thread(() -> {
            ThreadPinning.pinCurrentThread(farCpu);
            long n = 0;
            while (n < total) {
                n += pingIn.poll(echo, 16);
            }
        }, "aeron-echo");
        echoer.start();
        UnsafeBuffer out = new UnsafeBuffer(ByteBuffer.allocateDirect(64));
        long[] got = new long[1];
        FragmentHandler back = (buffer, offset, length, header) -> got[0] = buffer.getLong(offset);
        long first = sequence + 1;
        for (long i = first; i < first + total; i++) {
            out.putLong(0, i);
            long start = System.nanoTime();
            while (ping.offer(out, 0, 8) < 0) {
                Thread.onSpinWait();
            }
            while (got[0] != i) {
                pongIn.poll(back, 1);
            }
            long end = System.nanoTime();
            if (i >= first + warmup) {
                LatencyStats.record(h, end - start);
            }
        }
        sequence = first + total - 1;
        join(echoer);
        return LatencyStats.of(h);
    }

    /** @return nanoseconds from the sender's start to the last message copied out */
    private long stream(int size, long messages) {
        long[] received = new long[1];
        FragmentAssembler copyOut = new FragmentAssembler((buffer, offset, length, header) -> {
            dst.putBytes(0, buffer, offset, length); // the receiver copies out
            received[0]++;
        });
        AtomicBoolean failed = new AtomicBoolean();
        Thread sender = new Thread(() -> {
            ThreadPinning.pinCurrentThread(farCpu);
            for (long i = 0; i < messages; i++) {
                long result;
                while ((result = data.offer(src, 0, size)) < 0) {
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
            if (dataIn.poll(copyOut, 64) == 0) {
                Thread.onSpinWait();
            }
        }
        long elapsed = System.nanoTime() - start;
        join(sender);
        if (failed.get()) {
            throw new IllegalStateException("the Aeron publication closed or reached its maximum position");
        }
        return elapsed;
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
