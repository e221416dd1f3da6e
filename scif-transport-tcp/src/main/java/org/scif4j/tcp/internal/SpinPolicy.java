package org.scif4j.tcp.internal;

import org.scif4j.spi.WaitMode;

/**
 * How long a blocked {@code send} or {@code recv} spins before it sleeps, from the fabric's
 * {@code wait=} option. Waking a sleeping thread costs tens of microseconds on a VM, more than a
 * loopback round trip; a waiter that spins a little sees its change without that cost. It
 * yields while it spins, so that on a shared core it hands the processor to the thread that
 * will bring the change. Two spins, for the two ways a blocked call waits:
 *
 * <ul>
 *   <li>{@link #budgetNanos}: on the endpoint's change count, while another thread (the event
 *       loop) reads the link. Spinning there only pays when the waiter, the node's event loop and
 *       the peer each have a core: measured on a 2-vCPU KVM guest (both sides pinned or not), a
 *       50 µs yield-spin made the 8-byte round trip 20-80 % slower, because the spinners took
 *       the cores the event loops needed. So ADAPTIVE and YIELD spin there only when this
 *       process may run on at least {@value #SPIN_MIN_CPUS} cores; SPIN always does.</li>
 *   <li>{@link #readSpinNanos}: a user thread that reads its link itself (see
 *       {@link LinkReader}) and drained its socket reads it again for this long before it sleeps
 *       in its selector. The event loops stand aside then, so on 2 vCPUs the two waiting threads
 *       of a round trip have a core each: measured there, the 8-byte round trip p50 went from
 *       1.00-1.14x plain Netty to 0.21-0.30x (docs/decisions.md). ADAPTIVE and YIELD spin there
 *       on {@value #READ_SPIN_MIN_CPUS} cores or more (on one, the answer can only come while
 *       the spinner does not run); SPIN always does.</li>
 * </ul>
 *
 * BLOCK never spins: its callers sleep at once.
 */
final class SpinPolicy {
    /** ADAPTIVE and YIELD: about one loopback round trip. */
    static final long ADAPTIVE_NANOS = 50_000;
    /** SPIN: longer, for users who gave a core to each waiter. */
    static final long SPIN_NANOS = 500_000;

    /** Fewest cores on which ADAPTIVE and YIELD spin on the change count. */
    static final int SPIN_MIN_CPUS = 4;
    /** Fewest cores on which ADAPTIVE and YIELD read a drained socket again before they sleep. */
    static final int READ_SPIN_MIN_CPUS = 2;

    private final long budgetNanos;
    private final long readSpinNanos;

    SpinPolicy(WaitMode mode) {
        this(mode, Runtime.getRuntime().availableProcessors());
    }

    /** @param cpus the cores this process may run on */
    SpinPolicy(WaitMode mode, int cpus) {
        switch (mode) {
            case BLOCK:
                budgetNanos = 0;
                readSpinNanos = 0;
                break;
            case SPIN:
                budgetNanos = SPIN_NANOS;
                readSpinNanos = SPIN_NANOS;
                break;
            default:
                budgetNanos = cpus >= SPIN_MIN_CPUS ? ADAPTIVE_NANOS : 0;
                readSpinNanos = cpus >= READ_SPIN_MIN_CPUS ? ADAPTIVE_NANOS : 0;
        }
    }

    /** @return nanoseconds to spin on the change count before sleeping; 0 to sleep at once */
    long budgetNanos() {
        return budgetNanos;
    }

    /**
     * @return nanoseconds a user thread reading its link reads the drained socket again before
     *         it sleeps in its selector; 0 to sleep at once
     */
    long readSpinNanos() {
        return readSpinNanos;
    }
}
