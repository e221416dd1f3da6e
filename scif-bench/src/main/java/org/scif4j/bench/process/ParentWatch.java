package org.scif4j.bench.process;

import java.io.IOException;
import java.io.InputStream;

/**
 * In a child started by {@link ChildJvm}: exits (running shutdown hooks, so shared files are
 * cleaned up) when stdin reaches end of file, which happens when the parent dies without
 * destroying us, e.g. after SIGKILL.
 */
public final class ParentWatch {
    /** Exit code of a child whose parent went away. */
    public static final int ORPHANED = 3;

    private ParentWatch() {
    }

    /** Starts the daemon thread that watches stdin. */
    public static void exitWhenOrphaned() {
        Thread t = new Thread(() -> {
            InputStream in = System.in;
            byte[] buf = new byte[256];
            try {
                while (in.read(buf) >= 0) {
                    // the parent never writes; anything read is ignored
                }
            } catch (IOException e) {
                // a broken pipe means the same as end of file
            }
            System.err.println("parent process went away; exiting");
            System.exit(ORPHANED);
        }, "scif-bench-parent-watch");
        t.setDaemon(true);
        t.start();
    }
}
