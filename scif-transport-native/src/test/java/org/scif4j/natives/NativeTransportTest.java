package org.scif4j.natives;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Mapping;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifMemory;
import org.scif4j.ScifNode;

/**
 * The native transport on the emulated libscif, beside a shm: node of the same fabric: the
 * one-node-per-JVM rule, re-attach after close, messaging and RMA both ways, mappings that
 * outlive their close, and blocking calls ended by interrupt and by close.
 */
class NativeTransportTest {
    private final String fabric = "nt" + ProcessHandle.current().pid() + "r"
        + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000));

    private String nativeUri(int node) {
        return "native:?lib=emulated&fabric=" + fabric + "&node=" + node;
    }

    @AfterEach
    void fabricGone() {
        assertFalse(Files.exists(Path.of("/dev/shm/scif4j", fabric)), "fabric directory left behind");
    }

    @Test
    void oneNativeNodePerJvmThenAnotherAfterClose() throws Exception {
        try (ScifNode a = Scif.attach(nativeUri(0))) {
            assertEquals(0, a.selfId());
            ScifException e = assertThrows(ScifException.class, () -> Scif.attach(nativeUri(1)));
            assertEquals(Errno.EBUSY, e.errno());
            assertTrue(e.getMessage().contains("shm:"), e.getMessage());
        }
        try (ScifNode b = Scif.attach(nativeUri(2))) {
            assertEquals(2, b.selfId());
            assertArrayEquals(new int[] {2}, b.nodeIds().online());
        }
    }

    /**
     * One thread's send and recv on two nodes one after the other: each node loads its own copy
     * of the library, whose per-thread block binding (Scratch, scif4j_io_bind) starts empty, so
     * the thread binds again.
     */
    @Test
    void aThreadMovesMessagesOnANodeThatReplacedItsFirst() throws Exception {
        for (int node = 0; node < 2; node++) {
            try (ScifNode n = Scif.attach(nativeUri(node))) {
                Endpoint listener = n.open();
                int port = listener.bind(0);
                listener.listen(1);
                Endpoint c = n.open();
                CompletableFuture<Endpoint> accepted = CompletableFuture.supplyAsync(() -> {
                    try {
                        return listener.accept(Scif.ACCEPT_SYNC);
                    } catch (ScifException x) {
                        throw new RuntimeException(x);
                    }
                });
                c.connect(new PortId(node, port));
                Endpoint a = accepted.get(30, TimeUnit.SECONDS);
                ByteBuffer out = ByteBuffer.allocateDirect(8).putLong(0, 42L + node);
                ByteBuffer in = ByteBuffer.allocateDirect(8);
                assertEquals(8, c.send(out, Scif.SEND_BLOCK));
                assertEquals(8, a.recv(in, Scif.RECV_BLOCK));
                assertEquals(42L + node, in.getLong(0));
                in.clear();
                assertEquals(8, a.send(ByteBuffer.wrap(new byte[8]).putLong(0, 7L), Scif.SEND_BLOCK));
                assertEquals(8, c.recv(in, Scif.RECV_BLOCK));
                assertEquals(7L, in.getLong(0));
                listener.close();
            }
        }
    }

    @Test
    void availabilityNamesWhatIsMissingAndTheEmulatedLibrary() {
        String why = new NativeTransport().unavailabilityCause();
        boolean system = Files.exists(Path.of("/dev/scif")) || Files.exists(Path.of("/dev/mic/scif"));
        if (!system && why == null) {
            // Only scif4j's own library, found under the system name (a test of this JVM loaded
            // it so), runs without a driver.
            assertTrue(Library.exportsDetach(com.sun.jna.NativeLibrary.getInstance(Library.SYSTEM)),
                "libscif.so.0 resolves to a library that needs no driver");
        } else if (!system) { // no SCIF driver here: the system library cannot run, and the emulated one can
            assertNotNull(why);
            assertTrue(why.contains("libscif.so.0"), why);
            assertTrue(why.contains("lib=emulated can run here"), why);
        }
    }

    @Test
    void theDriversLibraryRefusesFabricOptions() {
        // lib=PATH naming scif4j's library takes them; naming a library without scif4j_detach does not
        ScifException e = assertThrows(ScifException.class, () -> Scif.attach("native:?lib=libc.so.6&node=1"));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("driver"), e.getMessage());
    }

    /**
     * An option scif4j's library refuses (it checks the shm options itself) is EINVAL, and the
     * message says which and what it expects, from the library's own words.
     */
    @Test
    void aBadOptionTheLibraryRefusesIsNamedInTheMessage() {
        for (String[] bad : new String[][] {{"ring=5000", "power of two"}, {"wait=often", "adaptive"},
            {"timeout=0", "out of range"}, {"dir=relative", "absolute"}}) {
            ScifException e = assertThrows(ScifException.class, () -> Scif.attach(nativeUri(0) + "&" + bad[0]));
            assertEquals(Errno.EINVAL, e.errno(), bad[0]);
            assertTrue(e.getMessage().contains(bad[0]) && e.getMessage().contains(bad[1]), e.getMessage());
        }
    }

    @Test
    void unknownOptionIsRefused() {
        ScifException e = assertThrows(ScifException.class, () -> Scif.attach(nativeUri(0) + "&colour=red"));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("colour"), e.getMessage());
    }

    @Test
    void messagesAndRmaBetweenNativeAndShm() throws Exception {
        try (ScifNode n = Scif.attach(nativeUri(0)); ScifNode s = Scif.attach("shm:" + fabric + "?node=1")) {
            assertArrayEquals(new int[] {0, 1}, n.nodeIds().online());
            Endpoint listener = s.open();
            int port = listener.bind(0);
            listener.listen(1);
            Endpoint c = n.open();
            CompletableFuture<Endpoint> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return listener.accept(Scif.ACCEPT_SYNC);
                } catch (ScifException x) {
                    throw new RuntimeException(x);
                }
            });
            c.connect(new PortId(1, port));
            Endpoint a = accepted.get(30, TimeUnit.SECONDS);
            assertEquals(new PortId(1, port), c.peerPort());

            // heap out, direct in, and back
            byte[] msg = "hello from native".getBytes();
            assertEquals(msg.length, c.send(ByteBuffer.wrap(msg), Scif.SEND_BLOCK));
            ByteBuffer in = ByteBuffer.allocateDirect(msg.length);
            assertEquals(msg.length, a.recv(in, Scif.RECV_BLOCK));
            assertArrayEquals(msg, bytes(in.flip()));
            a.send(ByteBuffer.wrap(msg), Scif.SEND_BLOCK);
            byte[] back = new byte[msg.length];
            assertEquals(msg.length, c.recv(ByteBuffer.wrap(back), Scif.RECV_BLOCK));
            assertArrayEquals(msg, back);

            // RMA: the shm side registers a window, the native side writes, reads and maps it
            try (ScifMemory win = s.allocate(8192); ScifMemory local = n.allocate(8192)) {
                long off = a.register(win.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
                long loff = c.register(local.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
                local.buffer().putLong(0, 0x1122334455667788L);
                c.writeTo(loff, 4096, off, 0);
                c.fenceWait(c.fenceMark(Scif.FENCE_INIT_SELF));
                assertEquals(0x1122334455667788L, win.buffer().getLong(0));
                ByteBuffer v = ByteBuffer.allocate(4096).order(win.buffer().order());
                win.buffer().putInt(4096, 42);
                c.vreadFrom(v, off + 4096, 0);
                assertEquals(42, v.getInt(0));
                Mapping m = c.mmap(off, 8192, Scif.PROT_READ | Scif.PROT_WRITE);
                m.buffer().putInt(100, 7);
                assertEquals(7, win.buffer().getInt(100));
                m.close();
                m.buffer().putInt(100, 9); // never faults after close
                assertEquals(7, win.buffer().getInt(100));
                c.unregister(loff, 8192);
                a.unregister(off, 8192);
            }
            a.close();
            ScifException reset = assertThrows(ScifException.class,
                () -> c.recv(ByteBuffer.allocate(1), Scif.RECV_BLOCK));
            assertEquals(Errno.ECONNRESET, reset.errno());
            c.close();
            listener.close();
        }
    }

    /**
     * The library refuses memory it cannot share with peers with EFAULT for one of several
     * reasons (here: a region that contains a smaller registered one, which it cannot move into a
     * file of its own); the exception says which, not just "libscif returned EFAULT".
     */
    @Test
    void registerSaysWhyTheLibraryRefusedTheMemory() throws Exception {
        try (ScifNode n = Scif.attach(nativeUri(0)); ScifNode s = Scif.attach("shm:" + fabric + "?node=1");
             NativeToShm pair = connectToShm(n, s)) {
            Endpoint c = pair.nativeEnd();
            try (ScifMemory m = n.allocate(4 * 4096)) {
                int rw = Scif.PROT_READ | Scif.PROT_WRITE;
                c.register(m.buffer().slice(4096, 4096), 0, rw, 0);
                ScifException e = assertThrows(ScifException.class, () -> c.register(m.buffer(), 0, rw, 0));
                assertEquals(Errno.EFAULT, e.errno());
                assertTrue(e.getMessage().startsWith("register(") && e.getMessage().contains("smaller registered region"),
                    "the message names the call and the library's reason: " + e.getMessage());
            }
        }
    }

    @Test
    void blockedRecvEndsWithEintrOnInterruptAndOnClose() throws Exception {
        try (ScifNode n = Scif.attach(nativeUri(0)); ScifNode s = Scif.attach("shm:" + fabric + "?node=1");
             NativeToShm pair = connectToShm(n, s)) {
            Endpoint c = pair.nativeEnd();
            assertEquals(Errno.EINTR, blockedThenEnded(c, Thread::interrupt).errno());
            ScifException closed = blockedThenEnded(c, t -> c.close());
            assertEquals(Errno.EINTR, closed.errno());
            assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
        }
    }

    /**
     * libscif's default ring is the Java transport's, 16 MiB: a non-blocking send from a native
     * connector (which sizes the connection) to a reader that does not read moves 16 MiB less
     * one byte.
     */
    @Test
    void theLibrarysDefaultRingHoldsSixteenMiBLessOneByte() throws Exception {
        try (ScifNode n = Scif.attach(nativeUri(0)); ScifNode s = Scif.attach("shm:" + fabric + "?node=1");
             NativeToShm pair = connectToShm(n, s)) {
            assertEquals((16 << 20) - 1, pair.nativeEnd().send(ByteBuffer.allocateDirect(32 << 20), 0),
                "a non-blocking send to an empty ring of the library's default size");
        }
    }

    /** A native endpoint connected to a listener of an shm node; closing closes all three (close is idempotent). */
    private record NativeToShm(Endpoint nativeEnd, Endpoint accepted, Endpoint listener) implements AutoCloseable {
        @Override
        public void close() {
            accepted.close();
            nativeEnd.close();
            listener.close();
        }
    }

    /** Connects an endpoint of the native node {@code n} to a listener of the shm node {@code s} (node 1). */
    private static NativeToShm connectToShm(ScifNode n, ScifNode s) throws Exception {
        Endpoint listener = s.open();
        int port = listener.bind(0);
        listener.listen(1);
        CompletableFuture<Endpoint> accepted = CompletableFuture.supplyAsync(() -> {
            try {
                return listener.accept(Scif.ACCEPT_SYNC);
            } catch (ScifException x) {
                throw new RuntimeException(x);
            }
        });
        Endpoint c = n.open();
        c.connect(new PortId(1, port));
        return new NativeToShm(c, accepted.get(30, TimeUnit.SECONDS), listener);
    }

    /** Starts a blocking recv on another thread, waits until it is inside, ends it with {@code how}. */
    private static ScifException blockedThenEnded(Endpoint c, java.util.function.Consumer<Thread> how)
        throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<ScifException> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            started.countDown();
            try {
                c.recv(ByteBuffer.allocateDirect(8), Scif.RECV_BLOCK);
                result.complete(null);
            } catch (ScifException e) {
                result.complete(e);
            }
        });
        t.start();
        started.await();
        while (t.getState() == Thread.State.RUNNABLE && !inPoll(t)) {
            Thread.onSpinWait(); // until the thread is inside the blocking call
        }
        how.accept(t);
        ScifException e = result.get(30, TimeUnit.SECONDS);
        t.join();
        assertNotNull(e, "recv returned instead of failing");
        return e;
    }

    /** Whether t waits inside the library: in scif_poll, or in the timed recv of scif4j's library. */
    private static boolean inPoll(Thread t) {
        for (StackTraceElement f : t.getStackTrace()) {
            String m = f.getMethodName();
            if (m.equals("scif_poll") || m.equals("scif4j_io") || m.equals("scif4j_io_bound")) {
                return true;
            }
        }
        return false;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
