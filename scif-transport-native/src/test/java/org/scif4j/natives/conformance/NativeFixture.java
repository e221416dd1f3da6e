package org.scif4j.natives.conformance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.scif4j.tests.TransportFixture;

/**
 * The native transport's fixture, on the emulated libscif: node 0 of each test's fabric is
 * {@code native:?lib=emulated&fabric=<unique-name>&node=0}, and every other node is a
 * {@code shm:} node of the same fabric, because a JVM holds one native node at a time and the
 * two implementations share one format. The fabric lives in
 * {@code /dev/shm/scif4j/<unique-name>} and has left nothing behind when that directory is gone.
 */
public final class NativeFixture extends TransportFixture {
    /** The transport's default fabric directory. */
    public static final Path DIR = Path.of("/dev/shm/scif4j");

    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final String name = "t" + ProcessHandle.current().pid() + "x"
        + COUNTER.incrementAndGet() + "r" + Integer.toHexString(ThreadLocalRandom.current()
        .nextInt(0x1000, 0x10000));

    @Override
    public String transportName() {
        return "native";
    }

    @Override
    public String fabricUri(int node, String extraOptions) {
        String extra = extraOptions == null || extraOptions.isEmpty() ? "" : "&" + extraOptions;
        return node == 0 ? "native:?lib=emulated&fabric=" + name + "&node=0" + extra
            : "shm:" + name + "?node=" + node + extra;
    }

    /** The shm transport's futex interrupt watcher and the native memory's cleaner: one each per JVM. */
    @Override
    public List<String> jvmWideThreadPrefixes() {
        return List.of("scif4j-interrupt-watcher", "Cleaner-");
    }

    /** @return where this test's fabric lives */
    public Path fabricDir() {
        return DIR.resolve(name);
    }

    @Override
    public void assertNoLeftovers() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (Files.exists(fabricDir())) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("fabric directory " + fabricDir()
                    + " still exists after every node was closed; it holds " + contents());
            }
            try {
                TimeUnit.MILLISECONDS.sleep(10); // polling a condition with a deadline
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while checking " + fabricDir(), e);
            }
        }
    }

    @Override
    public void removeLeftovers() {
        Path dir = fabricDir();
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private List<String> contents() {
        try (Stream<Path> s = Files.walk(fabricDir())) {
            return s.map(p -> fabricDir().relativize(p).toString()).collect(Collectors.toList());
        } catch (IOException e) {
            return List.of("(unreadable: " + e + ")");
        }
    }
}
