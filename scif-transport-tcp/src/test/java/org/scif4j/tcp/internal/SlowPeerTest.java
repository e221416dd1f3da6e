package org.scif4j.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.scif4j.Endpoint;
import org.scif4j.tcp.conformance.TcpFixture;

/**
 * Raw sockets to node 0 that never finish what they start: a frame announced and then sent
 * one byte per 100 ms (after an honest handshake, and as the HELLO itself), and a connection
 * that says nothing at all. The trickle keeps the link from ever being idle, so only the
 * frame deadline (liveness plus the frame's size at the minimum rate) or the handshake
 * deadline (option timeout) can end it. Each time node 0 closes that link with a logged
 * protocol violation, and node 1's honest connection keeps working, as does a new one. No
 * timing is asserted: the links must close eventually, within the test's timeout.
 */
@Timeout(60)
class SlowPeerTest {
    private static final int PORT = 3003;
    /** The node a raw peer claims to be: in the fabric, never attached by the test. */
    private static final int RAW_NODE = 2;
    /** The pace of the trickle. */
    private static final long TRICKLE_MILLIS = 100;

    private final TcpFixture fabric = new TcpFixture();
    /** Two threads: a trickle and a user thread reading the link may run at once. */
    private final ScheduledExecutorService trickler = Executors.newScheduledThreadPool(2);
    private LogCapture log;
    private Honest.Pair honest;

    @BeforeEach
    void honestPeers() throws Exception {
        log = new LogCapture();
        // A shorter handshake bound keeps the silent case short, yet well above the HELLO's
        // frame bound (liveness, 2 s by default), which must end the trickled HELLO first.
        String options = "timeout=4000";
        honest = new Honest.Pair(fabric, options, PORT);
    }

    @AfterEach
    void close() throws Exception {
        trickler.shutdownNow();
        for (AutoCloseable c : new AutoCloseable[] {honest, log}) {
            if (c != null) {
                c.close();
            }
        }
        fabric.assertNoLeftovers();
    }

    @Test
    void frameTrickledInAfterTheHandshakeIsCutOff() throws Exception {
        try (RawPeer raw = new RawPeer(honest.node0Port)) {
            raw.hello(RAW_NODE, 0, false);
            raw.expect(Wire.HELLO_ACK); // unkeyed: the link is open
            // The largest legal frame announced, then its body a byte at a time.
            raw.write(ByteBuffer.allocate(5).putInt(Wire.MAX_FRAME).put(Wire.RMA_WRITE).array());
            trickle(raw, new byte[Wire.MAX_FRAME - 1]);
            assertRefused(raw, "a frame of " + (4 + Wire.MAX_FRAME) + " bytes not complete within");
        }
    }

    /**
     * The same trickle, read by a user thread that waits on the link (the read takeover: the
     * event loop stands aside meanwhile), faster than such a reader's idle hand-back, so that
     * it reads most of the bytes: the frame's clock runs whoever reads.
     */
    @Test
    void frameTrickledToAWaitingReaderIsCutOff() throws Exception {
        try (RawPeer raw = new RawPeer(honest.node0Port)) {
            raw.hello(RAW_NODE, 0, false);
            raw.expect(Wire.HELLO_ACK);
            // Node 0 sends HELLO_ACK just before it lists the link as open: wait for that.
            Links links = ((TcpNode) honest.node0).links();
            while (links.inbound(RAW_NODE) == null) {
                Thread.yield(); // the class's timeout bounds this
            }
            Link in = links.inbound(RAW_NODE);
            AtomicReference<LinkReader> readBy = new AtomicReference<>();
            LinkReader.Waiter never = new LinkReader.Waiter() {
                @Override
                public int changeCount() {
                    return 0; // nothing the reader waits for happens: it reads until the link goes
                }

                @Override
                public void parkedOn(LinkReader parkedOn) {
                    if (parkedOn != null) {
                        readBy.set(parkedOn);
                    }
                }
            };
            Future<?> reader = trickler.submit(() -> {
                while (in.isOpen()) {
                    if (in.reader.awaitReading(never, 0, 0, 0) == LinkReader.UNAVAILABLE) {
                        LockSupport.parkNanos(1_000_000); // the event loop reads now: pace the retries
                    }
                }
            });
            // 4 KiB: a bound of liveness + 250 ms; a byte every 2 ms would take 8 s.
            int size = 4096;
            raw.write(ByteBuffer.allocate(5).putInt(size).put(Wire.RMA_WRITE).array());
            trickle(raw, new byte[size - 1], 2);
            assertRefused(raw, "a frame of " + (4 + size) + " bytes not complete within");
            reader.get(10, TimeUnit.SECONDS);
            assertTrue(readBy.get() == in.reader, "a user thread read the link");
        }
    }

    @Test
    void helloTrickledInIsCutOff() throws Exception {
        try (RawPeer raw = new RawPeer(honest.node0Port)) {
            byte[] hello = RawPeer.frame(Wire.HELLO, ByteBuffer.allocate(HandshakeWire.HELLO_SIZE).putInt(HandshakeWire.MAGIC_VALUE)
                .putShort(HandshakeWire.VERSION_VALUE).putShort((short) RAW_NODE).putShort((short) 0).array());
            trickle(raw, hello);
            assertRefused(raw, "a frame of " + hello.length + " bytes not complete within");
        }
    }

    @Test
    void connectionThatSaysNothingIsCutOff() throws Exception {
        try (RawPeer raw = new RawPeer(honest.node0Port)) {
            // Silence before the handshake is not the liveness rule's business (a held newcomer
            // is silent too): the handshake deadline ends it.
            assertNull(raw.nextOrClosed(), "node 0 sends nothing to a peer that did not say HELLO");
            String warning = log.await("the handshake did not end within 4000 ms");
            assertTrue(warning.contains("protocol violation"), warning);
            honestStillServed();
        }
    }

    /** Writes {@code bytes} one every {@link #TRICKLE_MILLIS} ms, until done or the node closes. */
    private void trickle(RawPeer raw, byte[] bytes) {
        trickle(raw, bytes, TRICKLE_MILLIS);
    }

    /** Writes {@code bytes} one every {@code millis} ms, until done or the node closes. */
    private void trickle(RawPeer raw, byte[] bytes, long millis) {
        AtomicInteger next = new AtomicInteger();
        trickler.scheduleAtFixedRate(() -> {
            int i = next.getAndIncrement();
            if (i >= bytes.length) {
                throw new IllegalStateException("all sent"); // ends the schedule
            }
            try {
                raw.write(new byte[] {bytes[i]});
            } catch (IOException closed) {
                throw new IllegalStateException("closed by the node", closed); // ends the schedule
            }
        }, 0, millis, TimeUnit.MILLISECONDS);
    }

    /** Node 0 closed the raw link, said why, and still serves node 1. */
    private void assertRefused(RawPeer raw, String reason) throws Exception {
        assertTrue(raw.closedByNode());
        String warning = log.await(reason);
        assertTrue(warning.contains("protocol violation"), warning);
        honestStillServed();
    }

    private void honestStillServed() throws Exception {
        Honest.exchange(honest.client, honest.server);
        Endpoint[] again = Honest.connect(honest.node1, honest.listener);
        try {
            Honest.exchange(again[0], again[1]);
        } finally {
            again[0].close();
            again[1].close();
        }
    }
}
