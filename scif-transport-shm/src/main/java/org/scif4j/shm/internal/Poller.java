package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.FabricDescriptor.E_POLLERS;
import static org.scif4j.shm.internal.FabricDescriptor.endpoint;

import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.ScifException;

/**
 * {@code scif_poll} for the endpoints of one fabric in this JVM. A poll that goes to sleep
 * announces itself in every watched endpoint's poller count and sleeps on this process's
 * doorbell, which whoever changes one of those endpoints rings (the sleeper protocol of
 * {@link Waiter}); while it spins or yields it is not counted, and nobody rings.
 */
public final class Poller implements org.scif4j.spi.Poller {
    private final Fabric fabric;

    Poller(Fabric fabric) {
        this.fabric = fabric;
    }

    @Override
    public int poll(Endpoint[] endpoints, int[] events, int[] revents, long timeoutMillis) throws ScifException {
        fabric.enter();
        try {
            return poll0(endpoints, events, revents, timeoutMillis);
        } finally {
            fabric.exit();
        }
    }

    private int poll0(Endpoint[] endpoints, int[] events, int[] revents, long timeoutMillis) throws ScifException {
        int ready = scan(endpoints, events, revents);
        if (ready > 0 || timeoutMillis == 0 || endpoints.length == 0) {
            return ready;
        }
        long deadline = timeoutMillis < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutMillis * 1_000_000L;
        PollWait w = WAITS.get().of(endpoints, events, revents, fabric.file());
        try {
            int r = ((ShmEndpoint) endpoints[0]).waiterForPoll().await(w, Fabric.doorbell(fabric.processSlot()), w,
                deadline);
            if (r == Waiter.INTERRUPTED) {
                throw ScifException.of("poll(items=" + endpoints.length + ", timeout=" + timeoutMillis + ")",
                    Errno.EINTR, "interrupted while waiting");
            }
            return r == Waiter.READY ? w.found : 0;
        } finally {
            w.clear();
        }
    }

    /** Each thread's {@link PollWait}: a poll that waits allocates nothing. */
    private static final ThreadLocal<PollWait> WAITS = ThreadLocal.withInitial(PollWait::new);

    /**
     * One waiting poll: what it waits for (any watched endpoint reporting an event) and how it
     * is counted while it sleeps. In the pollers count only while asleep: a changer that finds
     * it non-zero rings the doorbell, a system call, so a poll that spins and is counted costs
     * every send and recv to it one (about a microsecond each). Counted before the fence and
     * the last scan that precede each sleep, the sleeper protocol's order ({@link Waiter}), no
     * ring is lost.
     */
    private static final class PollWait implements Waiter.Condition, Waiter.Sleepers {
        private Endpoint[] endpoints;
        private int[] events;
        private int[] revents;
        private SharedFile file;
        int found;

        PollWait of(Endpoint[] endpoints, int[] events, int[] revents, SharedFile file) {
            this.endpoints = endpoints;
            this.events = events;
            this.revents = revents;
            this.file = file;
            this.found = 0;
            return this;
        }

        void clear() {
            endpoints = null;
            events = null;
            revents = null;
            file = null;
        }

        @Override
        public boolean ready() {
            found = scan(endpoints, events, revents);
            return found > 0;
        }

        @Override
        public void add(int delta) {
            for (Endpoint e : endpoints) {
                file.addInt(endpoint(((ShmEndpoint) e).slot()) + E_POLLERS, delta);
            }
        }
    }

    private static int scan(Endpoint[] eps, int[] events, int[] revents) {
        int n = 0;
        for (int i = 0; i < eps.length; i++) {
            revents[i] = ((ShmEndpoint) eps[i]).pollEvents(events[i]);
            if (revents[i] != 0) {
                n++;
            }
        }
        return n;
    }
}
