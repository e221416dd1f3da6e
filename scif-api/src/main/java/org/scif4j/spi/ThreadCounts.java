package org.scif4j.spi;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * A few counters that many threads bump at once without an atomic instruction: each thread
 * bumps its own {@link Cell} (one writer per cell, so a plain add loses nothing), and a reader
 * sums the cells. An RMA measured a {@code LongAdder}'s CAS pair at 15–25 ns on top of a 4 KiB
 * copy of about 30 ns (the CAS waits for the copy's stores to drain); a cell bump is two plain
 * stores.
 *
 * <p>The counting thread finds its cell through a one-entry cache ({@link #last}), shared
 * racily: a cell's {@link Cell#owner} is final, so whoever reads the cache sees a whole cell
 * and checks that it is its own. A miss scans the cells, and a thread's first bump adds one
 * (under this object's lock, copy on write).
 *
 * <p><b>Invariant (exact sums):</b> a cell's counts only grow and are written only by its
 * owner; the cells of threads that died are folded into {@link #retired} (a thread's last
 * write happens before another thread sees it dead) under the same lock that {@link #sum}
 * takes, so a count is in exactly one of the two at every sum.
 */
final class ThreadCounts {
    private static final VarHandle COUNTS = MethodHandles.arrayElementVarHandle(long[].class);

    /** Longs before and after a cell's counts in its array, so that two threads' counts never share a cache line. */
    private static final int PAD = 8;

    /** One thread's counts. */
    static final class Cell {
        final Thread owner;
        private final long[] counts;

        Cell(Thread owner, int n) {
            this.owner = owner;
            this.counts = new long[PAD + n + PAD];
        }

        /** Adds to count {@code i}; only the owner calls it. Opaque: a reader sees a whole 64-bit value. */
        void add(int i, long delta) {
            COUNTS.setOpaque(counts, PAD + i, counts[PAD + i] + delta);
        }

        long get(int i) {
            return (long) COUNTS.getOpaque(counts, PAD + i);
        }
    }

    private final int n;
    /** The cell of the last thread that counted, likely the next one (racy, see the class comment). */
    private Cell last;
    private volatile Cell[] cells = new Cell[0];
    /** The counts of cells whose thread died; under this object's lock. */
    private final long[] retired;

    /** @param n how many counters */
    ThreadCounts(int n) {
        this.n = n;
        this.retired = new long[n];
    }

    /** @return the calling thread's cell, to {@link Cell#add} to */
    Cell cell() {
        Cell c = last;
        if (c == null || c.owner != Thread.currentThread()) {
            c = find();
            last = c; // plain: see the class comment
        }
        return c;
    }

    private Cell find() {
        Thread me = Thread.currentThread();
        for (Cell c : cells) {
            if (c.owner == me) {
                return c;
            }
        }
        return add(me);
    }

    /** Adds the thread's cell, folding the dead threads' cells into {@link #retired}. */
    private synchronized Cell add(Thread me) {
        Cell[] old = cells;
        Cell[] live = new Cell[old.length + 1];
        int k = 0;
        for (Cell c : old) {
            if (c.owner.isAlive()) {
                live[k++] = c;
            } else {
                for (int i = 0; i < n; i++) {
                    retired[i] += c.get(i);
                }
            }
        }
        Cell mine = new Cell(me, n);
        live[k++] = mine;
        cells = Arrays.copyOf(live, k); // volatile: published before the thread's first add
        return mine;
    }

    /** @return counter {@code i} summed over every thread: no add is counted twice, none once seen is lost */
    synchronized long sum(int i) {
        long s = retired[i];
        for (Cell c : cells) {
            s += c.get(i);
        }
        return s;
    }
}
