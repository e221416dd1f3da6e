package org.scif4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.scif4j.spi.FabricUri;
import org.scif4j.spi.PollableEndpoint;
import org.scif4j.spi.Poller;
import org.scif4j.spi.ScifTransport;

/**
 * The entry point: attaches this process to a node of a fabric, polls endpoints, and holds
 * the flag constants of the C API (same names without the {@code SCIF_} prefix, same values).
 */
public final class Scif {
    /** {@code SCIF_ACCEPT_SYNC}: accept blocks until a request arrives. */
    public static final int ACCEPT_SYNC = 1;
    /** {@code SCIF_SEND_BLOCK}: send blocks until every byte is sent. */
    public static final int SEND_BLOCK = 1;
    /** {@code SCIF_RECV_BLOCK}: recv blocks until the buffer is full. */
    public static final int RECV_BLOCK = 1;
    /** {@code SCIF_PROT_READ}: the window may be read. */
    public static final int PROT_READ = 0x1;
    /** {@code SCIF_PROT_WRITE}: the window may be written. */
    public static final int PROT_WRITE = 0x2;
    /** {@code SCIF_MAP_FIXED}: register at exactly the offset given. */
    public static final int MAP_FIXED = 0x10;
    /** {@code SCIF_RMA_USECPU}: the calling thread copies. */
    public static final int RMA_USECPU = 0x1;
    /** {@code SCIF_RMA_USECACHE}: keep the temporary registration of a v-RMA. */
    public static final int RMA_USECACHE = 0x2;
    /** {@code SCIF_RMA_SYNC}: return after the transfer completed. */
    public static final int RMA_SYNC = 0x4;
    /** {@code SCIF_RMA_ORDERED}: the last cache line becomes visible last. */
    public static final int RMA_ORDERED = 0x8;
    /** {@code SCIF_FENCE_INIT_SELF}: fence the RMAs this endpoint initiated. */
    public static final int FENCE_INIT_SELF = 0x1;
    /** {@code SCIF_FENCE_INIT_PEER}: fence the RMAs the peer endpoint initiated. */
    public static final int FENCE_INIT_PEER = 0x2;
    /** {@code SCIF_SIGNAL_LOCAL}: fenceSignal writes the local value. */
    public static final int SIGNAL_LOCAL = 0x10;
    /** {@code SCIF_SIGNAL_REMOTE}: fenceSignal writes the remote value. */
    public static final int SIGNAL_REMOTE = 0x20;
    /** {@code SCIF_POLLIN}: bytes to receive, or a connection request to accept. */
    public static final int POLLIN = 0x1;
    /** {@code SCIF_POLLOUT}: room to send; or a non-blocking connect has finished. */
    public static final int POLLOUT = 0x4;
    /** {@code SCIF_POLLERR}: the endpoint is in a state where it cannot be polled. */
    public static final int POLLERR = 0x8;
    /** {@code SCIF_POLLHUP}: the peer closed or was lost. */
    public static final int POLLHUP = 0x10;
    /** {@code SCIF_POLLNVAL}: the endpoint is closed. */
    public static final int POLLNVAL = 0x20;
    /** {@code SCIF_ADMIN_PORT_END}: ports below it need privilege. */
    public static final int ADMIN_PORT_END = 1024;
    /** {@code SCIF_PORT_RSVD}: automatic port allocation starts above it. */
    public static final int PORT_RSVD = 1088;

    /** The fabric used by {@link #attach()} when neither property nor environment names one. */
    public static final String DEFAULT_FABRIC = "shm:default?node=0";
    /** System property naming the fabric for {@link #attach()}. */
    public static final String FABRIC_PROPERTY = "scif.fabric";
    /** Environment variable naming the fabric for {@link #attach()}. */
    public static final String FABRIC_ENV = "SCIF_FABRIC";

    private Scif() {
    }

    /**
     * Attaches this process to one node of a fabric; the transport is chosen by the URI
     * scheme among those found by {@link ServiceLoader}.
     *
     * @param fabricUri e.g. {@code shm:default?node=1}
     * @return the attachment
     * @throws ScifException EINVAL for a malformed URI, unknown scheme or option; ENODEV when
     *                       the transport cannot run here
     */
    public static ScifNode attach(String fabricUri) throws ScifException {
        FabricUri parsed = FabricUri.parse(fabricUri);
        ScifTransport transport = transports().get(parsed.scheme());
        if (transport == null) {
            throw ScifException.of("attach(fabric=" + fabricUri + ")", Errno.EINVAL,
                "no transport for scheme '" + parsed.scheme() + "'; available: "
                    + transports().keySet() + " (add its scif-transport-* jar to the classpath)");
        }
        return transport.attach(parsed.uri());
    }

    /**
     * Attaches to the fabric named by {@code -Dscif.fabric}, else the environment variable
     * {@code SCIF_FABRIC}, else {@value #DEFAULT_FABRIC}.
     *
     * @return the attachment
     * @throws ScifException as {@link #attach(String)}
     */
    public static ScifNode attach() throws ScifException {
        String uri = System.getProperty(FABRIC_PROPERTY);
        if (uri == null || uri.isBlank()) {
            uri = System.getenv(FABRIC_ENV);
        }
        return attach(uri == null || uri.isBlank() ? DEFAULT_FABRIC : uri);
    }

    /**
     * The transports on the class path, by scheme.
     *
     * @return scheme to transport, sorted by scheme
     */
    public static Map<String, ScifTransport> transports() {
        return Transports.BY_SCHEME;
    }

    /**
     * {@code scif_poll}: waits until at least one endpoint has an event or the timeout
     * passes. POLLERR and POLLHUP are reported whether asked for or not; a closed endpoint
     * reports POLLNVAL.
     *
     * <p>In SCIF a process is one node, so one call polls endpoints of one node. A scif4j
     * process may attach several nodes of one fabric; their endpoints poll together in one
     * call (as a C program polls any file descriptors). Endpoints that cannot share one wait
     * are refused: those of two transports, or of two shm fabrics (tcp polls the endpoints of
     * all its fabrics in a process together).
     *
     * @param items         endpoints of one fabric (see above), with the events asked for
     * @param timeoutMillis milliseconds; 0 checks once; negative waits without limit
     * @return how many items have non-zero {@link PollItem#revents()}; 0 on timeout
     * @throws ScifException EFAULT for a null array, item or item's endpoint (scif_poll's unreadable array); EINVAL for
     *                       endpoints that cannot be polled together;
     *                       EINTR when the thread is interrupted while waiting
     */
    public static int poll(PollItem[] items, long timeoutMillis) throws ScifException {
        if (items == null) {
            // scif_poll(3): EFAULT when the array cannot be read; null is Java's unreadable array
            throw ScifException.of(pollCall(items, timeoutMillis), Errno.EFAULT, "items is null; expected an array of PollItem");
        }
        Poller poller = null;
        int n = items.length;
        PollArrays arrays = POLL_ARRAYS.get().sized(n);
        Endpoint[] eps = arrays.endpoints;
        int[] events = arrays.events;
        int[] revents = arrays.revents;
        try {
            for (int i = 0; i < n; i++) {
                PollItem item = items[i];
                if (item == null) {
                    throw ScifException.of(pollCall(items, timeoutMillis), Errno.EFAULT, "items[" + i
                        + "] is null; expected a PollItem in every entry");
                }
                eps[i] = item.endpoint();
                events[i] = item.events();
                revents[i] = 0;
                if (eps[i] == null) {
                    throw ScifException.of(pollCall(items, timeoutMillis), Errno.EFAULT, "items[" + i
                        + "] has a null endpoint; expected an endpoint in every item");
                }
                if (!(eps[i] instanceof PollableEndpoint)) {
                    throw ScifException.of(pollCall(items, timeoutMillis), Errno.EINVAL, "items[" + i + "] holds "
                        + eps[i].getClass().getName() + ", not an endpoint of a scif4j transport");
                }
                Poller p = ((PollableEndpoint) eps[i]).poller();
                if (poller == null) {
                    poller = p;
                } else if (p != poller) {
                    throw ScifException.of(pollCall(items, timeoutMillis), Errno.EINVAL, "items[" + i
                        + "] belongs to another fabric than items[0]; expected endpoints of one fabric");
                }
            }
            int ready = poller == null ? sleep(pollCall(items, timeoutMillis), timeoutMillis)
                : poller.poll(eps, events, revents, timeoutMillis > MAX_POLL_MILLIS ? -1 : timeoutMillis);
            for (int i = 0; i < n; i++) {
                items[i].revents(revents[i]);
            }
            return ready;
        } finally {
            Arrays.fill(eps, null); // no endpoint stays reachable from this thread's arrays
        }
    }

    /**
     * The longest timeout a poller counts down (as a deadline in nanoseconds of
     * {@link System#nanoTime()}, which a longer one would overflow into the past); a longer one,
     * some 146 years, waits without limit, as a negative one does.
     */
    private static final long MAX_POLL_MILLIS = Long.MAX_VALUE / 2 / 1_000_000L;

    private static String pollCall(PollItem[] items, long timeoutMillis) {
        return "poll(items=" + (items == null ? "null" : items.length) + ", timeout=" + timeoutMillis + ")";
    }

    /**
     * Each thread's arrays for {@link #poll}, kept while it polls as many items as last time:
     * a loop that polls the same set allocates nothing per call. A poller gets arrays of
     * exactly the items' length and calls no user code, so one set per thread is enough.
     */
    private static final ThreadLocal<PollArrays> POLL_ARRAYS = ThreadLocal.withInitial(PollArrays::new);

    /** See {@link #POLL_ARRAYS}. */
    private static final class PollArrays {
        Endpoint[] endpoints = new Endpoint[0];
        int[] events = new int[0];
        int[] revents = new int[0];

        PollArrays sized(int n) {
            if (endpoints.length != n) {
                endpoints = new Endpoint[n];
                events = new int[n];
                revents = new int[n];
            }
            return this;
        }
    }

    /** poll(2) with no descriptors is a timer. */
    private static int sleep(String call, long timeoutMillis) throws ScifException {
        try {
            if (timeoutMillis < 0) {
                new java.util.concurrent.CountDownLatch(1).await();
            } else {
                TimeUnit.MILLISECONDS.sleep(timeoutMillis);
            }
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ScifException.of(call, Errno.EINTR, "interrupted while waiting");
        }
    }

    /** Lazily loaded, once per class loader. */
    private static final class Transports {
        static final Map<String, ScifTransport> BY_SCHEME = load();

        private static Map<String, ScifTransport> load() {
            Map<String, ScifTransport> map = new TreeMap<>();
            List<String> failures = new ArrayList<>();
            ServiceLoader.load(ScifTransport.class, Scif.class.getClassLoader()).stream()
                .forEach(provider -> {
                    try {
                        ScifTransport t = provider.get();
                        map.putIfAbsent(t.scheme().toLowerCase(java.util.Locale.ROOT), t);
                    } catch (java.util.ServiceConfigurationError e) {
                        failures.add(e.getMessage());
                    }
                });
            if (!failures.isEmpty()) {
                System.getLogger("org.scif4j").log(System.Logger.Level.WARNING,
                    "scif4j: transports that could not be loaded: " + failures);
            }
            return java.util.Collections.unmodifiableMap(map);
        }
    }
}
