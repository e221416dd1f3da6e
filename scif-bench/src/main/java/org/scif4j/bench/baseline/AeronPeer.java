package org.scif4j.bench.baseline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.scif4j.bench.process.ChildJvm;
import org.scif4j.bench.stats.LatencyStats;

/**
 * This side of {@link AeronIpc}: starts it in a JVM of its own and asks it for one round of
 * round trips or of streaming at a time, so that Aeron's rounds interleave with scif4j's.
 * Closing it ends the child and removes its directory.
 */
public final class AeronPeer implements AutoCloseable {
    private static final long ANSWER_TIMEOUT_SECONDS = 120;

    private final Path dir;
    private final ChildJvm child;
    private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
    private final Thread cleanup;

    /**
     * Starts the child and waits until it is ready.
     *
     * @param dir the Aeron directory, e.g. /dev/shm/scif4j-bench-aeron-PID; removed by {@link #close}
     * @throws IOException when the child cannot start
     */
    public AeronPeer(Path dir) throws IOException {
        this.dir = dir;
        cleanup = new Thread(this::deleteDir, "scif-bench-aeron-dir");
        Runtime.getRuntime().addShutdownHook(cleanup);
        ChildJvm c = null;
        try {
            c = ChildJvm.start("aeron peer", List.of(), AeronIpc.JVM_FLAGS, AeronIpc.class,
                List.of(dir.toString()), answers::add);
            c.awaitReady(60);
        } catch (IOException | RuntimeException e) {
            if (c != null) {
                c.close();
            }
            deleteDir();
            throw e;
        }
        child = c;
    }

    /**
     * One round of 8-byte round trips.
     *
     * @param warmup round trips before recording
     * @param count  recorded round trips
     * @return their latency
     * @throws IOException when the child fails
     */
    public LatencyStats roundTrips(long warmup, long count) throws IOException {
        String[] f = ask("rtt " + warmup + " " + count, "rtt");
        return new LatencyStats(Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]),
            Long.parseLong(f[4]), Long.parseLong(f[5]), Long.parseLong(f[6]));
    }

    /**
     * Pins the child's two measuring threads from now on, as scif4j's two processes are
     * pinned: the pinging and receiving thread to {@code near}, the echoing and sending one to
     * {@code far}.
     *
     * @param near the cpu of the side that pings and receives
     * @param far  the cpu of the side that echoes and sends
     * @throws IOException when the child fails
     */
    public void pin(int near, int far) throws IOException {
        ask("pin " + near + " " + far, "pinned");
    }

    /**
     * One batch of one-way streaming.
     *
     * @param size     bytes per message, at most {@link AeronIpc#MAX_MESSAGE}
     * @param messages messages
     * @return {GB/s, messages per second} on the receiver
     * @throws IOException when the child fails
     */
    public double[] stream(long size, long messages) throws IOException {
        String[] f = ask("stream " + size + " " + messages, "gbps");
        return new double[] {Double.parseDouble(f[2]), Double.parseDouble(f[3])};
    }

    private String[] ask(String command, String answer) throws IOException {
        child.println(command);
        String line;
        try {
            line = answers.poll(ANSWER_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the aeron peer", e);
        }
        if (line == null) {
            throw new IOException(child.describe() + ": no answer to '" + command + "' within "
                + ANSWER_TIMEOUT_SECONDS + " s");
        }
        String[] f = line.trim().split("\\s+");
        if (!f[0].equals(answer)) {
            throw new IOException("the aeron peer answered '" + line + "' to '" + command + "'");
        }
        return f;
    }

    /** Ends the child (end of its stdin, then destroyed if need be) and removes its directory. */
    @Override
    public void close() {
        child.closeStdin();
        if (!child.hasExited(10)) {
            child.close();
        }
        deleteDir();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException e) {
            // shutting down: the hook runs anyway
        }
    }

    private void deleteDir() {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.err.println("scif bench: cannot remove " + dir + ": " + e.getMessage());
        }
    }
}
