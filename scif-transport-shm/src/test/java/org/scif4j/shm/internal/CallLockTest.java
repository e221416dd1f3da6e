package org.scif4j.shm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The send/recv lock: mutual exclusion, no lost wake-up, interruptible waits. */
class CallLockTest {
    private static final Duration SOON = Duration.ofSeconds(30);
    private final CallLock lock = new CallLock();
    private long counter;

    @Test
    void excludesAndWakesEveryWaiter() throws Exception {
        int threads = 4;
        int rounds = 50_000;
        List<Thread> all = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                for (int i = 0; i < rounds; i++) {
                    lock.lock();
                    try {
                        counter++; // not atomic: only the lock keeps increments apart
                    } finally {
                        lock.unlock();
                    }
                }
            });
            all.add(th);
            th.start();
        }
        for (Thread th : all) {
            th.join(SOON.toMillis());
            assertFalse(th.isAlive(), "a waiter was never woken");
        }
        assertEquals((long) threads * rounds, counter);
    }

    @Test
    void aWaiterIsInterruptibleAndTheNextOneStillGetsTheLock() throws Exception {
        assertTrue(lock.tryLock());
        assertFalse(lock.tryLock(), "not reentrant, and held");
        CountDownLatch started = new CountDownLatch(2);
        Thread interrupted = new Thread(() -> {
            started.countDown();
            assertThrows(InterruptedException.class, lock::lockInterruptibly);
        });
        CompletableFuture<Boolean> next = new CompletableFuture<>();
        Thread waiter = new Thread(() -> {
            started.countDown();
            try {
                lock.lockInterruptibly();
                lock.unlock(); // before telling: the test takes the lock next
                next.complete(true);
            } catch (InterruptedException e) {
                next.complete(false);
            }
        });
        interrupted.start();
        waiter.start();
        started.await();
        interrupted.interrupt();
        interrupted.join(SOON.toMillis());
        assertFalse(interrupted.isAlive(), "the interrupted waiter left");
        lock.unlock();
        assertTrue(next.get(SOON.toMillis(), TimeUnit.MILLISECONDS), "the other waiter got the lock");
        assertTrue(lock.tryLock(), "and gave it back");
    }

    @Test
    void anotherThreadWaitsForTheBiasOwnerThenTheOwnerWaitsForIt() throws Exception {
        assertTrue(lock.tryLock(), "the first taker: held by its bias");
        CompletableFuture<Boolean> tried = new CompletableFuture<>();
        new Thread(() -> tried.complete(lock.tryLock())).start();
        assertFalse(tried.get(SOON.toMillis(), TimeUnit.MILLISECONDS), "held by the owner's bias");
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread other = new Thread(() -> {
            try {
                lock.lockInterruptibly();
                holding.countDown();
                release.await();
                lock.unlock();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        other.start();
        lock.unlock(); // wakes the other thread
        assertTrue(holding.await(SOON.toMillis(), TimeUnit.MILLISECONDS), "the other thread got the lock");
        assertFalse(lock.tryLock(), "the bias is revoked: the owner cannot take the held lock");
        release.countDown();
        other.join(SOON.toMillis());
        assertFalse(other.isAlive());
        assertTrue(lock.tryLock(), "free again: the owner takes it like anyone");
        assertFalse(lock.tryLock(), "not reentrant");
        lock.unlock();
    }
}
