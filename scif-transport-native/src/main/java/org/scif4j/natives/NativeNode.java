package org.scif4j.natives;

import com.sun.jna.Native;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicReference;
import org.scif4j.Errno;
import org.scif4j.NodeIds;
import org.scif4j.ScifException;
import org.scif4j.ScifMemory;
import org.scif4j.spi.AbstractNode;
import org.scif4j.spi.Call;

/** A native node: this process's libscif attachment, and the endpoints opened through it. */
final class NativeNode extends AbstractNode<NativeEndpoint> {
    /** Counts for {@link #metrics()}; each endpoint takes its own from it. */

    /** The most nodes scif_get_nodeIDs is asked for (SCIF's fabrics have at most this many). */
    private static final int MAX_NODES = 256;

    private final Library library;
    /** Whether the library has scif4j's helpers for the data path ({@link LibScif4j}). */
    private final boolean helpers;
    private final int self;
    private final String description;
    private final AtomicReference<NativeNode> current;

    private NativeNode(Library library, boolean helpers, int self, String description,
                       AtomicReference<NativeNode> current) {
        this.library = library;
        this.helpers = helpers;
        this.self = self;
        this.description = description;
        this.current = current;
    }

    /**
     * Binds the library, hands it the fabric (SCIF_FABRIC, read at its first call), and makes
     * that first call. Called under the transport's attach lock.
     */
    static NativeNode attach(Library lib, String fabricUri, String call, AtomicReference<NativeNode> current)
        throws ScifException {
        LibScif.bind(lib.lib);
        boolean helpers = LibScif4j.bind(lib.lib);
        String before = System.getenv("SCIF_FABRIC");
        if (fabricUri != null) {
            LibC.setenv("SCIF_FABRIC", fabricUri, 1);
        }
        Scratch s = Scratch.get();
        int r;
        int errno;
        try {
            r = LibScif.scif_get_nodeIDs(s.small, 1, s.small + 8);
            errno = Native.getLastError();
        } finally {
            if (fabricUri != null) { // the library has read it; leave the environment as it was
                if (before == null) {
                    LibC.unsetenv("SCIF_FABRIC");
                } else {
                    LibC.setenv("SCIF_FABRIC", before, 1);
                }
            }
        }
        String what = lib.origin + (fabricUri == null ? "" : " on " + fabricUri);
        if (r < 0) {
            String why = helpers ? lastMessage() : "";
            lib.detach();
            Errno e = Errno.ofNumber(errno);
            throw ScifException.of(call, e == null ? Errno.ENODEV : e, "libscif could not attach (" + what
                + ", errno " + errno + ")" + (why.isEmpty() ? "; the library wrote why on standard error" : ": " + why));
        }
        int self = s.getShort(8) & 0xffff;
        return new NativeNode(lib, helpers, self, what, current);
    }

    /**
     * @return the last line scif4j's library wrote to standard error on this thread (why the
     *     attach failed: a bad option and what it expects, a fabric of another layout), or ""
     */
    static String lastMessage() {
        byte[] buf = new byte[1024];
        int n = LibScif4j.scif4j_last_message(buf, buf.length);
        return new String(buf, 0, Math.max(0, Math.min(n, buf.length - 1)), StandardCharsets.UTF_8);
    }

    /**
     * @return whether the data path (send, recv, RMA) calls scif4j's helpers ({@link LibScif4j}):
     *         one argument per call, and a blocking send or recv waits inside the library
     */
    boolean helpers() {
        return helpers;
    }

    String describe() {
        return description;
    }

    @Override
    public int selfId() {
        return self;
    }

    @Override
    public NodeIds nodeIds() throws ScifException {
        checkOpen("nodeIds()");
        Scratch s = Scratch.get();
        int n = readNodeIds(s);
        if (n < 0) {
            throw NativeErrors.error("nodeIds()", Native.getLastError());
        }
        int[] online = new int[n];
        for (int i = 0; i < n; i++) {
            online[i] = nodeId(s, i);
        }
        java.util.Arrays.sort(online);
        return new NodeIds(self, online);
    }

    /**
     * @param id a node id
     * @return false when the library lists the online nodes and {@code id} is not among them;
     *         true otherwise (also when it cannot say: its connect then decides). Through this
     *         thread's scratch block, without allocating.
     */
    boolean mayBeOnline(int id) {
        Scratch s = Scratch.get();
        int n = readNodeIds(s);
        for (int i = 0; i < n; i++) {
            if (nodeId(s, i) == id) {
                return true;
            }
        }
        return n < 0;
    }

    /**
     * scif_get_nodeIDs into {@code s}: the node ids (uint16_t) at small+16 onwards, self at
     * small+8.
     *
     * @return how many ids {@code s} holds, or -1 when the library failed (errno set)
     */
    private static int readNodeIds(Scratch s) {
        int n = LibScif.scif_get_nodeIDs(s.small + 16, MAX_NODES, s.small + 8);
        return n < 0 ? -1 : Math.min(n, MAX_NODES);
    }

    /** @return id {@code i} of those {@link #readNodeIds} put in {@code s} */
    private static int nodeId(Scratch s, int i) {
        return s.getShort(16 + 2L * i) & 0xffff;
    }

    /** {@inheritDoc} What {@link #nodeIds()} reads, through this thread's scratch block, without allocating. */
    @Override
    protected boolean onlineNodes(boolean due, BitSet into) throws ScifException {
        checkOpen("nodeIds()");
        Scratch s = Scratch.get();
        int n = readNodeIds(s);
        if (n < 0) {
            throw NativeErrors.error("nodeIds()", Native.getLastError());
        }
        for (int i = 0; i < n; i++) {
            into.set(nodeId(s, i));
        }
        return true;
    }

    @Override
    protected NativeEndpoint openEndpoint() throws ScifException {
        int epd = LibScif.scif_open();
        if (epd < 0) {
            throw NativeErrors.error("open()", Native.getLastError());
        }
        return new NativeEndpoint(this, epd, null);
    }

    /** An accepted endpoint: closed at once if the node closed meanwhile (its close may have missed it). */
    @Override
    public void adopt(NativeEndpoint e) {
        super.adopt(e);
        if (isClosed()) {
            e.close();
        }
    }

    @Override
    protected ScifMemory allocatePages(long bytes, Call call) {
        return new NativeMemory(bytes);
    }

    /** Leaves the fabric (scif4j's library) and lets another node attach. */
    @Override
    protected void detach() {
        library.detach();
        current.compareAndSet(this, null);
    }

    @Override
    public String toString() {
        return "NativeNode[" + description + " node " + self + ", " + endpoints().size() + " endpoints"
            + (isClosed() ? ", closed" : "") + "]";
    }
}
