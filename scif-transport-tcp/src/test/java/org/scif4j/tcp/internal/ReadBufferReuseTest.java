package org.scif4j.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.scif4j.Endpoint;
import org.scif4j.Scif;
import org.scif4j.tcp.conformance.TcpFixture;

/**
 * A thread blocked in recv reads the link itself and reuses its read buffer only while
 * nothing else holds part of it: payloads of another connection that wait in its receive queue
 * (frames of many sizes, some spanning reads) stay intact while the reader goes on reading.
 */
class ReadBufferReuseTest {
    private static final int PORT = 3012;
    private static final int[] SIZES = {1, 8, 4000, 3, 100, 4095, 17, 2048};

    private final TcpFixture fabric = new TcpFixture();
    private Honest.Pair pair;
    private Endpoint client2;
    private Endpoint server2;

    @BeforeEach
    void connect() throws Exception {
        pair = new Honest.Pair(fabric, "", PORT);
        Endpoint[] ends = Honest.connect(pair.node1, pair.listener);
        client2 = ends[0];
        server2 = ends[1];
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {client2, server2, pair}) {
            if (c != null) {
                c.close();
            }
        }
        fabric.assertNoLeftovers();
    }

    @Test
    void payloadsQueuedForAnotherConnectionSurviveLaterReads() throws Exception {
        for (int round = 0; round < 20; round++) {
            int r = round;
            // The server waits on connection 1 (reading the link), while connection 2's data arrives.
            CompletableFuture<Long> waiting = CompletableFuture.supplyAsync(() -> {
                ByteBuffer in = ByteBuffer.allocate(8);
                try {
                    assertEquals(8, pair.server.recv(in, Scif.RECV_BLOCK));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                return in.getLong(0);
            });
            int total = 0;
            for (int size : SIZES) {
                ByteBuffer out = ByteBuffer.allocate(size);
                for (int i = 0; i < size; i++) {
                    out.put(i, pattern(r, total + i));
                }
                assertEquals(size, client2.send(out, Scif.SEND_BLOCK));
                total += size;
                if (total > 3000) {
                    // Drain what the window holds so the sender never waits for credit here.
                    total = drain(r, total);
                }
            }
            pair.client.send(ByteBuffer.allocate(8).putLong(0, round), Scif.SEND_BLOCK);
            assertEquals(round, waiting.get(10, TimeUnit.SECONDS));
            drain(r, total);
        }
    }

    /** Receives {@code total} bytes on connection 2 and checks them. @return 0 */
    private int drain(int round, int total) throws Exception {
        ByteBuffer in = ByteBuffer.allocate(total);
        assertEquals(total, server2.recv(in, Scif.RECV_BLOCK));
        for (int i = 0; i < total; i++) {
            assertEquals(pattern(round, i), in.get(i), "round " + round + ", byte " + i);
        }
        return 0;
    }

    private static byte pattern(int round, int i) {
        return (byte) (i * 7 + round * 13 + i / 251);
    }
}
