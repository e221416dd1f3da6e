package org.scif4j.shm;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Mapping;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifMemory;
import org.scif4j.ScifNode;

/** RMA paths of the shm transport, one JVM: windows from allocate and from plain direct buffers. */
public class ShmRmaSmokeTest {
    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

    /**
     * Connects an endpoint of {@code b} to a listener of {@code a}, from one thread.
     *
     * @return the accepted endpoint (of {@code a}), then the connector (of {@code b})
     */
    public static Endpoint[] pair(ScifNode a, ScifNode b) throws ScifException {
        Endpoint l = a.open();
        int port = l.bind(0);
        l.listen(1);
        Endpoint c = b.open();
        c.configureBlocking(false);
        try {
            c.connect(new PortId(a.selfId(), port));
        } catch (ScifException e) {
            assertEquals(Errno.EINPROGRESS, e.errno());
        }
        Endpoint s = l.accept(Scif.ACCEPT_SYNC);
        c.connect(new PortId(a.selfId(), port));
        l.close();
        return new Endpoint[] {s, c};
    }

    @Test
    void writeReadFenceSignalAndMmap() throws Exception {
        String name = "rma" + ProcessHandle.current().pid() + "x" + System.nanoTime();
        try (ScifNode host = Scif.attach("shm:" + name + "?node=0&dma=2");
             ScifNode card = Scif.attach("shm:" + name + "?node=1&dma=2")) {
            Endpoint[] p = pair(host, card);
            Endpoint h = p[0];
            Endpoint c = p[1];
            int size = 8 << 20;
            ScifMemory hm = host.allocate(size);
            ByteBuffer cb = ByteBuffer.allocateDirect(size + 4096).alignedSlice(4096); // migrated, not allocated
            long hOff = h.register(hm.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
            long cOff = c.register(cb, 0x100000, Scif.PROT_READ | Scif.PROT_WRITE, Scif.MAP_FIXED);
            assertEquals(0x100000, cOff);
            for (int i = 0; i < size; i++) {
                cb.put(i, (byte) (i * 7));
            }
            // card writes its buffer into the host's window: CPU, then DMA with a fence
            c.writeTo(cOff, size, hOff, Scif.RMA_USECPU);
            assertEquals((byte) (12345 * 7), hm.buffer().get(12345));
            hm.buffer().put(12345, (byte) 0);
            c.writeTo(cOff, size, hOff, 0);
            c.fenceWait(c.fenceMark(Scif.FENCE_INIT_SELF));
            for (int i = 0; i < size; i += 4093) {
                assertEquals((byte) (i * 7), hm.buffer().get(i), "byte " + i);
            }
            // the host reads back part of the card's buffer with vreadFrom into a heap buffer
            ByteBuffer heap = ByteBuffer.allocate(10000);
            h.vreadFrom(heap, cOff + 1000, Scif.RMA_SYNC);
            assertEquals((byte) (1000 * 7), heap.get(0));
            // fence signal: after a DMA write, the flag appears in the host's window
            c.writeTo(cOff, 4 << 20, hOff, 0);
            c.fenceSignal(0, 0, hOff + size - 8, 42, Scif.FENCE_INIT_SELF | Scif.SIGNAL_REMOTE);
            ByteBuffer hb = hm.buffer();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while ((long) LONGS.getVolatile(hb, size - 8) != 42) {
                assertTrue(System.nanoTime() < deadline, "signal never came");
                Thread.onSpinWait();
            }
            // INIT_PEER mark is negative
            assertTrue(h.fenceMark(Scif.FENCE_INIT_PEER) < 0);
            // mmap of the card's (migrated) window from the host: the same memory
            try (Mapping m = h.mmap(cOff, 8192, Scif.PROT_READ | Scif.PROT_WRITE)) {
                ByteBuffer mb = m.buffer();
                assertEquals((byte) (100 * 7), mb.get(100));
                LONGS.setVolatile(mb, 0, 77L);
                assertEquals(77L, (long) LONGS.getVolatile(cb, 0), "store through the mapping is in the card's buffer");
                assertTrue(LONGS.compareAndSet(cb, 8, LONGS.get(cb, 8), 5L));
                assertEquals(5L, (long) LONGS.getVolatile(mb, 8));
            }
            // errors
            assertEquals(Errno.ENXIO, assertThrows(ScifException.class, () -> c.writeTo(cOff, 8, hOff + size, 0)).errno());
            assertEquals(Errno.EINVAL, assertThrows(ScifException.class, () -> c.writeTo(cOff, 0, hOff, 0)).errno());
            c.unregister(cOff, size);
            assertEquals(Errno.ENXIO, assertThrows(ScifException.class, () -> h.readFrom(hOff, 8, cOff, 0)).errno());
            assertEquals((byte) (5000 * 7), cb.get(5000), "unregister gives the buffer back with its data");
            h.close();
            c.close();
            hm.close();
        }
        assertFalse(Files.exists(Path.of("/dev/shm/scif4j", name)));
    }

    /**
     * A DMA RMA small enough to be copied by the calling thread still completes after the
     * endpoint's operations queued before it: a 4 KiB write issued right behind a 16 MiB one to
     * the same bytes must land last. Each RMA, copied by the caller or by the channel, takes
     * the next sequence number, so INIT_SELF marks count them, and a fence covers them all.
     */
    @Test
    void dmaRmasCompleteInOrderWhetherQueuedOrCopiedByTheCaller() throws Exception {
        String name = "rmaorder" + ProcessHandle.current().pid() + "x" + System.nanoTime();
        try (ScifNode host = Scif.attach("shm:" + name + "?node=0&dma=2");
             ScifNode card = Scif.attach("shm:" + name + "?node=1&dma=2")) {
            Endpoint[] p = pair(host, card);
            Endpoint h = p[0];
            Endpoint c = p[1];
            int big = 16 << 20;
            int small = 4096;
            try (ScifMemory hm = host.allocate(big); ScifMemory cm = card.allocate(big + small)) {
                long hOff = h.register(hm.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
                long cOff = c.register(cm.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
                ByteBuffer cb = cm.buffer();
                for (int i = 0; i < big; i += 4096) {
                    cb.put(i, (byte) 1); // the big write's bytes
                }
                for (int i = 0; i < small; i++) {
                    cb.put(big + i, (byte) 2); // the small write's
                }
                ByteBuffer hb = hm.buffer();
                for (int round = 0; round < 20; round++) {
                    int before = c.fenceMark(Scif.FENCE_INIT_SELF);
                    c.writeTo(cOff, big, hOff, 0);
                    c.writeTo(cOff + big, small, hOff, 0);
                    assertEquals(before + 2, c.fenceMark(Scif.FENCE_INIT_SELF), "one sequence number per RMA");
                    c.fenceWait(c.fenceMark(Scif.FENCE_INIT_SELF));
                    assertEquals(2, hb.get(0), "round " + round + ": the small write landed before the big one");
                    c.writeTo(cOff + big, small, hOff + 8192, 0); // nothing queued: copied by this thread
                    int mark = c.fenceMark(Scif.FENCE_INIT_SELF);
                    assertEquals(before + 3, mark);
                    c.fenceWait(mark);
                    assertEquals(2, hb.get(8192));
                    hb.put(0, (byte) 0);
                    hb.put(8192, (byte) 0);
                }
                h.unregister(hOff, big);
                c.unregister(cOff, big + small);
            }
            h.close();
            c.close();
        }
    }

    /** Mappings of this process onto files of fabric {@code name}. */
    private static long memMappings(String name) throws java.io.IOException {
        try (java.util.stream.Stream<String> lines = Files.lines(Path.of("/proc/self/maps"))) {
            return lines.filter(l -> l.contains("/scif4j/" + name + "/mem-")).count();
        }
    }

    /**
     * A peer window this side mapped for an RMA is unmapped once the peer unregistered it and
     * no transfer references it: the next RMA's lookup finds it retired and unreferenced.
     */
    @Test
    void aPeerWindowsMappingGoesOnceThePeerUnregisteredIt() throws Exception {
        String name = "rmaunmap" + ProcessHandle.current().pid() + "x" + System.nanoTime();
        try (ScifNode host = Scif.attach("shm:" + name + "?node=0");
             ScifNode card = Scif.attach("shm:" + name + "?node=1")) {
            Endpoint[] p = pair(host, card);
            Endpoint h = p[0];
            Endpoint c = p[1];
            try (ScifMemory first = host.allocate(1 << 20); ScifMemory second = host.allocate(1 << 20);
                 ScifMemory cm = card.allocate(1 << 20)) {
                long cOff = c.register(cm.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
                long h1 = h.register(first.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
                long h2 = h.register(second.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
                long before = memMappings(name);
                c.writeTo(cOff, 4096, h1, Scif.RMA_USECPU);
                c.writeTo(cOff, 4096, h2, 0);
                c.fenceWait(c.fenceMark(Scif.FENCE_INIT_SELF));
                assertEquals(before + 2, memMappings(name), "the card maps both host windows");
                h.unregister(h1, 1 << 20);
                assertEquals(Errno.ENXIO, assertThrows(ScifException.class,
                    () -> c.writeTo(cOff, 4096, h1, Scif.RMA_USECPU)).errno());
                c.writeTo(cOff, 4096, h2, Scif.RMA_USECPU);
                assertEquals(before + 1, memMappings(name), "the unregistered window's mapping is gone");
                h.unregister(h2, 1 << 20);
                c.unregister(cOff, 1 << 20);
            }
            h.close();
            c.close();
        }
    }

    /**
     * A CPU readFrom holds no reference on its local window: unregister waits for it through
     * the endpoint's copy guard instead. Once unregister returns, no copy lands in the memory
     * any more: a racing thread's readFrom into the window either completed before or fails
     * with ENXIO, and the bytes cleared after unregister stay clear.
     */
    @Test
    void unregisterWaitsForCpuCopiesIntoTheWindow() throws Exception {
        String name = "rmaguard" + ProcessHandle.current().pid() + "x" + System.nanoTime();
        int size = 1 << 20;
        try (ScifNode host = Scif.attach("shm:" + name + "?node=0");
             ScifNode card = Scif.attach("shm:" + name + "?node=1")) {
            Endpoint[] p = pair(host, card);
            Endpoint h = p[0];
            Endpoint c = p[1];
            try (ScifMemory hm = host.allocate(size); ScifMemory cm = card.allocate(size)) {
                ByteBuffer hb = hm.buffer();
                for (int i = 0; i < size; i += 64) {
                    hb.put(i, (byte) 9);
                }
                long hOff = h.register(hm.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
                ByteBuffer cb = cm.buffer();
                for (int round = 0; round < 30; round++) {
                    long cOff = c.register(cm.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
                    java.util.concurrent.atomic.AtomicReference<Throwable> failure =
                        new java.util.concurrent.atomic.AtomicReference<>();
                    java.util.concurrent.CountDownLatch copying = new java.util.concurrent.CountDownLatch(1);
                    Thread reader = new Thread(() -> {
                        try {
                            while (true) {
                                c.readFrom(cOff, size, hOff, Scif.RMA_USECPU);
                                copying.countDown();
                            }
                        } catch (ScifException e) {
                            if (e.errno() != Errno.ENXIO) {
                                failure.set(e);
                            }
                        } finally {
                            copying.countDown();
                        }
                    });
                    reader.start();
                    copying.await();
                    c.unregister(cOff, size);
                    for (int i = 0; i < size; i += 64) {
                        cb.put(i, (byte) 0);
                    }
                    reader.join();
                    assertNull(failure.get());
                    for (int i = 0; i < size; i += 64) {
                        assertEquals(0, cb.get(i), "round " + round + ": byte " + i + " written after unregister");
                    }
                }
                h.unregister(hOff, size);
            }
            h.close();
            c.close();
        }
    }
}
