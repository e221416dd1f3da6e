package org.scif4j.tcp.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * A clock for a node's liveness rule ({@link TcpNode#useClock}) that moves only as a test says:
 * by {@link #advance}, or by a fixed step at every read ({@link #stepPerRead}), so that each
 * tick of a link's timer (which reads it once) sees that much time pass. Counts its reads, so
 * that a test can wait for ticks to have run rather than sleep ({@link #afterReads}).
 */
final class TestClock implements LongSupplier {
    /** Guarded by this. */
    private long now = 1_000_000_000L;
    /** Guarded by this. */
    private long step;
    /** Guarded by this. */
    private long reads;
    /** Futures completed once {@code reads} reaches their count. Guarded by this. */
    private final List<Object[]> waiters = new ArrayList<>();

    @Override
    public long getAsLong() {
        List<CompletableFuture<Void>> done = new ArrayList<>();
        long t;
        synchronized (this) {
            now += step;
            t = now;
            reads++;
            for (int i = waiters.size() - 1; i >= 0; i--) {
                if ((long) waiters.get(i)[0] <= reads) {
                    @SuppressWarnings("unchecked")
                    CompletableFuture<Void> f = (CompletableFuture<Void>) waiters.remove(i)[1];
                    done.add(f);
                }
            }
        }
        done.forEach(f -> f.complete(null)); // outside the lock: whoever waits runs on
        return t;
    }

    /** Moves the clock {@code nanos} forward at once. */
    synchronized void advance(long nanos) {
        now += nanos;
    }

    /** From now on every read moves the clock {@code nanos} forward first. */
    synchronized void stepPerRead(long nanos) {
        step = nanos;
    }

    /** @return how many times the clock was read so far */
    synchronized long reads() {
        return reads;
    }

    /** @return a future completed once the clock has been read {@code n} times in all */
    synchronized CompletableFuture<Void> afterReads(long n) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        if (reads >= n) {
            f.complete(null);
        } else {
            waiters.add(new Object[] {n, f});
        }
        return f;
    }
}
