package org.scif4j.shm.internal;

/**
 * Named steps of the multi-step changes of shared state (attach, detach), where a test can
 * make this JVM end at once, as a {@code kill -9} there would: no shutdown hook, no unmapping,
 * no unlock. Set {@code -Dscif4j.shm.test.crashAt=STEP} (a name from {@code docs/shm-format.md}'s
 * lifecycle, e.g. {@code detach.closed}); without it each step is one comparison with null.
 */
final class CrashPoint {
    /** Exit status of a JVM ended at a crash point, as a shell reports a SIGKILL: 128 + 9. */
    static final int STATUS = 137;
    private static final String AT = System.getProperty("scif4j.shm.test.crashAt");

    private CrashPoint() {
    }

    /** @param step the step this process is at */
    static void at(String step) {
        if (AT != null && AT.equals(step)) {
            System.out.flush();
            Runtime.getRuntime().halt(STATUS);
        }
    }
}
