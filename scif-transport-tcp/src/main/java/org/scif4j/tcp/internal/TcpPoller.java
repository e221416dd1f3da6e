package org.scif4j.tcp.internal;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.ScifException;
import org.scif4j.spi.Poller;

/**
 * {@code scif_poll} for tcp endpoints. One per JVM, so that endpoints of several nodes attached
 * in one JVM can be polled together. Every endpoint state change calls {@link #signal()}.
 *
 * <p>No wake-up is lost: a poller (1) joins {@code pollers}, (2) reads {@code seq}, (3) scans,
 * and (4) sleeps on the monitor only while {@code seq} is unchanged. A changer (a) changes the
 * endpoint, (b) increments {@code seq}, (c) reads {@code pollers} and notifies under the
 * monitor when it is non-zero. All of these are sequentially consistent, so either the scan
 * (3) sees the change, or (4) sees the new {@code seq}, or the notification comes after the
 * poller began to wait.
 */
final class TcpPoller implements Poller {
    static final TcpPoller INSTANCE = new TcpPoller();

    private final AtomicLong seq = new AtomicLong();
    private final AtomicInteger pollers = new AtomicInteger();
    private final Object monitor = new Object();

    private TcpPoller() {
    }

    /** An endpoint changed: wakes every waiting poll. */
    void signal() {
        seq.incrementAndGet();
        if (pollers.get() > 0) {
            synchronized (monitor) {
                monitor.notifyAll();
            }
        }
    }

    @Override
    public int poll(Endpoint[] endpoints, int[] events, int[] revents, long timeoutMillis) throws ScifException {
        long deadline = timeoutMillis < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutMillis * 1_000_000L;
        pollers.incrementAndGet();
        try {
            while (true) {
                long seen = seq.get();
                int ready = scan(endpoints, events, revents);
                if (ready > 0 || timeoutMillis == 0 || endpoints.length == 0) {
                    return ready;
                }
                long left = deadline == Long.MAX_VALUE ? 0 : deadline - System.nanoTime();
                if (deadline != Long.MAX_VALUE && left <= 0) {
                    return 0;
                }
                synchronized (monitor) {
                    if (seq.get() == seen) {
                        if (deadline == Long.MAX_VALUE) {
                            monitor.wait();
                        } else {
                            monitor.wait(Math.max(1, left / 1_000_000L));
                        }
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ScifException.of("poll(items=" + endpoints.length + ", timeout=" + timeoutMillis + ")",
                Errno.EINTR, "interrupted while waiting");
        } finally {
            pollers.decrementAndGet();
        }
    }

    private static int scan(Endpoint[] eps, int[] events, int[] revents) {
        int n = 0;
        for (int i = 0; i < eps.length; i++) {
            revents[i] = ((TcpEndpoint) eps[i]).pollEvents(events[i]);
            if (revents[i] != 0) {
                n++;
            }
        }
        return n;
    }
}
