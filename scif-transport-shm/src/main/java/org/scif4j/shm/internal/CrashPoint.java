package org.scif4j.shm.internal;

import com.sun.jna.Native;
import com.sun.jna.Platform;

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

    /**
     * Stops this process here. The signal goes to the calling thread itself ({@code raise}),
     * which stops on its way back from the system call: it runs no further. A {@code kill
     * -STOP} from another process (as this used to do) is delivered to whichever thread the
     * kernel picks, usually the idle main thread of the launcher; until that thread is
     * scheduled and stops the whole process, this thread runs on, and on a loaded machine it
     * got past the step and released the lock before it stopped (StoppedLockHolderTest then
     * found the lock free: the "preemptions() == 0" failures).
     */
    private static synchronized void stopHere() {
        if (stopped) {
            return;
        }
        stopped = true;
        System.out.println("STOPPED " + step());
        System.out.flush();
        if (Libc.raise(SIGSTOP) != 0) {
            throw new IllegalStateException("cannot stop at " + STOP);
        }
    }

    private static final int SIGSTOP = 19;

    /** libc's raise: the signal to the calling thread. */
    private static final class Libc {
        static {
            Native.register(Libc.class, Platform.C_LIBRARY_NAME);
        }

        static native int raise(int sig);
    }

    private static String step() {
        return STOP;
    }
}
