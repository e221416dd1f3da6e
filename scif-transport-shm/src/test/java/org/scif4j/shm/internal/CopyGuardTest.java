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
            CopyGuard.Record counter = guard.enter();
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

    /** A stream of copies entering after await began cannot keep it waiting for ever. */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void laterCopiersDoNotStarveAwait() throws Exception {
        CopyGuard guard = new CopyGuard();
        AtomicBoolean stop = new AtomicBoolean();
        Thread[] copiers = new Thread[2];
        for (int t = 0; t < copiers.length; t++) {
            copiers[t] = new Thread(() -> {
                while (!stop.get()) {
                    guard.exit(guard.enter()); // always a copy in progress on some thread
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

    /**
     * The handshake unregister relies on: a copier that checked the state after entering and
     * saw it unchanged is done before await returns, so it never sees the memory freed.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aCopierThatSawTheOldStateEndsBeforeAwaitReturns() throws Exception {
        for (int round = 0; round < 300; round++) {
            CopyGuard guard = new CopyGuard();
            AtomicBoolean gone = new AtomicBoolean(); // "unregistered": published before await
            AtomicBoolean freed = new AtomicBoolean(); // "unmapped": set once await returned
            AtomicReference<String> failure = new AtomicReference<>();
            AtomicBoolean stop = new AtomicBoolean();
            Thread[] copiers = new Thread[2];
            for (int t = 0; t < copiers.length; t++) {
                copiers[t] = new Thread(() -> {
                    while (!stop.get()) {
                        CopyGuard.Record r = guard.enter();
                        try {
                            if (!gone.get()) {
                                for (int i = 0; i < 50; i++) {
                                    if (freed.get()) {
                                        failure.compareAndSet(null, "a copy that saw the window registered ran"
                                            + " after await returned");
                                    }
                                }
                            }
                        } finally {
                            guard.exit(r);
                        }
                    }
                });
                copiers[t].start();
            }
            for (int i = 0; i < 100; i++) {
                Thread.onSpinWait(); // let the copiers get going
            }
            gone.set(true);
            guard.await();
            freed.set(true);
            stop.set(true);
            for (Thread t : copiers) {
                t.join();
            }
            assertNull(failure.get(), "round " + round);
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
