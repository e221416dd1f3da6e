package org.scif4j.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.scif4j.Endpoint;
import org.scif4j.Scif;
import org.scif4j.ScifNode;
import org.scif4j.spi.WaitMode;
import org.scif4j.tcp.conformance.TcpFixture;

/**
 * A user thread that reads its link and drained the socket reads it again for its wait mode's
 * spin before it sleeps in its selector (see {@link SpinPolicy#readSpinNanos}): {@code wait=block}
 * never does, and what happens during the spin (a frame arriving, an interrupt) ends the wait as
 * it ends a sleep. Each test reads node 0's inbound link with a {@link LinkReader.Waiter} that
 * learns, from the stack, whether the reader calls it from inside its spin, and acts there.
 */
@Timeout(60)
class ReadSpinTest {
    private TcpFixture fabric;
    private ScifNode node0;
    private ScifNode node1;
    private Endpoint listener;
    private Endpoint client;
    private Endpoint server;
    /** Node 0's inbound link from node 1. */
    private Link link;

    @BeforeEach
    void connect() throws Exception {
        fabric = new TcpFixture();
        node0 = Scif.attach(fabric.fabricUri(0, "timeout=30000"));
        node1 = Scif.attach(fabric.fabricUri(1, "timeout=30000"));
        listener = Honest.listener(node0, 3004);
        Endpoint[] pair = Honest.connect(node1, listener);
        client = pair[0];
        server = pair[1];
        Honest.exchange(client, server);
        link = ((TcpNode) node0).links().inbound(1);
        assertTrue(link != null, "node 0 has an open inbound link from node 1");
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {client, server, listener, node1, node0}) {
            if (c != null) {
                c.close();
            }
        }
        fabric.assertNoLeftovers();
    }

    /** A waiter whose count is {@code count}'s, which runs {@code inSpin} the first time the reader's spin asks it. */
    private static final class SpinWatch implements LinkReader.Waiter {
        private final IntSupplier count;
        private final Runnable inSpin;
        boolean spun;
        boolean read;

        SpinWatch(IntSupplier count, Runnable inSpin) {
            this.count = count;
            this.inSpin = inSpin;
        }

        @Override
        public int changeCount() {
            if (!spun && StackWalker.getInstance().walk(s -> s.anyMatch(f -> f.getMethodName().equals("spinRead")))) {
                spun = true;
                inSpin.run();
            }
            return count.getAsInt();
        }

        @Override
        public void parkedOn(LinkReader reader) {
            if (reader != null) {
                read = true;
            }
        }
    }

    /**
     * Reads the link with {@code w} until a wait in which this thread read the link (the event
     * loop may hold it for a moment after the exchange).
     *
     * @return what that wait returned
     */
    private int awaitAsReader(SpinWatch w, long spinNanos) {
        for (int attempt = 1; ; attempt++) {
            int r = link.reader.awaitReading(w, 0, 0, spinNanos);
            if (w.read) {
                return r;
            }
            assertTrue(attempt < 10_000, "this thread read the link, in 10,000 attempts");
            Thread.yield();
        }
    }

    @Test
    void blockNeverSpinsTheOtherModesDoOnTwoCores() {
        for (int cpus : new int[] {1, 2, 64}) {
            assertEquals(0, new SpinPolicy(WaitMode.BLOCK, cpus).readSpinNanos(), "block, " + cpus + " cores");
            assertTrue(new SpinPolicy(WaitMode.SPIN, cpus).readSpinNanos() > 0, "spin, " + cpus + " cores");
        }
        for (WaitMode m : new WaitMode[] {WaitMode.ADAPTIVE, WaitMode.YIELD}) {
            assertEquals(0, new SpinPolicy(m, 1).readSpinNanos(), m + " on one core");
            assertTrue(new SpinPolicy(m, 2).readSpinNanos() > 0, m + " on two cores");
        }
    }

    @Test
    void aBlockReaderSleepsAtOnce() {
        SpinWatch w = new SpinWatch(() -> 0, () -> { });
        // Nothing comes: the reader sleeps in its selector until it hands the link back, idle.
        assertEquals(LinkReader.UNAVAILABLE, awaitAsReader(w, new SpinPolicy(WaitMode.BLOCK).readSpinNanos()));
        assertFalse(w.spun, "a wait=block reader read its drained socket again");
    }

    @Test
    void aFrameSentDuringTheSpinIsDelivered() throws Exception {
        long before = link.reader.lastRead;
        SpinWatch w = new SpinWatch(() -> link.reader.lastRead == before ? 0 : 1, () -> {
            try {
                assertEquals(8, client.send(ByteBuffer.allocate(8).putLong(0, 0x5350494EL), Scif.SEND_BLOCK));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertEquals(LinkReader.CHANGED, awaitAsReader(w, SpinPolicy.ADAPTIVE_NANOS), "the reader read the frame");
        assertTrue(w.spun, "the reader spun");
        ByteBuffer in = ByteBuffer.allocate(8);
        assertEquals(8, server.recv(in, 0), "the frame is queued for the endpoint");
        assertEquals(0x5350494EL, in.getLong(0));
    }

    @Test
    void anInterruptDuringTheSpinEndsTheWait() {
        SpinWatch w = new SpinWatch(() -> 0, () -> Thread.currentThread().interrupt());
        try {
            assertEquals(LinkReader.INTERRUPTED, awaitAsReader(w, SpinPolicy.ADAPTIVE_NANOS));
            assertTrue(w.spun, "the reader spun");
        } finally {
            Thread.interrupted();
        }
    }
}
