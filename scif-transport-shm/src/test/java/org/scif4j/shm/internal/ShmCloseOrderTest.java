package org.scif4j.shm.internal;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifMemory;
import org.scif4j.ScifNode;
import org.scif4j.shm.ShmRmaSmokeTest;

/**
 * Close ends an endpoint's RMA half before it frees the endpoint's slot: by the time the slot
 * reads FREE (and another endpoint may take it), no RMA, fence waiter or DMA completion of
 * the closed endpoint touches it any more. Threads issue RMAs and wait on fences of the
 * endpoint while another thread closes it; a watcher reads the slot's state in the fabric
 * file all along. Each waiter and caller ends as SCIF says: done, EINTR (woken by the close)
 * or EBADF (called after it), never ECONNRESET (nobody else closed it) or a hang.
 */
class ShmCloseOrderTest {
    private static final int RW = Scif.PROT_READ | Scif.PROT_WRITE;
    private static final int WINDOW = 16 << 20;
    private static final int CHUNK = 1 << 20;
    private static final int THREADS = 3;
    private static final int ROUNDS = 4;
    private static final Set<Errno> CLOSED_UNDER_IT = Set.of(Errno.EINTR, Errno.EBADF);

    @Test
    @Timeout(120)
    void theRmaHalfIsClosedBeforeTheSlotIsFreed() throws Exception {
        String name = "closeorder" + ProcessHandle.current().pid() + "x" + System.nanoTime();
        try (ScifNode host = Scif.attach("shm:" + name + "?node=0");
             ScifNode card = Scif.attach("shm:" + name + "?node=1");
             ScifMemory hm = host.allocate(WINDOW);
             ScifMemory cm = card.allocate(WINDOW)) {
            for (int round = 0; round < ROUNDS; round++) {
                race(host, card, hm.buffer(), cm.buffer(), round);
            }
        }
        assertFalse(Files.exists(Path.of("/dev/shm/scif4j", name)), "the fabric's files are gone");
    }

    private static void race(ScifNode host, ScifNode card, ByteBuffer hb, ByteBuffer cb, int round) throws Exception {
        Endpoint[] p = ShmRmaSmokeTest.pair(host, card);
        ShmEndpoint closing = (ShmEndpoint) p[0];
        Endpoint other = p[1];
        closing.register(hb, 0, RW, Scif.MAP_FIXED);
        other.register(cb, 0, RW, Scif.MAP_FIXED);
        EndpointRma rma = rmaOf(closing);
        EndpointTable table = ((ShmNode) host).fabric().endpoints();
        int slot = closing.slot();

        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> violation = new AtomicReference<>();
        Thread watcher = new Thread(() -> {
            while (!stop.get()) {
                // Order matters: the state first, then whether the RMA half has ended. Close ends
                // the RMA half (a volatile store) before the slot's state becomes FREE.
                if (table.state(slot) == FabricDescriptor.FREE) {
                    if (!rma.isEnded()) {
                        violation.compareAndSet(null, "slot " + slot + " was FREE while the RMA half was still open");
                    }
                    return;
                }
                Thread.onSpinWait();
            }
        }, "slot-watcher");
        watcher.start();

        CountDownLatch started = new CountDownLatch(THREADS * 2);
        List<Thread> threads = new ArrayList<>();
        List<Throwable> wrong = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < THREADS; t++) {
            int id = t;
            threads.add(new Thread(() -> expectClosedUnderIt(started, wrong, () -> {
                for (int i = 0;; i++) { // RMAs of the closing endpoint until close stops them
                    long at = (long) ((id + i * THREADS) % (WINDOW / CHUNK)) * CHUNK;
                    closing.writeTo(at, CHUNK, at, 0);
                }
            }), "rma-" + t));
            threads.add(new Thread(() -> expectClosedUnderIt(started, wrong, () -> {
                while (true) { // fence waiters: on our RMAs, and on the peer's
                    closing.fenceWait(closing.fenceMark(Scif.FENCE_INIT_SELF));
                    closing.fenceWait(closing.fenceMark(Scif.FENCE_INIT_PEER));
                }
            }), "fence-" + t));
        }
        threads.forEach(Thread::start);
        Thread peerRmas = new Thread(() -> {
            try {
                for (int i = 0; i < 64; i++) {
                    other.writeTo(0, CHUNK, (long) (i % (WINDOW / CHUNK)) * CHUNK, 0);
                }
            } catch (ScifException e) {
                // the peer's RMAs end when our close unregisters our windows (ENXIO) or frees the slot
            }
        }, "peer-rma");
        peerRmas.start();
        assertTrue(started.await(30, TimeUnit.SECONDS), "round " + round + ": every thread runs");

        closing.close();
        for (Thread t : threads) {
            t.join(30_000);
            assertFalse(t.isAlive(), "round " + round + ": " + t.getName() + " ended after the close");
        }
        peerRmas.join(30_000);
        stop.set(true);
        watcher.join(30_000);
        assertNull(violation.get(), "round " + round);
        assertTrue(wrong.isEmpty(), "round " + round + ": " + wrong);
        assertTrue(rma.isEnded(), "close returned, so its RMA half ended");
        other.close();
    }

    /** Runs {@code body} until it fails, which must be with EINTR or EBADF. */
    private static void expectClosedUnderIt(CountDownLatch started, List<Throwable> wrong, Body body) {
        started.countDown();
        try {
            body.run();
            wrong.add(new AssertionError("returned without an error"));
        } catch (ScifException e) {
            if (!CLOSED_UNDER_IT.contains(e.errno())) {
                wrong.add(e);
            }
        } catch (Throwable e) {
            wrong.add(e);
        }
    }

    private interface Body {
        void run() throws ScifException;
    }

    private static EndpointRma rmaOf(ShmEndpoint e) throws ReflectiveOperationException {
        java.lang.reflect.Field f = ShmEndpoint.class.getDeclaredField("rma");
        f.setAccessible(true);
        return (EndpointRma) f.get(e);
    }
}
