package org.scif4j.shm.internal;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Liveness from /proc: what the lock's waiters judge a holder by. */
class ProcessIdentityTest {
    /**
     * An interrupted thread (a watchdog being stopped, a user's thread interrupted inside a
     * call) still sees live processes alive: else it would take a live holder's lock over as
     * a dead one's and reap it.
     */
    @Test
    void anInterruptedThreadStillSeesLiveProcessesAlive() {
        int self = ProcessIdentity.selfPid();
        long start = ProcessIdentity.startTime(self);
        assertTrue(start >= 0);
        Thread.currentThread().interrupt();
        try {
            assertEquals(start, ProcessIdentity.startTime(self), "read with the interrupt pending");
            assertTrue(ProcessIdentity.isAlive(self, start));
            assertFalse(ProcessIdentity.isStopped(self));
        } finally {
            assertTrue(Thread.interrupted(), "the interrupt is left pending, not consumed");
        }
    }
}
