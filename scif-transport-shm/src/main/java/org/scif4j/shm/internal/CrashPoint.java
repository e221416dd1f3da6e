package org.scif4j.shm.internal;

/**
 * Named steps of the multi-step changes of shared state (attach, detach), where a test can
 * make this JVM end at once, as a {@code kill -9} there would: no shutdown hook, no unmapping,
 * no unlock. Set {@code -Dscif4j.shm.test.crashAt=STEP} (a name from {@code docs/shm-format.md}'s
 * lifecycle, e.g. {@code detach.closed}); without it each step is one comparison with null.
 * {@code -Dscif4j.shm.test.stopAt=STEP} instead stops the process there (SIGSTOP, once), as a
 * debugger or a Ctrl-Z would, until someone sends it SIGCONT.
 */
final class CrashPoint {
    /** Exit status of a JVM ended at a crash point, as a shell reports a SIGKILL: 128 + 9. */
    static final int STATUS = 137;
    private static final String AT = System.getProperty("scif4j.shm.test.crashAt");
    private static final String STOP = System.getProperty("scif4j.shm.test.stopAt");
    private static boolean stopped;

    private CrashPoint() {
    }

    /** @param step the step this process is at */
    static void at(String step) {
        if (AT != null && AT.equals(step)) {
            System.out.flush();
            Runtime.getRuntime().halt(STATUS);
        }
        if (STOP != null && STOP.equals(step)) {
            stopHere();
        }
    }

    private static synchronized void stopHere() {
        if (stopped) {
            return;
        }
        stopped = true;
        System.out.println("STOPPED " + step());
        System.out.flush();
        try {
            new ProcessBuilder("kill", "-STOP", Long.toString(ProcessHandle.current().pid())).start().waitFor();
        } catch (java.io.IOException | InterruptedException e) {
            throw new IllegalStateException("cannot stop at " + STOP, e);
        }
    }

    private static String step() {
        return STOP;
    }
}
