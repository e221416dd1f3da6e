package org.scif4j.shm.internal;

import static org.junit.jupiter.api.Assertions.*;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The guard that unregister and close use to wait for the copies callers make during their call. */
class CopyGuardTest {
    /** A copier that entered before await began keeps await waiting until it exits. */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void awaitReturnsOnlyAfterEveryEarlierCopierExited() throws Exception {
        for (int round = 0; round < 200; round++) {
            CopyGuard guard = new CopyGuard();
            int counter = guard.enter();
            AtomicBoolean started = new AtomicBoolean();
            AtomicBoolean exited = new AtomicBoolean();
            AtomicReference<String> seen = new AtomicReference<>();
            Thread remover = new Thread(() -> {
                started.set(true);
                guard.await();
                seen.set(exited.get() ? "exited" : "still copying");
            });
            remover.start();
            while (!started.get()) {
                Thread.onSpinWait();
            }
            for (int i = 0; i < 10_000; i++) {
                Thread.onSpinWait(); // give await time to run ahead if it does not wait
            }
            exited.set(true);
            guard.exit(counter);
            remover.join();
            assertEquals("exited", seen.get(), "round " + round);
        }
    }

    /** A stream of copiers entering after await began cannot keep it waiting for ever. */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void laterCopiersDoNotStarveAwait() throws Exception {
        CopyGuard guard = new CopyGuard();
        AtomicBoolean stop = new AtomicBoolean();
        Thread[] copiers = new Thread[2];
        for (int t = 0; t < copiers.length; t++) {
            copiers[t] = new Thread(() -> {
                while (!stop.get()) {
                    int c = guard.enter();
                    int c2 = guard.enter(); // overlapping copies: the counters are never both zero at once
                    guard.exit(c);
                    guard.exit(c2);
                }
            });
            copiers[t].start();
        }
        try {
            for (int i = 0; i < 1000; i++) {
                guard.await();
            }
        } finally {
            stop.set(true);
            for (Thread t : copiers) {
                t.join();
            }
        }
    }

    /** With no copier, await returns at once, and enter/exit pairs leave nothing behind. */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void balancedCopiesLeaveAwaitNothingToWaitFor() {
        CopyGuard guard = new CopyGuard();
        for (int i = 0; i < 5; i++) {
            guard.exit(guard.enter());
            guard.await();
        }
    }
}
