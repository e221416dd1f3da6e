package org.scif4j.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.EventLoop;
import java.io.EOFException;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.scif4j.Scif;
import org.scif4j.ScifNode;
import org.scif4j.tcp.conformance.TcpFixture;

/**
 * The liveness rule and the frame deadline on a real link, node 0's clock a {@link TestClock}:
 * time in which node 0 itself could not read the link (its event loop stood still, or its
 * reading was paused) is not counted against the peer, and a peer that stays silent, or
 * trickles a frame in, once node 0 reads again is cut off all the same. Each tick of the link's
 * timer reads the clock once; the test waits for ticks through the clock's reads, never by
 * sleeping.
 */
@Timeout(60)
class LivenessTest {
    /** A node the raw peer claims: in the fabric, never attached by the test. */
    private static final int RAW_NODE = 3;
    private static final long LIVENESS_MILLIS = 400;
    private static final long LIVENESS = TimeUnit.MILLISECONDS.toNanos(LIVENESS_MILLIS);
    /** The timer's period: liveness/4. */
    private static final long PERIOD = LIVENESS / 4;
    /**
     * How far the clock moves at each read once a test lets time pass: half a period, so that
     * ticks with a read of bytes between them (which reads it too) stay less than two periods
     * apart on the clock, as on time (two periods or more would be a tick that ran late).
     */
    private static final long STEP = PERIOD / 2;
    /** Ticks that make sure a tick after the event of interest ran to its end (see {@link #ticks}). */
    private static final int TICKS = 3;

    private final TcpFixture fabric = new TcpFixture();
    private final TestClock clock = new TestClock();
    private LogCapture log;
    private ScifNode node0;
    private RawPeer peer;
    /** Node 0's link from the raw peer. */
    private Link link;
    private EventLoop loop;

    @BeforeEach
    void openLink() throws Exception {
        log = new LogCapture();
        String uri = fabric.fabricUri(0, "liveness=" + LIVENESS_MILLIS);
        node0 = Scif.attach(uri);
        TcpNode tcp = (TcpNode) node0;
        tcp.useClock(clock);
        peer = new RawPeer(Honest.tcpPort(uri, 0));
        peer.hello(RAW_NODE, 0, false);
        peer.expect(Wire.HELLO_ACK);
        tcp.group().submit(() -> { }).get(); // the handshake's task, which opened the link, has ended
        link = tcp.links().inbound(RAW_NODE);
        assertTrue(link != null && link.isOpen(), "node 0 has an open link from the raw peer");
        loop = link.channel.eventLoop();
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {peer, node0, log}) {
            if (c != null) {
                c.close();
            }
        }
        fabric.assertNoLeftovers();
    }

    @Test
    void timeThisNodeStoodStillIsNotThePeersSilence() throws Exception {
        // Node 0's event loop stands still for ten liveness periods (a GC pause, a stopped
        // process, a starved VM), the peer's link unread meanwhile: the first tick after it
        // runs before any read, and used to find the peer silent for all that time.
        standStill(10 * LIVENESS);
        assertTrue(link.isOpen(), "node 0 kept the link of a peer it could not hear while it stood still");

        // A peer that stays silent while node 0 runs on is lost all the same.
        clock.stepPerRead(STEP);
        log.await("nothing heard within " + LIVENESS_MILLIS + " ms");
        assertTrue(peer.closedByNode());
    }

    @Test
    void silenceWhileThisNodeDoesNotReadIsNotThePeers() throws Exception {
        loop.submit(() -> link.channel.config().setAutoRead(false)).get();
        clock.stepPerRead(STEP);
        // Twice the liveness period of ticks while node 0 does not read (backpressure).
        ticks(clock.reads() + 2 * LIVENESS / STEP);
        assertTrue(link.isOpen(), "node 0 kept the link of a peer it did not read");

        loop.submit(() -> link.channel.config().setAutoRead(true)).get();
        log.await("nothing heard within " + LIVENESS_MILLIS + " ms");
        assertTrue(peer.closedByNode());
    }

    @Test
    void aFrameThisNodeCouldNotReadWhileItStoodStillIsNotLate() throws Exception {
        // A frame's first bytes (its length prefix and type), the rest not sent yet.
        int body = Wire.bodySize(Wire.CONNECT_REQ);
        peer.write(ByteBuffer.allocate(5).putInt(1 + body).put(Wire.CONNECT_REQ).array());
        Polling.until(() -> link.reader.frames.partialSince() != FrameReader.NONE, "node 0 read the frame's first bytes");
        // The rest would have come while node 0 stood still: its frame deadline (liveness plus
        // the frame at 16 KiB/s) used to run out on the first tick after it.
        standStill(10 * LIVENESS);
        assertTrue(link.isOpen(), "node 0 kept a link whose frame it could not read while it stood still");

        // A frame trickled in while node 0 reads on (a byte per heartbeat of node 0: the link
        // is never silent) is cut off all the same.
        clock.stepPerRead(STEP);
        try {
            for (int sent = 0; ; ) {
                peer.readFrame(); // a heartbeat: one more tick of node 0's timer
                if (sent < body - 1) {
                    peer.write(new byte[1]);
                    sent++;
                }
            }
        } catch (EOFException | SocketException closed) {
            // node 0 closed the link
        }
        log.await("not complete within");
    }

    /**
     * Stops node 0's event loop until {@code nanos} passed on the clock, then waits for ticks
     * after it (see {@link #ticks}).
     */
    private void standStill(long nanos) throws Exception {
        CountDownLatch stalled = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        loop.execute(() -> {
            stalled.countDown();
            awaitQuietly(resume);
        });
        stalled.await();
        clock.advance(nanos);
        long before = clock.reads();
        resume.countDown();
        ticks(before);
    }

    /**
     * Waits until the clock was read {@link #TICKS} times more than {@code from} (at least two
     * ticks of the link's timer, each of which reads it once; a read of bytes reads it too), or
     * the link closed (its timer stops).
     */
    private void ticks(long from) throws Exception {
        CompletableFuture.anyOf(clock.afterReads(from + TICKS), link.goodbye).get(30, TimeUnit.SECONDS);
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
