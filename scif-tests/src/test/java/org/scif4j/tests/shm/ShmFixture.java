package org.scif4j.tests.shm;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.scif4j.tests.FabricDirectoryFixture;

/**
 * The shared-memory transport's fixture: each test gets the fabric
 * {@code shm:<unique-name>?node=N}, which lives in {@code /dev/shm/scif4j/<unique-name>}; the
 * fabric has left nothing behind when that directory is gone.
 */
public final class ShmFixture extends FabricDirectoryFixture {
    /** The transport's default fabric directory. */
    public static final Path DIR = Path.of("/dev/shm/scif4j");

    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final String name = "t" + ProcessHandle.current().pid() + "x"
        + COUNTER.incrementAndGet() + "r" + Integer.toHexString(ThreadLocalRandom.current()
        .nextInt(0x1000, 0x10000));

    @Override
    public String transportName() {
        return "shm";
    }

    @Override
    public String fabricUri(int node, String extraOptions) {
        return "shm:" + name + "?node=" + node
            + (extraOptions == null || extraOptions.isEmpty() ? "" : "&" + extraOptions);
    }

    /** The futex interrupt watcher: one daemon thread per JVM (InterruptWatcher's Javadoc). */
    @Override
    public List<String> jvmWideThreadPrefixes() {
        return List.of("scif4j-interrupt-watcher");
    }

    @Override
    public Path fabricDir() {
        return DIR.resolve(name);
    }
}
