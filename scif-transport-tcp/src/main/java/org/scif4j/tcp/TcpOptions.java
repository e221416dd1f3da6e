package org.scif4j.tcp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.scif4j.ScifException;
import org.scif4j.spi.FabricUri;
import org.scif4j.spi.WaitMode;

/**
 * The options of a {@code tcp:NODE@HOST:PORT,...?opt=value&...} or {@code tcp:file:PATH?...}
 * fabric URI, each with its default. This is the one place they are defined.
 *
 * @param node           the node id to attach as; it must be in {@code nodes}
 * @param nodes          every node of the fabric and the address it listens on, by id
 * @param waitMode       how long blocked calls spin before they sleep on a monitor or in a
 *                       selector (tcp cannot spin on the state itself; block never spins)
 * @param ringBytes      each connection's flow-control window per direction; {@code ringBytes - 1}
 *                       may be outstanding, as in SCIF
 * @param timeoutMillis  the watchdog period: how long connect waits for an accept, and close
 *                       for the peer's acknowledgement; also the bound on a link's handshake
 *                       ({@link #handshakeMillis})
 * @param livenessMillis a node not heard from within this is considered lost; also the grace
 *                       every frame has to arrive whole ({@link #frameMillis})
 * @param key            the fabric key both ends of every link must prove they hold, or null
 * @param privileged     whether ports below 1024 may be bound (only when running as root)
 * @param io             Netty's I/O transport for the node's sockets
 */
public record TcpOptions(int node, Map<Integer, InetSocketAddress> nodes, WaitMode waitMode, int ringBytes,
                         long timeoutMillis, long livenessMillis, byte[] key, boolean privileged, Io io) {

    /** Option {@code node}: the node id; default {@value #DEFAULT_NODE}. */
    public static final String NODE = "node";
    /** Option {@code wait}: {@code spin|yield|block|adaptive}; default adaptive (a hint). */
    public static final String WAIT = "wait";
    /** Option {@code ring}: bytes per direction, a power of two; default {@value #DEFAULT_RING}. */
    public static final String RING = "ring";
    /** Option {@code timeout}: watchdog milliseconds; default {@value #DEFAULT_TIMEOUT_MILLIS}. */
    public static final String TIMEOUT = "timeout";
    /** Option {@code liveness}: milliseconds before a silent node is lost; default {@value #DEFAULT_LIVENESS_MILLIS}. */
    public static final String LIVENESS = "liveness";
    /** Option {@code key}: a file holding the fabric key (at least {@value #MIN_KEY_BYTES} bytes); default none. */
    public static final String KEY = "key";
    /** Option {@code privileged}: allow ports below 1024 (root only); default false. */
    public static final String PRIVILEGED = "privileged";
    /** Option {@code io}: {@code auto|nio|epoll}, Netty's I/O transport; default auto. */
    public static final String IO = "io";

    /** Default node id: the host. */
    public static final int DEFAULT_NODE = 0;
    /**
     * Default window per direction: 4 MiB, so that a stream does not stall on the credit round
     * trip of a loaded link (measured: 64 KiB streaming about 1.5x faster than with 256 KiB).
     * It is a credit limit, not memory set aside: a receiver that keeps up holds far less.
     */
    public static final int DEFAULT_RING = 4 * 1024 * 1024;
    /** Smallest window: SCIF's own 4096-byte queue, 4095 bytes usable. */
    public static final int MIN_RING = 4096;
    /** Largest window. */
    public static final int MAX_RING = 1 << 30;
    /** Default watchdog period, shorter than the driver's 10-30 s. */
    public static final long DEFAULT_TIMEOUT_MILLIS = 5_000;
    /** Default liveness period: a lost node is noticed within 2 s. */
    public static final long DEFAULT_LIVENESS_MILLIS = 2_000;
    /**
     * The slowest a frame's bytes may arrive, in bytes per second, once its grace of
     * {@code liveness} is spent ({@link #frameMillis}): 128 kbit/s. A link slower than this
     * cannot carry a fabric anyway; a peer trickling a frame in to hold the link open is cut
     * off.
     */
    public static final long MIN_FRAME_BYTES_PER_SECOND = 16 * 1024;
    /** Shortest liveness period: heartbeats go out four times per period. */
    public static final long MIN_LIVENESS_MILLIS = 100;
    /** Node ids 0..256: the host and up to 256 cards, as on shm. */
    public static final int MAX_NODES = 257;
    /** A fabric key shorter than this is refused: HMAC-SHA256 wants real entropy. */
    public static final int MIN_KEY_BYTES = 16;

    private static final Set<String> KNOWN = Set.of(NODE, WAIT, RING, TIMEOUT, LIVENESS, KEY, PRIVILEGED, IO);
    private static final String FILE_PREFIX = "file:";

    /** Netty's I/O transport for a node's sockets. */
    public enum Io {
        /** Native epoll when Netty's epoll jar for this platform is on the class path and loads, else NIO. */
        AUTO,
        /** Java NIO, always there. */
        NIO,
        /** Native epoll; attach fails (EINVAL) when it is not available. */
        EPOLL
    }

    /** Copies the node table so the record stays immutable. */
    public TcpOptions {
        nodes = Collections.unmodifiableMap(new TreeMap<>(nodes));
        key = key == null ? null : key.clone();
    }

    /** @return a copy of the fabric key, or null without one */
    @Override
    public byte[] key() {
        return key == null ? null : key.clone();
    }

    /**
     * @return how long a link may take from its TCP connection to the end of its handshake
     *         (HELLO, HELLO_ACK and, keyed, AUTH) before it is closed: {@code timeout}, the time
     *         a connect gives it
     */
    public long handshakeMillis() {
        return timeoutMillis;
    }

    /**
     * @param frameBytes the frame's size, its length prefix included
     * @return how long a frame may take from its first byte arriving to its last before the
     *         link is closed: {@code liveness}, the silence a node is allowed, plus the frame's
     *         size at {@link #MIN_FRAME_BYTES_PER_SECOND} (6 s for the largest frame with the
     *         defaults)
     */
    public long frameMillis(long frameBytes) {
        return livenessMillis + frameBytes * 1000 / MIN_FRAME_BYTES_PER_SECOND;
    }

    /** @return the address this node listens on */
    public InetSocketAddress selfAddress() {
        return nodes.get(node);
    }

    /**
     * Reads the options of a {@code tcp:} URI.
     *
     * @param uri the parsed URI
     * @return the options
     * @throws ScifException EINVAL for an unknown option, a value out of range, or a malformed
     *                       node list
     */
    public static TcpOptions from(FabricUri uri) throws ScifException {
        uri.requireKnownOptions(KNOWN);
        Map<Integer, InetSocketAddress> nodes = nodeTable(uri);
        int node = (int) uri.longOption(NODE, DEFAULT_NODE, 0, MAX_NODES - 1);
        if (!nodes.containsKey(node)) {
            throw uri.invalid("node=" + node + " is not in the fabric's node list " + nodes.keySet());
        }
        WaitMode wait = WaitMode.option(uri, WAIT);
        int ring = (int) uri.longOption(RING, DEFAULT_RING, MIN_RING, MAX_RING);
        if (Integer.bitCount(ring) != 1) {
            throw uri.invalid("option ring=" + ring + " is not a power of two; expected e.g."
                + " 4096 (SCIF's own size) or " + DEFAULT_RING);
        }
        long timeout = uri.longOption(TIMEOUT, DEFAULT_TIMEOUT_MILLIS, 1, 3_600_000);
        long liveness = uri.longOption(LIVENESS, DEFAULT_LIVENESS_MILLIS, MIN_LIVENESS_MILLIS, 3_600_000);
        byte[] key = null;
        String keyFile = uri.option(KEY, null);
        if (keyFile != null) {
            key = readKey(uri, keyFile);
        }
        boolean privileged = uri.booleanOption(PRIVILEGED, false);
        Io io = Io.valueOf(uri.choiceOption(IO, "auto", Set.of("auto", "nio", "epoll")).toUpperCase(java.util.Locale.ROOT));
        return new TcpOptions(node, nodes, wait, ring, timeout, liveness, key, privileged, io);
    }

    private static byte[] readKey(FabricUri uri, String file) throws ScifException {
        byte[] key;
        try {
            key = Files.readAllBytes(Path.of(file));
        } catch (IOException | RuntimeException e) {
            throw uri.invalid("option key=" + file + " cannot be read (" + e + "); expected a file"
                + " holding the fabric key");
        }
        if (key.length < MIN_KEY_BYTES) {
            throw uri.invalid("option key=" + file + " holds " + key.length + " bytes; expected at least "
                + MIN_KEY_BYTES);
        }
        return key;
    }

    /** The node list: inline {@code NODE@HOST:PORT,...} or the lines of {@code file:PATH}. */
    private static Map<Integer, InetSocketAddress> nodeTable(FabricUri uri) throws ScifException {
        String target = uri.target();
        List<String> entries;
        if (target.startsWith(FILE_PREFIX)) {
            String file = target.substring(FILE_PREFIX.length());
            try {
                entries = Files.readAllLines(Path.of(file), StandardCharsets.UTF_8);
            } catch (IOException | RuntimeException e) {
                throw uri.invalid("node file " + file + " cannot be read (" + e + "); expected one"
                    + " NODE@HOST:PORT per line");
            }
        } else {
            entries = List.of(target.split(","));
        }
        Map<Integer, InetSocketAddress> nodes = new TreeMap<>();
        for (String raw : entries) {
            int hash = raw.indexOf('#');
            String entry = (hash >= 0 ? raw.substring(0, hash) : raw).trim();
            if (entry.isEmpty()) {
                continue;
            }
            NodeAddress a = NodeAddress.parse(uri, entry);
            if (nodes.put(a.node(), a.address()) != null) {
                throw uri.invalid("node " + a.node() + " is listed twice; expected each node once");
            }
        }
        if (nodes.isEmpty()) {
            throw uri.invalid("no nodes; expected tcp:NODE@HOST:PORT,NODE@HOST:PORT,... or tcp:file:PATH");
        }
        return nodes;
    }

    /** One entry of the node list. */
    private record NodeAddress(int node, InetSocketAddress address) {
        static NodeAddress parse(FabricUri uri, String entry) throws ScifException {
            String expected = "; expected NODE@HOST:PORT, e.g. 1@127.0.0.1:7001 or 2@[::1]:7002";
            int at = entry.indexOf('@');
            int colon = entry.lastIndexOf(':');
            if (at <= 0 || colon < at + 2 || colon == entry.length() - 1) {
                throw uri.invalid("node entry '" + entry + "' is malformed" + expected);
            }
            String host = entry.substring(at + 1, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int node;
            int port;
            try {
                node = Integer.parseInt(entry.substring(0, at).trim());
                port = Integer.parseInt(entry.substring(colon + 1).trim());
            } catch (NumberFormatException e) {
                throw uri.invalid("node entry '" + entry + "' has a non-numeric node or port" + expected);
            }
            if (node < 0 || node >= MAX_NODES) {
                throw uri.invalid("node entry '" + entry + "': node id out of range; expected 0.." + (MAX_NODES - 1));
            }
            if (port < 1 || port > 65535) {
                throw uri.invalid("node entry '" + entry + "': TCP port out of range; expected 1..65535");
            }
            InetSocketAddress address = new InetSocketAddress(host, port);
            if (address.isUnresolved()) {
                throw uri.invalid("node entry '" + entry + "': host " + host + " cannot be resolved");
            }
            return new NodeAddress(node, address);
        }
    }

    @Override
    public String toString() {
        return "TcpOptions[node=" + node + ", nodes=" + nodes + ", wait=" + waitMode + ", ring=" + ringBytes
            + ", timeout=" + timeoutMillis + ", liveness=" + livenessMillis + ", key=" + (key != null)
            + ", privileged=" + privileged + "]";
    }
}
