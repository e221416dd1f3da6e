package org.scif4j.natives.conformance;

import java.util.List;
import org.scif4j.tests.FabricDirectoryFixture;

/**
 * The native transport's fixture, on the emulated libscif: node 0 of each test's fabric is
 * {@code native:?lib=emulated&fabric=<unique-name>&node=0}, and every other node is a
 * {@code shm:} node of the same fabric, because a JVM holds one native node at a time and the
 * two implementations share one format. The fabric lives in
 * {@code /dev/shm/scif4j/<unique-name>} and has left nothing behind when that directory is gone.
 */
public final class NativeFixture extends FabricDirectoryFixture {
    @Override
    public String transportName() {
        return "native";
    }

    @Override
    public String fabricUri(int node, String extraOptions) {
        String extra = extraOptions == null || extraOptions.isEmpty() ? "" : "&" + extraOptions;
        return node == 0 ? "native:?lib=emulated&fabric=" + fabricName + "&node=0" + extra
            : "shm:" + fabricName + "?node=" + node + extra;
    }

    /** The shm transport's futex interrupt watcher and the native memory's cleaner: one each per JVM. */
    @Override
    public List<String> jvmWideThreadPrefixes() {
        return List.of("scif4j-interrupt-watcher", "Cleaner-");
    }
}
