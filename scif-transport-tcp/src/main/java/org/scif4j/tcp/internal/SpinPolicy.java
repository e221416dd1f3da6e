package org.scif4j.tcp.internal;

import org.scif4j.tcp.TcpOptions;

/**
 * How long a blocked {@code send} or {@code recv} spins before it sleeps on its endpoint's
 * monitor, from the fabric's {@code wait=} option. Waking a sleeping thread costs tens of
 * microseconds on a VM, more than a loopback round trip; a waiter that spins a
 * little sees the event loop's change without that cost. It yields while it spins, so that on
 * a single core it hands the processor to the event loop that will bring the change.
 *
 * <p>Spinning only pays when the waiter, the node's event loop and the peer each have a core:
 * measured on a 2-vCPU KVM guest (both sides pinned or not), a 50 µs yield-spin made
 * the 8-byte round trip 20-80 % slower, because the spinners took the cores the event loops
 * needed. So ADAPTIVE and YIELD spin only when this process may run on at least
 * {@value #SPIN_MIN_CPUS} cores; SPIN always does, as the user asked.
 */
final class SpinPolicy {
    /** ADAPTIVE and YIELD: about one loopback round trip. */
    private static final long ADAPTIVE_NANOS = 50_000;
    /** SPIN: longer, for users who gave a core to each waiter. */
    private static final long SPIN_NANOS = 500_000;

    /** Fewest cores on which ADAPTIVE and YIELD spin at all. */
    static final int SPIN_MIN_CPUS = 4;

    private final long budgetNanos;

    SpinPolicy(org.scif4j.spi.WaitMode mode) {
        switch (mode) {
            case BLOCK:
                budgetNanos = 0;
                break;
            case SPIN:
                budgetNanos = SPIN_NANOS;
                break;
            default:
                budgetNanos = Runtime.getRuntime().availableProcessors() >= SPIN_MIN_CPUS ? ADAPTIVE_NANOS : 0;
        }
    }

    /** @return nanoseconds to spin before sleeping; 0 to sleep at once */
    long budgetNanos() {
        return budgetNanos;
    }
}
