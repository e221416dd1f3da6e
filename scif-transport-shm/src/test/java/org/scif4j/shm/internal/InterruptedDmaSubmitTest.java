package org.scif4j.shm.internal;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
 * A DMA RMA that the endpoint's channel refuses because it is full and the caller was
 * interrupted ends with EINTR and holds nothing: its windows, on both sides, can be
 * unregistered at once and their ranges registered again (an operation that was never queued
 * is never run by the channel, which is what gives references back otherwise).
 */
class InterruptedDmaSubmitTest {
    private static final int RW = Scif.PROT_READ | Scif.PROT_WRITE;
    /** Above the inline bound: every writeTo is queued on the channel. */
    private static final int SIZE = 256 << 10;
    /** Far more than the channel's queue holds (4096 operations). */
    private static final int ATTEMPTS = 20_000;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void anRmaRefusedByAFullChannelHoldsNoWindow() throws Exception {
        String name = "dmaintr" + ProcessHandle.current().pid() + "x" + System.nanoTime();
        try (ScifNode host = Scif.attach("shm:" + name + "?node=0");
             ScifNode card = Scif.attach("shm:" + name + "?node=1");
             ScifMemory hm = host.allocate(SIZE);
             ScifMemory cm = card.allocate(SIZE)) {
            Endpoint[] p = ShmRmaSmokeTest.pair(host, card);
            Endpoint h = p[0];
            Endpoint c = p[1];
            long hOff = h.register(hm.buffer(), 0, RW, 0);
            long cOff = c.register(cm.buffer(), 0, RW, 0);

            // The channel's thread is held inside an operation of ours, so its queue fills
            // whatever the machine's load (left to run, it may keep pace with the submits).
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            ((ShmEndpoint) h).rma().sequence().channel().submit(() -> {
                held.countDown();
                try {
                    release.await(); // nobody interrupts the channel's thread here
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertTrue(held.await(30, TimeUnit.SECONDS), "the channel's thread took the holding operation");
            boolean refused = false;
            int queued = 0;
            Thread.currentThread().interrupt(); // seen by a submit only once the channel is full
            try {
                for (int i = 0; i < ATTEMPTS && !refused; i++) {
                    try {
                        h.writeTo(hOff, SIZE, cOff, 0);
                        queued++;
                    } catch (ScifException e) {
                        assertEquals(Errno.EINTR, e.errno(), "a full channel and an interrupt: " + e.getMessage());
                        refused = true;
                    }
                }
            } finally {
                Thread.interrupted();
                release.countDown();
            }
            assertTrue(refused, "a held channel refuses a submit once full; " + queued + " were queued");

            h.fenceWait(h.fenceMark(Scif.FENCE_INIT_SELF)); // every queued writeTo has completed
            c.unregister(cOff, SIZE);
            h.unregister(hOff, SIZE);
            assertEquals(cOff, c.register(cm.buffer(), cOff, RW, Scif.MAP_FIXED),
                "the peer window's range is free again: the refused RMA left no reference on it");
            assertEquals(hOff, h.register(hm.buffer(), hOff, RW, Scif.MAP_FIXED),
                "the local window's range is free again: the refused RMA left no reference on it");
            h.close();
            c.close();
        }
        assertFalse(Files.exists(Path.of("/dev/shm/scif4j", name)), "the fabric's files are gone");
    }
}
