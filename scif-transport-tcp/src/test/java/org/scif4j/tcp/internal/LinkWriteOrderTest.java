package org.scif4j.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.channel.epoll.Epoll;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.scif4j.Endpoint;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;
import org.scif4j.tcp.conformance.TcpFixture;

/**
 * Several connections between the same two nodes share one link, so their senders race between
 * writing to the socket themselves and queueing for the event loop (see {@link Link}). Every
 * stream must still arrive whole and in order, in both directions at once. On Java NIO and on
 * Netty's native epoll, where senders write the link's descriptor (see {@link DirectSocket}).
 */
@Timeout(60)
class LinkWriteOrderTest {
    private static final int STREAMS = 3;
    private static final int BYTES = 8 << 20;
    /** Bytes of one large send: many writes (of at most 1 MiB each) that fill the socket. */
    private static final int LARGE = 16 << 20;
    private static final int LARGE_SENDS = 4;

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll"})
    void concurrentStreamsOverOneLinkArriveInOrder(String io) throws Exception {
        TcpFixture fabric = fixture(io);
        try (ScifNode node0 = Scif.attach(fabric.fabricUri(0, "ring=65536"));
             ScifNode node1 = Scif.attach(fabric.fabricUri(1, "ring=65536"));
             Endpoint listener = Honest.listener(node0, 3002)) {
            List<Endpoint> open = new ArrayList<>();
            List<CompletableFuture<Void>> work = new ArrayList<>();
            try {
                for (int s = 0; s < STREAMS; s++) {
                    Endpoint[] pair = Honest.connect(node1, listener);
                    open.add(pair[0]);
                    open.add(pair[1]);
                    work.add(CompletableFuture.runAsync(() -> pump(pair[0], 9)));
                    work.add(CompletableFuture.runAsync(() -> check(pair[1], BYTES)));
                    work.add(CompletableFuture.runAsync(() -> pump(pair[1], 13)));
                    work.add(CompletableFuture.runAsync(() -> check(pair[0], BYTES)));
                }
                CompletableFuture.allOf(work.toArray(new CompletableFuture[0])).get(50, TimeUnit.SECONDS);
            } finally {
                for (Endpoint e : open) {
                    e.close();
                }
            }
        }
        fabric.assertNoLeftovers();
    }

    /**
     * A node connected to itself: both directions of the connection, and the credit its
     * receivers return, go over the one link to itself. Sends and receives of 16 MiB fill the
     * socket, so direct writes often go out only in part while other writers queue frames: the
     * rest of the partial frame must still go out before them (it once did not, and the streams
     * were corrupted or the link closed for a nonsense frame length, in about 1 round of 10).
     */
    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll"})
    void largeSendsOverALoopbackLinkArriveInOrder(String io) throws Exception {
        TcpFixture fabric = fixture(io);
        try (ScifNode node0 = Scif.attach(fabric.fabricUri(0, ""));
             Endpoint listener = Honest.listener(node0, 3002)) {
            for (int round = 0; round < 8; round++) {
                Endpoint[] pair = Honest.connect(node0, listener);
                try (Endpoint a = pair[0]; Endpoint b = pair[1]) {
                    CompletableFuture.allOf(
                        CompletableFuture.runAsync(() -> sendLarge(a, 1)),
                        CompletableFuture.runAsync(() -> recvLarge(b, 1)),
                        CompletableFuture.runAsync(() -> sendLarge(b, 2)),
                        CompletableFuture.runAsync(() -> recvLarge(a, 2))).get(50, TimeUnit.SECONDS);
                }
            }
        }
        fabric.assertNoLeftovers();
    }

    /** @return a fabric on {@code io}; epoll only where Netty's epoll loads (the test is skipped elsewhere) */
    private static TcpFixture fixture(String io) {
        if ("epoll".equals(io)) {
            Assumptions.assumeTrue(Epoll.isAvailable(), () -> "Netty's native epoll does not load here ("
                + Epoll.unavailabilityCause() + "): io=epoll cannot run");
        }
        return new TcpFixture(io);
    }

    /** Sends {@link #LARGE_SENDS} sends of {@link #LARGE} bytes of the pattern {@code seed} names. */
    private static void sendLarge(Endpoint ep, int seed) {
        byte[] bytes = new byte[LARGE];
        for (int i = 0; i < LARGE; i++) {
            bytes[i] = (byte) (i * 31 + seed);
        }
        try {
            for (int r = 0; r < LARGE_SENDS; r++) {
                assertEquals(LARGE, ep.send(ByteBuffer.wrap(bytes), Scif.SEND_BLOCK));
            }
        } catch (ScifException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Receives what {@link #sendLarge} sent, one blocking receive a send, and checks every byte. */
    private static void recvLarge(Endpoint ep, int seed) {
        ByteBuffer got = ByteBuffer.allocate(LARGE);
        try {
            for (int r = 0; r < LARGE_SENDS; r++) {
                got.clear();
                assertEquals(LARGE, ep.recv(got, Scif.RECV_BLOCK));
                for (int i = 0; i < LARGE; i++) {
                    if (got.get(i) != (byte) (i * 31 + seed)) {
                        throw new AssertionError("byte " + i + " of receive " + r + " is wrong");
                    }
                }
            }
        } catch (ScifException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Sends {@link #BYTES} bytes of a counting pattern, in sends of varying sizes. */
    private static void pump(Endpoint ep, int step) {
        ByteBuffer b = ByteBuffer.allocateDirect(70_000);
        int sent = 0;
        int round = 0;
        try {
            while (sent < BYTES) {
                int n = Math.min(BYTES - sent, 1 + (round++ * step * 997) % 69_999);
                b.clear().limit(n);
                for (int i = 0; i < n; i++) {
                    b.put(i, (byte) (sent + i));
                }
                assertEquals(n, ep.send(b, Scif.SEND_BLOCK));
                sent += n;
            }
        } catch (ScifException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Receives {@code bytes} bytes of the counting pattern and checks every one. */
    private static void check(Endpoint ep, int bytes) {
        ByteBuffer b = ByteBuffer.allocateDirect(50_000);
        int got = 0;
        try {
            while (got < bytes) {
                b.clear().limit(Math.min(bytes - got, 50_000));
                int n = ep.recv(b, Scif.RECV_BLOCK);
                for (int i = 0; i < n; i++) {
                    if (b.get(i) != (byte) (got + i)) {
                        throw new AssertionError("byte " + (got + i) + " of a stream is wrong");
                    }
                }
                got += n;
            }
        } catch (ScifException e) {
            throw new IllegalStateException(e);
        }
    }
}
