package org.scif4j.natives;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.spi.Poller;

/**
 * Scif.poll over native endpoints: scif_poll in slices of at most
 * {@value NativeEndpoint#SLICE_MS} ms, so that an interrupt ends it with EINTR in time.
 */
final class NativePoller implements Poller {
    static final NativePoller INSTANCE = new NativePoller();
    /** Each thread's array of struct scif_pollepd (8 bytes each), grown to the largest poll it made. */
    private static final ThreadLocal<Memory[]> ITEMS = ThreadLocal.withInitial(() -> new Memory[1]);

    private NativePoller() {
    }

    @Override
    public int poll(Endpoint[] endpoints, int[] events, int[] revents, long timeoutMillis) throws ScifException {
        int n = endpoints.length;
        Memory m = items(n);
        long base = Pointer.nativeValue(m);
        for (int i = 0; i < n; i++) {
            NativeEndpoint e = (NativeEndpoint) endpoints[i];
            m.setInt(8L * i, e.isClosed() ? -1 : e.epd());
            m.setShort(8L * i + 4, (short) events[i]);
            m.setShort(8L * i + 6, (short) 0);
        }
        long deadline = timeoutMillis < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutMillis * 1_000_000L;
        while (true) {
            long left = timeoutMillis < 0 ? NativeEndpoint.SLICE_MS
                : Math.max(0, (deadline - System.nanoTime() + 999_999) / 1_000_000L);
            // With the interrupt status set, look without waiting: what is ready is reported,
            // and only a poll that would have to wait ends with EINTR.
            boolean interrupted = Thread.currentThread().isInterrupted();
            boolean connecting = anyInBlockingConnect(endpoints); // POLLERR at once: no wait
            int r = LibScif.scif_poll(base, n,
                interrupted || connecting ? 0 : Math.min(left, NativeEndpoint.SLICE_MS));
            if (r < 0 && Native.getLastError() != Errno.EINTR.number()) {
                throw NativeErrors.error(call(n, timeoutMillis), Native.getLastError());
            }
            if (r > 0 || connecting) {
                int ready = collect(endpoints, m, r > 0, revents);
                if (ready > 0) { // else the blocking connect ended meanwhile, and nothing is ready
                    return ready;
                }
            }
            // The timeout first: a poll whose time is up (timeout 0: at once) completes with 0
            // and leaves the interrupt status set, as a call that need not wait does.
            if (timeoutMillis >= 0 && System.nanoTime() - deadline >= 0) {
                java.util.Arrays.fill(revents, 0);
                return 0;
            }
            if (interrupted) {
                throw ScifException.of(call(n, timeoutMillis), Errno.EINTR, "interrupted while waiting");
            }
        }
    }

    /** @return whether an endpoint polled is in a blocking connect, which the library cannot tell */
    private static boolean anyInBlockingConnect(Endpoint[] endpoints) {
        for (Endpoint e : endpoints) {
            if (((NativeEndpoint) e).inBlockingConnect()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Fills in {@code revents}: the library's ({@code polled}: else none), but POLLNVAL for a
     * closed endpoint and POLLERR for one in a blocking connect.
     *
     * @return how many items have revents
     */
    private static int collect(Endpoint[] endpoints, Memory m, boolean polled, int[] revents) {
        int ready = 0;
        for (int i = 0; i < endpoints.length; i++) {
            NativeEndpoint e = (NativeEndpoint) endpoints[i];
            revents[i] = e.isClosed() ? Scif.POLLNVAL : e.inBlockingConnect() ? Scif.POLLERR
                : polled ? m.getShort(8L * i + 6) & 0xffff : 0;
            ready += revents[i] != 0 ? 1 : 0;
        }
        return ready;
    }

    /** @return this thread's item array, at least {@code n} entries long (a poll allocates nothing once warm) */
    private static Memory items(int n) {
        Memory[] held = ITEMS.get();
        long bytes = 8L * Math.max(1, n);
        if (held[0] == null || held[0].size() < bytes) {
            held[0] = new Memory(Math.max(bytes, 64));
        }
        return held[0];
    }

    /** The call's text, for an error only. */
    private static String call(int n, long timeoutMillis) {
        return "poll(items=" + n + ", timeout=" + timeoutMillis + ")";
    }
}
