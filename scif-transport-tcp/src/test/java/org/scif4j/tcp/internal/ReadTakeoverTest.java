package org.scif4j.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifMemory;
import org.scif4j.ScifNode;
import org.scif4j.tcp.conformance.TcpFixture;

/**
 * A thread that waits reads its link itself (see {@link Link}): while it does, the event loop
 * stands aside, so the reader must deliver every frame of the link, and the link must go back
 * to the event loop when readers leave or hear nothing.
 */
@Timeout(60)
class ReadTakeoverTest {
    private TcpFixture fabric;
    private ScifNode node0;
    private ScifNode node1;
    private Endpoint listener;
    /** Node 0's inbound link from node 1, the one node 0's readers read. */
    private Link link;
    /**
     * The nodes' watchdog, a hang guard here: the first connect of a fresh JVM on a loaded
     * 2-core machine was not accepted within the default 5 s.
     */
    private static final String WATCHDOG = "timeout=30000";
    /** Sent to end a recv that left the link before the test saw it read (see {@link #recvAsReader}). */
    private static final long SKIPPED = -1;

    @BeforeEach
    void attach() throws Exception {
        fabric = new TcpFixture();
        node0 = Scif.attach(fabric.fabricUri(0, WATCHDOG));
        node1 = Scif.attach(fabric.fabricUri(1, WATCHDOG));
        listener = Honest.listener(node0, 3003);
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {listener, node1, node0}) {
            if (c != null) {
                c.close();
            }
        }
        fabric.assertNoLeftovers();
    }

    /** @return the two ends, node 1's first; node 0's inbound link known from now on */
    private Endpoint[] connect() throws Exception {
        Endpoint[] pair = Honest.connect(node1, listener);
        link = ((TcpNode) node0).links().inbound(1);
        assertTrue(link != null, "node 0 has an open inbound link from node 1");
        return pair;
    }

    /** A blocking 8-byte recv on a thread of its own: its value, or what it threw. */
    private static final class Recv {
        final CompletableFuture<Long> value = new CompletableFuture<>();
        final Thread thread;

        Recv(Endpoint ep) {
            thread = new Thread(() -> {
                ByteBuffer in = ByteBuffer.allocate(8);
                try {
                    ep.recv(in, Scif.RECV_BLOCK);
                    value.complete(in.getLong(0));
                } catch (Throwable e) {
                    value.completeExceptionally(e);
                }
            }, "ReadTakeoverTest-recv");
            thread.setDaemon(true);
            thread.start();
        }

        /** @return the value, within 10 s */
        long get() throws Exception {
            return value.get(10, TimeUnit.SECONDS);
        }

        /** @return whether it sleeps on its endpoint's monitor (Object.wait: WAITING, untimed) */
        boolean onMonitor() {
            return thread.getState() == Thread.State.WAITING;
        }
    }

    /**
     * Starts a blocking 8-byte recv on {@code ep} and returns once it reads the link (or
     * ended). A recv that reads the link and hears nothing for {@link LinkReader#IDLE_NANOS}
     * hands it back and sleeps on its monitor, as it does when another thread reads: on a
     * loaded machine that can happen before this thread looks. Such a recv is given a value
     * from {@code peer} and the recv is started again, so that the test goes on only with a
     * recv that reads the link.
     */
    private Recv recvAsReader(Endpoint ep, Endpoint peer) throws Exception {
        for (int attempt = 1; ; attempt++) {
            Recv r = new Recv(ep);
            Polling.until(() -> link.reader.hasReader() || r.value.isDone() || r.onMonitor(),
                "the recv reads the link (attempt " + attempt + ")");
            if (link.reader.hasReader() || r.value.isDone()) {
                return r;
            }
            // It sleeps on its monitor and nobody reads: it left the link before we looked.
            send(peer, SKIPPED);
            assertEquals(SKIPPED, r.get(), "the recv that left the link gets the value sent to end it");
            assertTrue(attempt < 100, "a recv read the link long enough to be seen, in 100 attempts");
        }
    }

    /** @return the ScifException {@code r} ended with, within 10 s */
    private static ScifException endedWith(Recv r) {
        ExecutionException e = assertThrows(ExecutionException.class, r::get);
        assertTrue(e.getCause() instanceof ScifException, "the recv threw " + e.getCause());
        return (ScifException) e.getCause();
    }

    private static void send(Endpoint ep, long value) throws ScifException {
        assertEquals(8, ep.send(ByteBuffer.allocate(8).putLong(0, value), Scif.SEND_BLOCK));
    }

    @Test
    void aReaderDeliversTheFramesOfOtherEndpoints() throws Exception {
        Endpoint[] first = connect();
        Endpoint[] second = Honest.connect(node1, listener);
        try {
            Recv reader = recvAsReader(first[1], first[0]);
            send(second[0], 42);
            ByteBuffer in = ByteBuffer.allocate(8);
            assertEquals(8, second[1].recv(in, Scif.RECV_BLOCK), "delivered by the other endpoint's reader");
            assertEquals(42, in.getLong(0));
            send(first[0], 7);
            assertEquals(7, reader.get());
        } finally {
            for (Endpoint e : new Endpoint[] {first[0], first[1], second[0], second[1]}) {
                e.close();
            }
        }
    }

    @Test
    void theEventLoopServesThePeerOnceTheReaderLeft() throws Exception {
        Endpoint[] pair = connect();
        try (Endpoint a = pair[0]; Endpoint b = pair[1];
             ScifMemory window = node0.allocate(4096); ScifMemory local = node1.allocate(4096)) {
            Recv reader = recvAsReader(b, a);
            send(a, 1);
            assertEquals(1, reader.get());
            // Node 0's reader has left; nobody on node 0 waits for anything now.
            window.buffer().putLong(0, 0x5343494646454E43L);
            long remote = b.register(window.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
            long lo = a.register(local.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
            a.readFrom(lo, 4096, remote, Scif.RMA_SYNC); // node 0 must answer its RMA_READ unasked
            assertEquals(0x5343494646454E43L, local.buffer().getLong(0));
            Polling.until(() -> !link.reader.userMode(), "the event loop reads the link again");
        }
    }

    @Test
    void aReaderThatHearsNothingHandsTheLinkBack() throws Exception {
        Endpoint[] pair = connect();
        try (Endpoint a = pair[0]; Endpoint b = pair[1]) {
            Recv reader = recvAsReader(b, a);
            Polling.until(() -> !link.reader.userMode(), "the silent reader hands the link back");
            assertTrue(!reader.value.isDone(), "the recv still waits, on its monitor");
            send(a, 5);
            assertEquals(5, reader.get());
        }
    }

    @Test
    void closeAndInterruptEndAReadersWait() throws Exception {
        Endpoint[] pair = connect();
        try (Endpoint a = pair[0]; Endpoint b = pair[1]) {
            Recv interrupted = recvAsReader(b, a);
            interrupted.thread.interrupt();
            assertEquals(Errno.EINTR, endedWith(interrupted).errno(), "the interrupted recv");
            Recv closed = recvAsReader(b, a);
            b.close();
            assertEquals(Errno.EINTR, endedWith(closed).errno(), "the recv that close woke");
        }
    }
}
