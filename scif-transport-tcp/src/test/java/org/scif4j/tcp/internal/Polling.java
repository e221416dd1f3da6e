package org.scif4j.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Polls a state of a link that a test cannot be told of otherwise, with a hang guard only. */
final class Polling {
    private Polling() {
    }

    /**
     * Returns once {@code state} holds; fails after 20 s (a hang guard, not a timing assertion).
     *
     * @param state the state awaited
     * @param what  what it is, for the failure's message
     */
    static void until(BooleanSupplier state, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!state.getAsBoolean()) {
            assertTrue(System.nanoTime() - deadline < 0, "timed out waiting until " + what);
            Thread.yield(); // on 2 busy cores, let the threads watched run
        }
    }
}
