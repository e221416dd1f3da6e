package org.scif4j.bench.jmh;

import java.nio.ByteBuffer;
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
import org.scif4j.ScifNode;
import org.scif4j.bench.cli.LocalPair;

/**
 * An 8-byte round trip between two threads of this JVM (two nodes of one shm fabric, the
 * default adaptive wait), each side waiting for the answer either in a blocking {@code recv}
 * or in {@code Scif.poll} before a {@code recv}, as a poll(2)-style server and
 * {@code EndpointChannel.read} do. A poll that costs a system call per message (one that is
 * counted as a sleeper while it spins makes every send to it ring the doorbell) shows here as
 * microseconds against the recv round trip's hundreds of nanoseconds. Run with
 * {@code ./scif jmh PollBenchmarks}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
    "-Dchronicle.analytics.disable=true", "-Dchronicle.announcer.disable=true",
    "-Djvm.resource.tracing=false", "-Dchronicle.disk.monitor.disable=true"})
public class PollBenchmarks {
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
            try (Endpoint listener = host.open()) {
                listener.bind(0);
                listener.listen(1);
                mine = card.open();
                theirs = LocalPair.connect(mine, listener);
            }
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

    /** Sends 8 bytes and waits for their echo, in recv or in poll then recv. */
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
