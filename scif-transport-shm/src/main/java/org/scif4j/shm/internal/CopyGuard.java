package org.scif4j.shm.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps track of the copies an endpoint's callers make during their call (RMA_USECPU), so that
 * whoever takes memory away from them (unregister, close) can wait for those that may still
 * use it, without a shared atomic per copy.
 *
 * <p>Each thread has one {@link Record}, on a cache line of its own, that names the guard it
 * copies under (by number, 0 between copies) and counts its copies. The protocol is an asymmetric
 * Dekker handshake: a copier stores its record ({@link #enter}), then looks at what it needs
 * (the endpoint open, the window not unregistered) and gives up if it is gone; it clears its
 * record when done ({@link #exit}). A remover first publishes its change (a volatile store),
 * then makes every thread of the process pass a full barrier ({@code membarrier}, see
 * {@link Futex#fenceThisProcess()}), then {@link #await}s every record that names this guard.
 *
 * <p><b>Invariant:</b> a copy that saw the old state is seen by the remover's wait, so it
 * completes before the remover's call returns; a copy that did not see its record in time
 * sees the change and touches nothing. Proof: the copier's store to its record and its load of
 * the state are kept in order by the compiler (the store is an ordered VarHandle access, which
 * the JIT does not move other memory accesses across); the processor may still let the load
 * pass the store, but the remover's barrier runs on every thread of the process: if the
 * copier's load came before that barrier it read the old state and its store is visible to
 * the remover's scan after the barrier; if it came after, it sees the change. Without
 * {@code membarrier} the copier fences itself (a volatile store), the plain Dekker handshake.
 *
 * <p>The wait ends once each record seen naming this guard has been cleared or has counted
 * another copy: a stream of copies on other windows cannot starve it.
 */
final class CopyGuard {
    /** Whether the remover's barrier stands in for the copier's fence. */
    private static final boolean ASYMMETRIC = Futex.fencesThisProcess();
    private static final VarHandle GUARD;
    private static final VarHandle COPIES;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            GUARD = l.findVarHandle(Record.class, "guard", long.class);
            COPIES = l.findVarHandle(Record.class, "copies", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final ThreadLocal<Record> RECORD = ThreadLocal.withInitial(CopyGuard::newRecord);
    /** Every live thread's record (and some dead ones', until the next registration); copy on write. */
    private static volatile Record[] records = new Record[0];
    /** Numbers the guards: a record names its guard by {@link #id}, never 0. */
    private static final AtomicLong IDS = new AtomicLong();
    /** This guard's number, unique in the process. */
    private final long id = IDS.incrementAndGet();
    /** The record of the last thread that entered, which is likely to enter next (no ThreadLocal look-up). */
    private Record last;

    /** Fields before a record's own, so that two records never share a cache line. */
    @SuppressWarnings("unused")
    private static class Pad {
        long p0, p1, p2, p3, p4, p5, p6, p7;
    }

    /** One thread's announcement of the copy it makes: the guard it copies under, and how many it made. */
    static final class Record extends Pad {
        final Thread owner;
        /**
         * The thread's copier number in this process, 0 to {@link ConnectionDescriptor#COPIERS}
         * - 1: its copier record in every connection file (docs/shm-format.md, "Copier
         * records"), or -1 when every number is taken by a live thread (it then holds RMA
         * references on peer windows instead).
         */
        final int copier;
        /**
         * The {@link CopyGuard#id} of the guard of the copy in progress, 0 between copies;
         * written by the owner only. A number, not a reference: storing a reference into a
         * heap object runs the garbage collector's write barriers, twice per copy.
         */
        long guard;
        /** Copies ended; written by the owner only. */
        long copies;
        @SuppressWarnings("unused")
        long q0, q1, q2, q3, q4, q5, q6, q7;

        Record(Thread owner, int copier) {
            this.owner = owner;
            this.copier = copier;
        }
    }

    /**
     * The calling thread's record, with the lowest copier number no live thread holds. A dead
     * thread's number is free: it ended between copies, so its copier records are clear.
     */
    private static synchronized Record newRecord() {
        List<Record> live = new ArrayList<>();
        java.util.BitSet taken = new java.util.BitSet(ConnectionDescriptor.COPIERS);
        for (Record old : records) {
            if (old.owner.isAlive()) {
                live.add(old);
                if (old.copier >= 0) {
                    taken.set(old.copier);
                }
            }
        }
        int copier = taken.nextClearBit(0);
        Record r = new Record(Thread.currentThread(), copier < ConnectionDescriptor.COPIERS ? copier : -1);
        live.add(r);
        records = live.toArray(new Record[0]); // volatile: published before the thread's first copy
        return r;
    }

    /**
     * Announces a copy under this guard; the caller then checks the state it needs and, in a
     * finally block, calls {@link #exit}. Not re-entrant: a thread copies under one guard at a time.
     *
     * @return the thread's record, to give to {@link #exit}
     */
    Record enter() {
        Record r = last;
        if (r == null || r.owner != Thread.currentThread()) {
            r = RECORD.get();
            last = r; // plain: a racing reader sees this record or another whole one, and checks its owner
        }
        if (ASYMMETRIC) {
            GUARD.setRelease(r, id); // ordered access: the state checks that follow stay after it
        } else {
            GUARD.setVolatile(r, id);
        }
        return r;
    }

    /** @param r what {@link #enter} returned */
    void exit(Record r) {
        COPIES.setRelease(r, r.copies + 1); // after the copy's own accesses
        GUARD.setRelease(r, 0L);
    }

    /**
     * Waits until every copy that may have missed the caller's change (published before this
     * call with a volatile store) has ended. The caller must not be a copier itself.
     */
    void await() {
        if (ASYMMETRIC && !Futex.fenceThisProcess()) {
            throw new IllegalStateException("membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) failed after it was"
                + " registered: copies in progress cannot be waited for");
        }
        for (Record r : records) {
            if ((long) GUARD.getVolatile(r) != id) {
                continue;
            }
            long seen = (long) COPIES.getVolatile(r);
            for (int spins = 0; (long) GUARD.getVolatile(r) == id && (long) COPIES.getVolatile(r) == seen; spins++) {
                if (spins < 1000) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield(); // a copy is finite: its thread may just be descheduled
                }
            }
        }
    }
}
