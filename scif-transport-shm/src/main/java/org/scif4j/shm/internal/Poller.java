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
        ShmEndpoint[] eps = new ShmEndpoint[endpoints.length];
        for (int i = 0; i < eps.length; i++) {
            eps[i] = (ShmEndpoint) endpoints[i];
        }
        int ready = scan(eps, events, revents);
        if (ready > 0 || timeoutMillis == 0 || eps.length == 0) {
            return ready;
        }
        long deadline = timeoutMillis < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutMillis * 1_000_000L;
        SharedFile f = fabric.file();
        // In the pollers count only while asleep: a changer that finds it non-zero rings the
        // doorbell, a system call, so a poll that spins and is counted costs every send and
        // recv to it one (about a microsecond each). Counted before the fence and the last
        // scan that precede each sleep, the sleeper protocol's order (Waiter), no ring is lost.
        Waiter.Sleepers pollers = delta -> {
            for (ShmEndpoint e : eps) {
                f.addInt(endpoint(e.slot()) + E_POLLERS, delta);
            }
        };
        int[] found = new int[1];
        Waiter.Condition any = () -> (found[0] = scan(eps, events, revents)) > 0;
        int r = eps[0].waiterForPoll().await(any, Fabric.doorbell(fabric.processSlot()), pollers, deadline);
        if (r == Waiter.INTERRUPTED) {
            throw ScifException.of("poll(items=" + eps.length + ", timeout=" + timeoutMillis + ")",
                Errno.EINTR, "interrupted while waiting");
        }
        return r == Waiter.READY ? found[0] : 0;
    }

    private static int scan(ShmEndpoint[] eps, int[] events, int[] revents) {
        int n = 0;
        for (int i = 0; i < eps.length; i++) {
            revents[i] = eps[i].pollEvents(events[i]);
            if (revents[i] != 0) {
                n++;
            }
        }
        return n;
    }
}
