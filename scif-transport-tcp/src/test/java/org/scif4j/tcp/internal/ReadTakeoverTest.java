package org.scif4j.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
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

    @BeforeEach
    void attach() throws Exception {
        fabric = new TcpFixture();
        node0 = Scif.attach(fabric.fabricUri(0, ""));
        node1 = Scif.attach(fabric.fabricUri(1, ""));
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

    /** Starts a blocking 8-byte recv on {@code ep} and returns once it reads the link. */
    private CompletableFuture<Long> recvAsReader(Endpoint ep) {
        CompletableFuture<Long> got = CompletableFuture.supplyAsync(() -> {
            ByteBuffer in = ByteBuffer.allocate(8);
            try {
                ep.recv(in, Scif.RECV_BLOCK);
            } catch (ScifException e) {
                throw new IllegalStateException(e);
            }
            return in.getLong(0);
        });
        awaitState(() -> link.reader.hasReader() || got.isDone(), "the recv reads the link");
        return got;
    }

    /** Polls a state of the link that a test cannot be told of otherwise, up to 10 s. */
    private static void awaitState(BooleanSupplier state, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!state.getAsBoolean()) {
            assertTrue(System.nanoTime() - deadline < 0, "timed out waiting until " + what);
            Thread.onSpinWait();
        }
    }

    private static void send(Endpoint ep, long value) throws ScifException {
        assertEquals(8, ep.send(ByteBuffer.allocate(8).putLong(0, value), Scif.SEND_BLOCK));
    }

    @Test
    void aReaderDeliversTheFramesOfOtherEndpoints() throws Exception {
        Endpoint[] first = connect();
        Endpoint[] second = Honest.connect(node1, listener);
        try {
            CompletableFuture<Long> reader = recvAsReader(first[1]);
            send(second[0], 42);
            ByteBuffer in = ByteBuffer.allocate(8);
            assertEquals(8, second[1].recv(in, Scif.RECV_BLOCK), "delivered by the other endpoint's reader");
            assertEquals(42, in.getLong(0));
            send(first[0], 7);
            assertEquals(7, reader.get(10, TimeUnit.SECONDS));
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
            CompletableFuture<Long> reader = recvAsReader(b);
            send(a, 1);
            assertEquals(1, reader.get(10, TimeUnit.SECONDS));
            // Node 0's reader has left; nobody on node 0 waits for anything now.
            window.buffer().putLong(0, 0x5343494646454E43L);
            long remote = b.register(window.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
            long lo = a.register(local.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
            a.readFrom(lo, 4096, remote, Scif.RMA_SYNC); // node 0 must answer its RMA_READ unasked
            assertEquals(0x5343494646454E43L, local.buffer().getLong(0));
            awaitState(() -> !link.reader.userMode(), "the event loop reads the link again");
        }
    }

    @Test
    void aReaderThatHearsNothingHandsTheLinkBack() throws Exception {
        Endpoint[] pair = connect();
        try (Endpoint a = pair[0]; Endpoint b = pair[1]) {
            CompletableFuture<Long> reader = recvAsReader(b);
            awaitState(() -> !link.reader.userMode(), "the silent reader hands the link back");
            assertTrue(!reader.isDone(), "the recv still waits, on its monitor");
            send(a, 5);
            assertEquals(5, reader.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void closeAndInterruptEndAReadersWait() throws Exception {
        Endpoint[] pair = connect();
        try (Endpoint a = pair[0]; Endpoint b = pair[1]) {
            Thread[] thread = new Thread[1];
            CompletableFuture<Long> interrupted = CompletableFuture.supplyAsync(() -> {
                thread[0] = Thread.currentThread();
                ByteBuffer in = ByteBuffer.allocate(8);
                try {
                    b.recv(in, Scif.RECV_BLOCK);
                    return 0L;
                } catch (ScifException e) {
                    Thread.interrupted(); // the pool's thread goes back clean
                    return (long) e.errno().number();
                }
            });
            awaitState(() -> link.reader.hasReader() && thread[0] != null, "the recv reads the link");
            thread[0].interrupt();
            assertEquals(Errno.EINTR.number(), interrupted.get(10, TimeUnit.SECONDS));
            CompletableFuture<Long> closed = recvAsReader(b);
            b.close();
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> closed.get(10, TimeUnit.SECONDS));
            assertEquals(Errno.EINTR, ((ScifException) e.getCause().getCause()).errno());
        }
    }
}
