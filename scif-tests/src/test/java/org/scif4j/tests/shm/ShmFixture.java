package org.scif4j.tests.shm;

import java.util.List;
import org.scif4j.tests.FabricDirectoryFixture;

/**
 * The shared-memory transport's fixture: each test gets the fabric
 * {@code shm:<unique-name>?node=N}, which lives in {@code /dev/shm/scif4j/<unique-name>}; the
 * fabric has left nothing behind when that directory is gone.
 */
public final class ShmFixture extends FabricDirectoryFixture {
    @Override
    public String transportName() {
        return "shm";
    }

    @Override
    public String fabricUri(int node, String extraOptions) {
        return "shm:" + fabricName + "?node=" + node
            + (extraOptions == null || extraOptions.isEmpty() ? "" : "&" + extraOptions);
    }

    /** The futex interrupt watcher: one daemon thread per JVM (InterruptWatcher's Javadoc). */
    @Override
    public List<String> jvmWideThreadPrefixes() {
        return List.of("scif4j-interrupt-watcher");
    }
}
