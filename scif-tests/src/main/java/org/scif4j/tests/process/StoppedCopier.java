package org.scif4j.tests.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.scif4j.Endpoint;
import org.scif4j.Scif;
import org.scif4j.ScifMemory;
import org.scif4j.ScifNode;

/**
 * An unregister racing a copy made by another process on an shm fabric (docs/shm-format.md,
 * "Copier records"): a child Java {@code shm:} node copies into a window of a node of this JVM
 * with {@code RMA_USECPU} and stops (SIGSTOP) inside its copy, once its copier record names the
 * window and it has seen the window active, before it writes a byte (crash point
 * {@value #STOP_POINT}); the window's owner here (Java {@code shm:}, or libscif through
 * {@code native:}) then unregisters the window. Resumed, the child's copy must land before the
 * owner's unregister returns; killed instead, the child must not keep the unregister waiting
 * for ever (its death disconnects the owner's endpoint, which ends the wait).
 *
 * <p>Without the owner's wait for copier records, its unregister returns as soon as it has marked
 * the window, while the child is still stopped, and the memory it reads then lacks the copy.
 */
public final class StoppedCopier {
    /** The Java shm transport's crash point inside a fast-path copy, after the entry's check. */
    public static final String STOP_POINT = "rma.copy-checked";
    private static final int SIZE = 65536;
    private static final int RW = Scif.PROT_READ | Scif.PROT_WRITE;
    private static final long SEED = 61;
    private static final Duration NOTICE = Duration.ofSeconds(30);

    private StoppedCopier() {
    }

    /**
     * Runs the scenario once.
     *
     * @param owner     a node of this JVM, owner of the window
     * @param fabricDir the fabric's directory, where the connection file is
     * @param copierUri the child's node, an {@code shm:} URI of the same fabric
     * @param kill      kill the stopped child instead of resuming it
     * @throws Exception when a step fails
     */
    public static void unregisterRacingAStoppedCopier(ScifNode owner, Path fabricDir, String copierUri, boolean kill)
        throws Exception {
        Endpoint listener = owner.open();
        int port = listener.bind(0);
        listener.listen(1);
        ExecutorService pool = Executors.newCachedThreadPool();
        try (PeerProcess child = PeerProcess.start(copierUri, List.of("-Dscif4j.shm.test.stopAt=" + STOP_POINT))) {
            Future<Map<String, String>> connected = pool.submit(() -> child.ok("connect " + owner.selfId() + " " + port));
            try (Endpoint ep = listener.accept(Scif.ACCEPT_SYNC); ScifMemory mem = owner.allocate(SIZE)) {
                connected.get(NOTICE.toSeconds(), TimeUnit.SECONDS);
                long ours = ep.register(mem.buffer(), 0, RW, 0);
                long theirs = Long.parseLong(child.ok("reg " + SIZE + " " + RW + " " + SEED).get("offset"));
                byte[] pattern = PeerMain.randomBytes(SEED, SIZE);
                String writeTo = "writeto " + theirs + " " + SIZE + " " + ours + " " + (Scif.RMA_USECPU | Scif.RMA_SYNC);
                child.ok(writeTo); // resolves both windows (the general path), so the next one takes the fast path
                assertEquals(-1, mismatch(mem.buffer(), pattern), "the child's first writeTo");
                mem.buffer().put(0, new byte[SIZE]);
                Future<String> copy = pool.submit(() -> child.call(writeTo));
                awaitStopped(child);
                Future<Integer> unregistered = pool.submit(() -> {
                    ep.unregister(ours, SIZE);
                    return mismatch(mem.buffer(), pattern); // at once: what the window holds when unregister returns
                });
                awaitMarked(fabricDir, unregistered);
                if (kill) {
                    child.kill();
                    assertTimeoutPreemptively(NOTICE, () -> unregistered.get(),
                        "the unregister ends although the killed copier's record names the window");
                    copy.cancel(true);
                    return;
                }
                new ProcessBuilder("kill", "-CONT", Long.toString(child.pid())).start().waitFor();
                int first = assertTimeoutPreemptively(NOTICE, () -> unregistered.get(), "the unregister ends");
                assertEquals(-1, first, "the window when unregister returned: the copy that had seen it"
                    + " registered must have landed before (first byte that differs)");
                assertEquals("OK", copy.get(NOTICE.toSeconds(), TimeUnit.SECONDS), "the child's copy");
            }
        } finally {
            listener.close();
            pool.shutdownNow();
        }
    }

    private static int mismatch(ByteBuffer mem, byte[] expected) {
        byte[] now = new byte[expected.length];
        mem.get(0, now);
        return java.util.Arrays.mismatch(now, expected);
    }

    /** Waits until the child is stopped at the crash point (state T in /proc). */
    private static void awaitStopped(PeerProcess child) throws Exception {
        Path stat = Path.of("/proc", Long.toString(child.pid()), "stat");
        for (int i = 0; i < 30_000; i++) {
            String s = Files.readString(stat);
            char state = s.charAt(s.lastIndexOf(')') + 2);
            if (state == 'T' || state == 't') {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(1); // polling the child's state: no ordering relies on the pause
        }
        fail("the child never stopped at " + STOP_POINT + child.describe());
    }

    /**
     * Waits until the owner has marked its window unregistered (entry 0 of the acceptor's
     * window table in the connection file reads state 2), or its unregister has returned.
     */
    private static void awaitMarked(Path fabricDir, Future<?> unregistered) throws Exception {
        Path conn;
        try (Stream<Path> files = Files.list(fabricDir)) {
            conn = files.filter(p -> p.getFileName().toString().startsWith("conn-")).findFirst().orElseThrow();
        }
        try (FileChannel ch = FileChannel.open(conn, StandardOpenOption.READ)) {
            int ring = readInt(ch, 12); // docs/shm-format.md: conn-ID, ring size R
            long entry = 4096 + 2L * (4096 + 2L * ring) + 65536; // side 1's window table, entry 0
            for (int i = 0; i < 30_000 && !unregistered.isDone(); i++) {
                if (readInt(ch, entry) == 2) {
                    return;
                }
                TimeUnit.MILLISECONDS.sleep(1); // polling shared state: no ordering relies on the pause
            }
        }
        if (!unregistered.isDone()) {
            fail("the owner never marked its window unregistered");
        }
    }

    private static int readInt(FileChannel ch, long at) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder());
        while (b.hasRemaining() && ch.read(b, at + b.position()) >= 0) {
            // read the 4 bytes
        }
        return b.getInt(0);
    }
}
