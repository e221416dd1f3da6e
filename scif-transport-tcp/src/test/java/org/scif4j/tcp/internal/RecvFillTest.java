package org.scif4j.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;
import org.scif4j.tcp.conformance.TcpFixture;

/**
 * DATA goes straight into the buffer of a recv that waits for it (FlowControl.fillWhileWaiting):
 * the stream stays whole and in order on many connections at once, whoever reads the link
 * (recvs below 64 KiB read it themselves, longer ones leave it to the event loop), also for
 * recvs longer than the whole window (the credit then goes back while the recv waits); and a
 * recv's buffer is never written once the recv returned or threw, however it ended.
 */
@Timeout(120)
class RecvFillTest {
    /** A small window: recvs of up to 5 windows wait while DATA fills them. */
    private static final int RING = 64 << 10;
    private static final int CONNECTIONS = 4;
    private static final int STREAM_BYTES = 3 << 20;
    private static final int MAX_CHUNK = 5 * RING;

    private final TcpFixture fabric = new TcpFixture();
    private ScifNode node0;
    private ScifNode node1;
    private Endpoint listener;
    private final List<Endpoint> opened = new ArrayList<>();

    @BeforeEach
    void attach() throws Exception {
        String options = "ring=" + RING + "&timeout=30000";
        node0 = Scif.attach(fabric.fabricUri(0, options));
        node1 = Scif.attach(fabric.fabricUri(1, options));
        listener = Honest.listener(node0, 3021);
    }

    @AfterEach
    void close() throws Exception {
        for (Endpoint e : opened) {
            e.close();
        }
        for (AutoCloseable c : new AutoCloseable[] {listener, node1, node0}) {
            if (c != null) {
                c.close();
            }
        }
        fabric.assertNoLeftovers();
    }

    /** @return node 1's end (the sender) and node 0's (the receiver) of a new connection */
    private Endpoint[] connect() throws Exception {
        Endpoint[] pair = Honest.connect(node1, listener);
        opened.add(pair[0]);
        opened.add(pair[1]);
        return pair;
    }

    @Test
    void streamsOfManyConnectionsArriveWholeAndInOrder() throws Exception {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int c = 0; c < CONNECTIONS; c++) {
            Endpoint[] pair = connect();
            long seed = 1000 + c;
            boolean direct = c % 2 == 0;
            all.add(CompletableFuture.runAsync(() -> sendStream(pair[0], seed, STREAM_BYTES)));
            all.add(CompletableFuture.runAsync(() -> {
                SplittableRandom r = new SplittableRandom(seed * 31);
                ByteBuffer in = direct ? ByteBuffer.allocateDirect(MAX_CHUNK) : ByteBuffer.allocate(MAX_CHUNK);
                int at = 0;
                while (at < STREAM_BYTES) {
                    int n = Math.min(STREAM_BYTES - at, chunk(r));
                    in.clear().limit(n);
                    assertEquals(n, call(() -> pair[1].recv(in, Scif.RECV_BLOCK)), "a blocking recv takes all it asks for");
                    assertEquals(n, in.position());
                    checkPattern(in, 0, n, at);
                    at += n;
                }
            }));
        }
        CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).get(100, TimeUnit.SECONDS);
    }

    @Test
    void aRecvsBufferIsNotWrittenOnceItEnded() throws Exception {
        Endpoint[] pair = connect();
        Thread receiverThread = Thread.currentThread();
        CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> sendStream(pair[0], 7, STREAM_BYTES));
        AtomicBoolean done = new AtomicBoolean();
        // Interrupts the receiver at random moments: its recvs end early, waiting or not.
        Thread interrupter = new Thread(() -> {
            SplittableRandom r = new SplittableRandom(11);
            while (!done.get()) {
                for (int i = r.nextInt(20_000); i > 0 && !done.get(); i--) {
                    Thread.onSpinWait();
                }
                if (!done.get()) {
                    receiverThread.interrupt();
                }
                Thread.yield();
            }
        }, "recv-fill-interrupter");
        interrupter.start();
        ByteBuffer[] buffers = {ByteBuffer.allocate(MAX_CHUNK), ByteBuffer.allocateDirect(MAX_CHUNK)};
        byte[][] ended = new byte[2][];
        SplittableRandom r = new SplittableRandom(13);
        int at = 0;
        try {
            for (int k = 0; at < STREAM_BYTES; k++) {
                ByteBuffer in = buffers[k % 2];
                int n = Math.min(STREAM_BYTES - at, chunk(r));
                in.clear().limit(n);
                int got;
                try {
                    got = pair[1].recv(in, Scif.RECV_BLOCK);
                } catch (ScifException e) {
                    assertEquals(Errno.EINTR, e.errno(), "only interrupted: " + e);
                    got = 0;
                }
                Thread.interrupted(); // the next recv starts uninterrupted
                assertEquals(got, in.position(), "the position moved by what the recv returned");
                checkPattern(in, 0, got, at);
                at += got;
                // The other buffer's recv ended before this one began: whatever arrived since
                // (this recv's bytes at least) must have left it as it was when it ended.
                byte[] other = ended[(k + 1) % 2];
                if (other != null) {
                    assertArrayEquals(other, contents(buffers[(k + 1) % 2]), "a buffer written after its recv ended");
                }
                ended[k % 2] = contents(in);
            }
        } finally {
            done.set(true);
            while (interrupter.isAlive()) {
                try {
                    interrupter.join();
                } catch (InterruptedException e) {
                    // its last interrupt came after done was set
                }
            }
            Thread.interrupted();
        }
        sender.get(30, TimeUnit.SECONDS);
    }

    /** @return a recv or send size: mostly below 64 KiB (the caller reads the link), some up to 5 windows */
    private static int chunk(SplittableRandom r) {
        return r.nextInt(4) == 0 ? 1 + r.nextInt(MAX_CHUNK) : 1 + r.nextInt(64 << 10);
    }

    /** Sends {@code total} bytes of the pattern in blocking sends of random sizes. */
    private static void sendStream(Endpoint ep, long seed, int total) {
        SplittableRandom r = new SplittableRandom(seed);
        ByteBuffer out = ByteBuffer.allocateDirect(MAX_CHUNK);
        int at = 0;
        while (at < total) {
            int n = Math.min(total - at, chunk(r));
            out.clear().limit(n);
            for (int i = 0; i < n; i++) {
                out.put(i, pattern(at + i));
            }
            assertEquals(n, call(() -> ep.send(out, Scif.SEND_BLOCK)));
            at += n;
        }
    }

    private static void checkPattern(ByteBuffer in, int from, int n, int streamAt) {
        for (int i = 0; i < n; i++) {
            if (in.get(from + i) != pattern(streamAt + i)) {
                assertEquals(pattern(streamAt + i), in.get(from + i), "stream byte " + (streamAt + i));
            }
        }
    }

    /** @return the whole buffer's bytes, whatever its position and limit */
    private static byte[] contents(ByteBuffer b) {
        byte[] a = new byte[b.capacity()];
        b.duplicate().clear().get(a);
        return a;
    }

    private static byte pattern(int i) {
        return (byte) (i * 7 + i / 251);
    }

    private interface Call {
        int run() throws ScifException;
    }

    private static int call(Call c) {
        try {
            return c.run();
        } catch (ScifException e) {
            throw new IllegalStateException(e);
        }
    }
}
