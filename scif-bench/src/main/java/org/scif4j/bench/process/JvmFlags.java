package org.scif4j.bench.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The JVM flags the project's JVMs need (Chronicle's {@code --add-opens} and friends, and
 * its quiet system properties), as the root pom's properties {@code scif.jvm.flags} and
 * {@code scif.jvm.sysprops} set them; the build writes them into {@code jvm.properties}.
 */
public final class JvmFlags {
    private static final String RESOURCE = "/org/scif4j/bench/jvm.properties";

    private JvmFlags() {
    }

    /** @return every flag, e.g. {@code --add-opens=java.base/java.lang.reflect=ALL-UNNAMED} */
    public static List<String> all() {
        Properties p = new Properties();
        try (InputStream in = JvmFlags.class.getResourceAsStream(RESOURCE)) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
        List<String> flags = new ArrayList<>();
        for (String key : new String[] {"scif.jvm.flags", "scif.jvm.sysprops"}) {
            String value = p.getProperty(key, "");
            if (value.contains("${")) {
                continue; // not filtered by the build (e.g. run from an IDE): nothing to add
            }
            for (String flag : value.trim().split("\\s+")) {
                if (!flag.isEmpty()) {
                    flags.add(flag);
                }
            }
        }
        return flags;
    }

    /**
     * Sets the system properties among {@link #all()} that are not set yet, so that a JVM
     * started as plain {@code java -jar} behaves as one started by the launcher. Call it
     * before any library reads them.
     */
    public static void applySystemPropertyDefaults() {
        for (String flag : all()) {
            if (flag.startsWith("-D")) {
                int eq = flag.indexOf('=');
                String key = eq < 0 ? flag.substring(2) : flag.substring(2, eq);
                String value = eq < 0 ? "" : flag.substring(eq + 1);
                if (System.getProperty(key) == null) {
                    System.setProperty(key, value);
                }
            }
        }
    }
}
