package org.scif4j.shm.internal;

import java.util.ArrayList;
import java.util.List;
import org.scif4j.Errno;
import org.scif4j.ScifException;

/**
 * Checks that the JVM was started with the flags Chronicle needs on Java 17, so that a
 * missing flag is reported by name at attach instead of as a stack trace from deep inside the
 * library. The flags themselves are written once, in the root pom's {@code scif.jvm.flags}.
 */
public final class JvmAccess {
    /** Packages of java.base that must be open to the class path (deep reflection). */
    private static final String[] OPENS = {"java.lang.reflect", "sun.nio.ch"};
    /** Packages of java.base that must be exported to the class path. */
    private static final String[] EXPORTS = {"jdk.internal.ref"};

    private JvmAccess() {
    }

    /** @return the command-line flags that are missing from this JVM; empty when all are there */
    public static List<String> missingFlags() {
        Module base = Object.class.getModule();
        Module us = JvmAccess.class.getModule();
        List<String> missing = new ArrayList<>();
        for (String pkg : OPENS) {
            if (!base.isOpen(pkg, us)) {
                missing.add("--add-opens=java.base/" + pkg + "=ALL-UNNAMED");
            }
        }
        for (String pkg : EXPORTS) {
            if (!base.isExported(pkg, us)) {
                missing.add("--add-exports=java.base/" + pkg + "=ALL-UNNAMED");
            }
        }
        return missing;
    }

    /**
     * @param call the call to name in the error
     * @throws ScifException ENODEV naming every missing flag
     */
    public static void require(String call) throws ScifException {
        List<String> missing = missingFlags();
        if (!missing.isEmpty()) {
            throw ScifException.of(call, Errno.ENODEV, "the shm transport maps shared memory with"
                + " Chronicle, which needs these JVM flags on Java 17+: "
                + String.join(" ", missing) + " (the ./scif launcher and the executable jars"
                + " add them; add them to your java command line)");
        }
    }
}
