package org.scif4j.shm.internal;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
 * The one-window fast path of CPU readFrom/writeTo ({@link EndpointRma#copyWithin}): taken
 * inside one window on each side, declined (and the general path taken) otherwise, never
 * fooled by a window unregistered or registered again at the same offset, and never copying
 * after an unregister returned.
 */
class RmaFastPathTest {
    private static final int RW = Scif.PROT_READ | Scif.PROT_WRITE;
    private static final int KIB64 = 64 << 10;

    /** Two nodes of this JVM, connected; the fabric is gone once closed. */
    private static final class Fixture implements AutoCloseable {
        final String name = "rmafast" + ProcessHandle.current().pid() + "x" + System.nanoTime();
        final ScifNode host = Scif.attach("shm:" + name + "?node=0");
        final ScifNode card = Scif.attach("shm:" + name + "?node=1");
        final Endpoint h;
        final Endpoint c;

        Fixture() throws ScifException {
            Endpoint[] p = ShmRmaSmokeTest.pair(host, card);
            h = p[0];
            c = p[1];
        }

        /** The card endpoint's RMA half, whose fast path the tests call directly. */
        EndpointRma cardRma() throws ReflectiveOperationException {
            java.lang.reflect.Field f = ShmEndpoint.class.getDeclaredField("rma");
            f.setAccessible(true);
            return (EndpointRma) f.get(c);
        }

        @Override
        public void close() throws Exception {
            h.close();
            c.close();
            card.close();
            host.close();
            assertFalse(Files.exists(Path.of("/dev/shm/scif4j", name)), "the fabric's files are gone");
        }
    }

    private static void fill(ByteBuffer b, int from, int length, int seed) {
        for (int i = 0; i < length; i++) {
            b.put(from + i, (byte) (seed + i * 31));
        }
    }

    private static void assertFilled(ByteBuffer b, int from, int length, int seed, String what) {
        for (int i = 0; i < length; i++) {
            if (b.get(from + i) != (byte) (seed + i * 31)) {
                fail(what + ": byte " + i + " is " + b.get(from + i) + ", expected " + (byte) (seed + i * 31));
            }
        }
    }

    /**
     * Inside one window on each side the fast path copies; a range across two windows (local
     * or remote), a DMA RMA, or a window without the rights asked for is declined, and the
     * public call then copies (or fails) as the general path decides.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void copiesInsideOneWindowAndDeclinesEverythingElse() throws Exception {
        try (Fixture x = new Fixture();
             ScifMemory hm = x.host.allocate(3 * KIB64); ScifMemory cm = x.card.allocate(2 * KIB64)) {
            ByteBuffer hb = hm.buffer();
            ByteBuffer cb = cm.buffer();
            // Host: windows A [0, 64K) and B [64K, 128K), adjacent; R [128K, 192K) read-only.
            x.h.register(hb.slice(0, KIB64), 0, RW, Scif.MAP_FIXED);
            x.h.register(hb.slice(KIB64, KIB64), KIB64, RW, Scif.MAP_FIXED);
            x.h.register(hb.slice(2 * KIB64, KIB64), 2 * KIB64, Scif.PROT_READ, Scif.MAP_FIXED);
            // Card: windows [0, 64K) and [64K, 128K), adjacent.
            x.c.register(cb.slice(0, KIB64), 0, RW, Scif.MAP_FIXED);
            x.c.register(cb.slice(KIB64, KIB64), KIB64, RW, Scif.MAP_FIXED);
            EndpointRma rma = x.cardRma();
            fill(cb, 0, 2 * KIB64, 1);

            assertFalse(rma.copyWithin(true, 0, 4096, 0, Scif.RMA_USECPU), "nothing resolved yet: no cache");
            x.c.writeTo(0, 4096, 0, Scif.RMA_USECPU); // the general path fills the caches
            assertFilled(hb, 0, 4096, 1, "general path");
            fill(cb, 0, 4096 + 8192, 2);
            assertTrue(rma.copyWithin(true, 4096, 8192, 8192, Scif.RMA_USECPU), "inside window A and card window 0");
            assertFilled(hb, 8192, 8192, 2 + 4096 * 31, "fast writeTo");
            assertTrue(rma.copyWithin(false, 32768, 4096, 8192, Scif.RMA_USECPU | Scif.RMA_ORDERED), "ordered");
            assertFilled(cb, 32768, 4096, 2 + 4096 * 31, "fast readFrom");

            assertFalse(rma.copyWithin(true, 0, 8192, KIB64 - 4096, Scif.RMA_USECPU), "remote range spans A and B");
            fill(cb, 0, 8192, 3);
            x.c.writeTo(0, 8192, KIB64 - 4096, Scif.RMA_USECPU);
            assertFilled(hb, KIB64 - 4096, 8192, 3, "remote range across two windows");
            assertFalse(rma.copyWithin(false, KIB64 - 100, 200, 0, Scif.RMA_USECPU), "local range spans two windows");
            fill(hb, 0, 200, 4);
            x.c.readFrom(KIB64 - 100, 200, 0, Scif.RMA_USECPU);
            assertFilled(cb, KIB64 - 100, 200, 4, "local range across two windows");

            assertFalse(rma.copyWithin(true, 0, 4096, 0, 0), "a DMA RMA is not the fast path's");
            assertFalse(rma.copyWithin(true, 0, 0, 0, Scif.RMA_USECPU), "length 0");
            x.c.readFrom(0, 4096, 2 * KIB64, Scif.RMA_USECPU); // caches the read-only window
            assertFalse(rma.copyWithin(true, 0, 4096, 2 * KIB64, Scif.RMA_USECPU), "the window is read-only");
            assertEquals(Errno.EPERM, assertThrows(ScifException.class,
                () -> x.c.writeTo(0, 4096, 2 * KIB64, Scif.RMA_USECPU)).errno());
            assertEquals(Errno.ENXIO, assertThrows(ScifException.class,
                () -> x.c.writeTo(0, 4096, 3 * KIB64, Scif.RMA_USECPU)).errno(), "no window there");
            assertEquals(Errno.EINVAL, assertThrows(ScifException.class,
                () -> x.c.writeTo(0, 0, 0, Scif.RMA_USECPU)).errno(), "length 0");
            x.h.unregister(0, 3 * KIB64);
            x.c.unregister(0, 2 * KIB64);
        }
    }

    /**
     * A cached window unregistered, and another registered at the same offset (the entry
     * reused, its generation bumped): the fast path declines the old one, and copies land in
     * the new memory, on either side.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void cachesDoNotOutliveUnregisterOrReRegisterAtTheSameOffset() throws Exception {
        try (Fixture x = new Fixture();
             ScifMemory first = x.host.allocate(KIB64); ScifMemory second = x.host.allocate(KIB64);
             ScifMemory cFirst = x.card.allocate(KIB64); ScifMemory cSecond = x.card.allocate(KIB64)) {
            EndpointRma rma = x.cardRma();
            x.h.register(first.buffer(), 0, RW, Scif.MAP_FIXED);
            x.c.register(cFirst.buffer(), 0, RW, Scif.MAP_FIXED);
            fill(cFirst.buffer(), 0, 4096, 5);
            x.c.writeTo(0, 4096, 0, Scif.RMA_USECPU);
            assertTrue(rma.copyWithin(true, 0, 4096, 0, Scif.RMA_USECPU), "cached");

            x.h.unregister(0, KIB64);
            assertFalse(rma.copyWithin(true, 0, 4096, 0, Scif.RMA_USECPU), "the peer window is unregistered");
            assertEquals(Errno.ENXIO, assertThrows(ScifException.class,
                () -> x.c.writeTo(0, 4096, 0, Scif.RMA_USECPU)).errno());
            x.h.register(second.buffer(), 0, RW, Scif.MAP_FIXED);
            fill(first.buffer(), 0, 4096, 0);
            x.c.writeTo(0, 4096, 0, Scif.RMA_USECPU);
            assertFilled(second.buffer(), 0, 4096, 5, "the new peer window");
            fill(cFirst.buffer(), 0, 4096, 6);
            assertTrue(rma.copyWithin(true, 0, 4096, 0, Scif.RMA_USECPU), "the new window, cached");
            assertFilled(second.buffer(), 0, 4096, 6, "the new peer window, fast path");
            assertFilled(first.buffer(), 0, 4096, 0, "the old peer window is left alone");

            x.c.unregister(0, KIB64);
            assertFalse(rma.copyWithin(false, 0, 4096, 0, Scif.RMA_USECPU), "the local window is unregistered");
            assertEquals(Errno.ENXIO, assertThrows(ScifException.class,
                () -> x.c.readFrom(0, 4096, 0, Scif.RMA_USECPU)).errno());
            x.c.register(cSecond.buffer(), 0, RW, Scif.MAP_FIXED);
            fill(second.buffer(), 0, 4096, 7);
            fill(cFirst.buffer(), 0, 4096, 0);
            x.c.readFrom(0, 4096, 0, Scif.RMA_USECPU);
            assertTrue(rma.copyWithin(false, 0, 4096, 0, Scif.RMA_USECPU), "the new local window, cached");
            assertFilled(cSecond.buffer(), 0, 4096, 7, "the new local window");
            assertFilled(cFirst.buffer(), 0, 4096, 0, "the old local window is left alone");
            x.h.unregister(0, KIB64);
            x.c.unregister(0, KIB64);
        }
    }

    /**
     * Many threads copying through the fast path while a window is unregistered, on either
     * side: every copy ends before unregister returns or fails with ENXIO. Once unregister
     * returns the memory is cleared and then unmapped: a late copy would show in the cleared
     * bytes, or crash the JVM on the unmapped ones.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void unregisterRacingManyCopiersNeverLetsACopyLandAfterIt() throws Exception {
        int threads = 4;
        int chunk = 4096;
        try (Fixture x = new Fixture()) {
            for (int round = 0; round < 40; round++) {
                boolean peerSide = (round & 1) == 0; // even rounds: the host unregisters the target of writeTo
                ScifMemory target = (peerSide ? x.host : x.card).allocate(threads * chunk);
                try (ScifMemory other = (peerSide ? x.card : x.host).allocate(threads * chunk)) {
                    Endpoint owner = peerSide ? x.h : x.c;
                    (peerSide ? x.c : x.h).register(other.buffer(), 0, RW, Scif.MAP_FIXED);
                    owner.register(target.buffer(), 0, RW, Scif.MAP_FIXED);
                    fill(other.buffer(), 0, threads * chunk, round);
                    AtomicReference<Throwable> failure = new AtomicReference<>();
                    CountDownLatch copying = new CountDownLatch(threads);
                    List<Thread> copiers = new ArrayList<>();
                    for (int t = 0; t < threads; t++) {
                        long at = (long) t * chunk;
                        Thread th = new Thread(() -> copyUntilRefused(x.c, peerSide, at, chunk, copying, failure));
                        th.start();
                        copiers.add(th);
                    }
                    copying.await();
                    owner.unregister(0, threads * chunk);
                    ByteBuffer tb = target.buffer();
                    for (int i = 0; i < threads * chunk; i++) {
                        tb.put(i, (byte) 0);
                    }
                    for (int i = 0; i < 1000; i++) {
                        Thread.onSpinWait(); // a late copy would have time to land here
                    }
                    for (int i = 0; i < threads * chunk; i++) {
                        assertEquals(0, tb.get(i), "round " + round + ": byte " + i + " written after unregister");
                    }
                    target.close(); // unmapped: a copy still running would crash the JVM
                    for (Thread th : copiers) {
                        th.join();
                    }
                    assertNull(failure.get(), "round " + round);
                    (peerSide ? x.c : x.h).unregister(0, threads * chunk);
                } finally {
                    target.close();
                }
            }
        }
    }

    /** The card copies into the target window (writeTo to the host's, readFrom into its own) until refused with ENXIO. */
    private static void copyUntilRefused(Endpoint c, boolean write, long at, int chunk, CountDownLatch copying,
                                         AtomicReference<Throwable> failure) {
        try {
            while (true) {
                if (write) {
                    c.writeTo(at, chunk, at, Scif.RMA_USECPU);
                } else {
                    c.readFrom(at, chunk, at, Scif.RMA_USECPU);
                }
                copying.countDown();
            }
        } catch (ScifException e) {
            if (e.errno() != Errno.ENXIO) {
                failure.set(e);
            }
        } catch (Throwable e) {
            failure.set(e);
        } finally {
            copying.countDown();
        }
    }

    /** Once the peer closed, the fast path declines, and readFrom/writeTo fail with ECONNRESET. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void rmaAfterThePeerClosedFailsWithConnectionReset() throws Exception {
        try (Fixture x = new Fixture();
             ScifMemory hm = x.host.allocate(KIB64); ScifMemory cm = x.card.allocate(KIB64)) {
            x.h.register(hm.buffer(), 0, RW, Scif.MAP_FIXED);
            x.c.register(cm.buffer(), 0, RW, Scif.MAP_FIXED);
            EndpointRma rma = x.cardRma();
            x.c.writeTo(0, 4096, 0, Scif.RMA_USECPU);
            assertTrue(rma.copyWithin(false, 0, 4096, 0, Scif.RMA_USECPU), "cached");
            x.h.close();
            assertFalse(rma.copyWithin(true, 0, 4096, 0, Scif.RMA_USECPU), "the peer is gone");
            assertEquals(Errno.ECONNRESET, assertThrows(ScifException.class,
                () -> x.c.writeTo(0, 4096, 0, Scif.RMA_USECPU)).errno());
            assertEquals(Errno.ECONNRESET, assertThrows(ScifException.class,
                () -> x.c.readFrom(0, 4096, 0, Scif.RMA_USECPU)).errno());
            x.c.close();
            assertFalse(rma.copyWithin(true, 0, 4096, 0, Scif.RMA_USECPU), "this endpoint is closed");
            assertEquals(Errno.EBADF, assertThrows(ScifException.class,
                () -> x.c.writeTo(0, 4096, 0, Scif.RMA_USECPU)).errno());
        }
    }
}
