package org.scif4j.tests;

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

/**
 * A fixture whose fabric lives in one directory (the shm format, whichever implementation
 * writes it): each test gets a fabric of its own name in the default directory
 * {@code /dev/shm/scif4j}, and the fabric has left nothing behind when its directory is gone.
 */
public abstract class FabricDirectoryFixture extends TransportFixture {
    /** The default fabric directory of the shm format, where a fabric named without dir= lives. */
    public static final Path DIR = Path.of("/dev/shm/scif4j");

    private static final AtomicInteger COUNTER = new AtomicInteger();

    /** This test's fabric name: unique in this JVM, and across the JVMs of a run by the pid. */
    protected final String fabricName = "t" + ProcessHandle.current().pid() + "x"
        + COUNTER.incrementAndGet() + "r" + Integer.toHexString(ThreadLocalRandom.current()
        .nextInt(0x1000, 0x10000));

    /** @return where this test's fabric lives */
    public Path fabricDir() {
        return DIR.resolve(fabricName);
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
