package org.scif4j.shm.internal;

import static org.junit.jupiter.api.Assertions.*;
import static org.scif4j.shm.internal.FabricDescriptor.E_POLLERS;
import static org.scif4j.shm.internal.FabricDescriptor.endpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.scif4j.Endpoint;
import org.scif4j.PollItem;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifNode;
import org.scif4j.shm.TestTrees;

/**
 * A poll is in its endpoints' "pollers" count only while it sleeps (docs/shm-format.md, "The
 * doorbell"): a changer that finds the count non-zero rings the owner's doorbell, a system call
 * on every send and recv, so a poll that is counted while it spins makes a ping-pong over poll
 * several times slower; one that sleeps uncounted would never be woken.
 */
class PollersCountTest {
    private final Path root = Path.of("/dev/shm", "scif4j-pollers-" + ProcessHandle.current().pid() + "-" + System.nanoTime());

    @AfterEach
    void cleanUp() throws IOException {
        TestTrees.delete(root);
    }

    private String uri(int node, String wait) {
        return "shm:t?node=" + node + "&dir=" + root + "&wait=" + wait;
    }

    /** Connects an endpoint of {@code card} to one of {@code host}: [host's, card's]. */
    private static Endpoint[] pair(ScifNode host, ScifNode card) throws Exception {
        try (Endpoint listener = host.open()) {
            listener.bind(0);
            listener.listen(1);
            PortId port = listener.localPort();
            Endpoint c = card.open();
            CompletableFuture<Void> connected = CompletableFuture.runAsync(() -> {
                try {
                    c.connect(port);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Endpoint h = listener.accept(Scif.ACCEPT_SYNC);
            connected.get(10, TimeUnit.SECONDS);
            return new Endpoint[] {h, c};
        }
    }

    /** Polls {@code item} on another thread. */
    private static CompletableFuture<Integer> pollAsync(PollItem item, long timeoutMillis) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return Scif.poll(new PollItem[] {item}, timeoutMillis);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static int pollers(ScifNode node, Endpoint ep) {
        return ((ShmNode) node).fabric().file().getInt(endpoint(((ShmEndpoint) ep).slot()) + E_POLLERS);
    }

    @Test
    void aPollThatOnlySpinsIsNeverCounted() throws Exception {
        try (ScifNode host = Scif.attach(uri(0, "spin")); ScifNode card = Scif.attach(uri(1, "spin"))) {
            Endpoint[] p = pair(host, card);
            // nothing arrives: the poll spins its whole 200 ms (spin mode never sleeps)
            CompletableFuture<Integer> poll = pollAsync(new PollItem(p[0], Scif.POLLIN), 200);
            int most = 0;
            while (!poll.isDone()) {
                most = Math.max(most, pollers(host, p[0]));
            }
            assertEquals(0, poll.get(), "nothing to report: the poll timed out");
            assertEquals(0, most, "a spinning poll stays out of the pollers count, so nobody rings for it");
            p[0].close();
            p[1].close();
        }
    }

    @Test
    void aSleepingPollIsCountedWokenByASendAndUncountedAfter() throws Exception {
        try (ScifNode host = Scif.attach(uri(0, "block")); ScifNode card = Scif.attach(uri(1, "block"))) {
            Endpoint[] p = pair(host, card);
            PollItem item = new PollItem(p[0], Scif.POLLIN);
            CompletableFuture<Integer> poll = pollAsync(item, -1);
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                while (pollers(host, p[0]) != 1) {
                    Thread.onSpinWait(); // the poll announces itself before it sleeps
                }
            });
            p[1].send(ByteBuffer.wrap(new byte[] {42}), Scif.SEND_BLOCK);
            assertEquals(1, poll.get(10, TimeUnit.SECONDS), "the send rang the sleeping poll awake");
            assertEquals(Scif.POLLIN, item.revents());
            assertEquals(0, pollers(host, p[0]), "counted only while asleep");
            p[0].close();
            p[1].close();
        }
    }

    @Test
    void pollPingPongAcrossSpinningYieldingAndSleepingLeavesTheCountsAtZero() throws Exception {
        try (ScifNode host = Scif.attach(uri(0, "adaptive")); ScifNode card = Scif.attach(uri(1, "adaptive"))) {
            Endpoint[] p = pair(host, card);
            int rounds = 3000;
            CompletableFuture<Void> echo = CompletableFuture.runAsync(() -> {
                try {
                    ByteBuffer b = ByteBuffer.allocate(8);
                    PollItem[] items = {new PollItem(p[1], Scif.POLLIN)};
                    for (int i = 0; i < rounds; i++) {
                        assertEquals(1, Scif.poll(items, 10_000), "round " + i + ": woken within 10 s");
                        b.clear();
                        p[1].recv(b, Scif.RECV_BLOCK);
                        if (i % 100 == 0) {
                            busy(TimeUnit.MILLISECONDS.toNanos(2)); // past spin and yield: the other side sleeps
                        }
                        b.flip();
                        p[1].send(b, Scif.SEND_BLOCK);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            ByteBuffer b = ByteBuffer.allocate(8);
            PollItem[] items = {new PollItem(p[0], Scif.POLLIN)};
            for (int i = 0; i < rounds; i++) {
                b.clear().putLong(0, i);
                p[0].send(b, Scif.SEND_BLOCK);
                assertEquals(1, Scif.poll(items, 10_000), "round " + i + ": woken within 10 s");
                b.clear();
                p[0].recv(b, Scif.RECV_BLOCK);
                assertEquals(i, b.getLong(0));
            }
            echo.get(10, TimeUnit.SECONDS);
            assertEquals(0, pollers(host, p[0]));
            assertEquals(0, pollers(card, p[1]));
            p[0].close();
            p[1].close();
        }
    }

    /** Keeps this thread busy for {@code nanos}: a delay of the answer, not a synchronisation. */
    private static void busy(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() - end < 0) {
            Thread.onSpinWait();
        }
    }
}
