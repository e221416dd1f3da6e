package org.scif4j.shm;

import static org.scif4j.shm.internal.FabricDescriptor.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.LinkOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.scif4j.shm.internal.ConnectionDescriptor;
import org.scif4j.shm.internal.FabricFiles;
import org.scif4j.shm.internal.ProcessIdentity;

/**
 * Reads an shm fabric from outside the processes using it, for {@code ./scif info}: a
 * snapshot of its processes and endpoints taken with plain file reads (no mapping, no lock, no
 * registration), so looking never disturbs the fabric. Fields may be mid-change; it is a view.
 */
public final class ShmFabricInspector {
    /**
     * A process attached to the fabric.
     *
     * @param slot           its process-table slot
     * @param pid            its pid
     * @param alive          whether that very process still runs
     * @param heartbeatMillis epoch millis of its watchdog's last tick
     * @param nodes          node ids it is attached as
     */
    public record ProcessInfo(int slot, int pid, boolean alive, long heartbeatMillis, int[] nodes) {
    }

    /**
     * An endpoint of some process.
     *
     * @param slot          its endpoint-table slot
     * @param pid           owning process
     * @param node          its node
     * @param port          its port (0 when unbound)
     * @param state         SCIF state name
     * @param peerNode      connected peer's node, or -1
     * @param peerPort      connected peer's port, or -1
     * @param queued        listener: requests waiting to be accepted
     * @param bytesSent     bytes it has sent over its connection
     * @param bytesReceived bytes its peer has sent to it
     * @param windows       the windows of its registered address space (its side of the
     *                      connection's window table), by offset
     * @param dmaSubmitted  sequence number of its last DMA operation submitted (31 bits, wrapping)
     * @param dmaCompleted  sequence number of its last DMA operation completed
     */
    public record EndpointInfo(int slot, int pid, int node, int port, String state, int peerNode,
                               int peerPort, int queued, long bytesSent, long bytesReceived,
                               List<WindowInfo> windows, int dmaSubmitted, int dmaCompleted) {
        /** Without windows or DMA counters (an endpoint that is not connected). */
        public EndpointInfo(int slot, int pid, int node, int port, String state, int peerNode,
                            int peerPort, int queued, long bytesSent, long bytesReceived) {
            this(slot, pid, node, port, state, peerNode, peerPort, queued, bytesSent, bytesReceived,
                List.of(), 0, 0);
        }
    }

    /**
     * A window of an endpoint's registered address space, as its connection file's window
     * table describes it (docs/shm-format.md).
     *
     * @param state      ACTIVE, or UNREGISTERED (still mapped by the peer)
     * @param prot       {@code PROT_READ} 1 | {@code PROT_WRITE} 2
     * @param offset     offset in the registered address space
     * @param length     length in bytes (whole pages)
     * @param file       the backing memory file's name, {@code mem-PID-SEQ}
     * @param fileOffset offset of the window's first byte in that file
     * @param rmaRefs    RMAs in flight on the window
     * @param mapRefs    the peer's mappings of the window
     * @param generation times the table entry was reused
     */
    public record WindowInfo(String state, int prot, long offset, long length, String file,
                             long fileOffset, int rmaRefs, int mapRefs, int generation) {
        /** @return e.g. {@code rw}, {@code r-} */
        public String protString() {
            return ((prot & 1) != 0 ? "r" : "-") + ((prot & 2) != 0 ? "w" : "-");
        }
    }

    /**
     * One fabric's snapshot.
     *
     * @param name      fabric name
     * @param dir       its directory
     * @param processes attached processes
     * @param endpoints open endpoints
     */
    public record Snapshot(String name, Path dir, List<ProcessInfo> processes, List<EndpointInfo> endpoints) {
        /** @return the online node ids (attached by a live process), ascending */
        public int[] onlineNodes() {
            BitSet b = new BitSet();
            for (ProcessInfo p : processes) {
                if (p.alive()) {
                    for (int n : p.nodes()) {
                        b.set(n);
                    }
                }
            }
            return b.stream().toArray();
        }
    }

    private ShmFabricInspector() {
    }

    /**
     * @param dir the fabrics' root, e.g. {@value ShmOptions#DEFAULT_DIR}
     * @return the names of the fabrics there, sorted; empty if none
     * @throws IOException if the directory cannot be listed
     */
    public static List<String> fabrics(Path dir) throws IOException {
        List<String> names = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return names;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)
                    && Files.isRegularFile(p.resolve("fabric"), LinkOption.NOFOLLOW_LINKS)) {
                    names.add(p.getFileName().toString());
                }
            }
        }
        names.sort(null);
        return names;
    }

    /**
     * @param fabricDir a fabric's directory
     * @return its snapshot
     * @throws IOException if it has no valid fabric file
     */
    public static Snapshot read(Path fabricDir) throws IOException {
        ByteBuffer b;
        // Never through a link, never a FIFO (whose open would block): see FabricFiles.
        try (FileChannel ch = FabricFiles.openExisting(fabricDir.resolve("fabric"), false)) {
            if (ch.size() != FILE_SIZE) {
                throw new IOException(fabricDir + "/fabric is " + ch.size() + " bytes, not a version "
                    + VERSION + " fabric (" + FILE_SIZE + ")");
            }
            b = ByteBuffer.allocate((int) FILE_SIZE).order(ByteOrder.nativeOrder());
            while (b.hasRemaining() && ch.read(b) >= 0) {
                // read it all
            }
        }
        if (b.getLong(H_MAGIC) != MAGIC || b.getInt(H_VERSION) != VERSION) {
            throw new IOException(fabricDir + "/fabric is not a version " + VERSION + " scif4j fabric");
        }
        List<ProcessInfo> procs = new ArrayList<>();
        int[] pidOf = new int[MAX_PROCESSES];
        for (int i = 0; i < MAX_PROCESSES; i++) {
            int p = (int) process(i);
            if (b.getInt(p + P_STATE) == P_LIVE) {
                int pid = b.getInt(p + P_PID);
                pidOf[i] = pid;
                BitSet nodes = new BitSet();
                for (int c = 0; c < P_NODE_CELLS; c++) {
                    int bits = b.getInt(p + P_NODES + 8 * c);
                    for (int bit = 0; bit < 32; bit++) {
                        nodes.set(32 * c + bit, (bits >>> bit & 1) != 0);
                    }
                }
                long start = startTime(b.getInt(p + P_START_TIME), b.getInt(p + P_START_TIME_HIGH));
                procs.add(new ProcessInfo(i, pid, ProcessIdentity.isAlive(pid, start),
                    b.getLong(p + P_HEARTBEAT_MILLIS), nodes.stream().toArray()));
            }
        }
        List<EndpointInfo> eps = new ArrayList<>();
        for (int s = 0; s < MAX_ENDPOINTS; s++) {
            int e = (int) endpoint(s);
            int state = b.getInt(e + E_STATE);
            if (state == FREE) {
                continue;
            }
            int owner = b.getInt(e + E_OWNER) - 1;
            boolean connected = state == CONNECTED || state == DISCONNECTED;
            ConnectionView c = connected ? connection(fabricDir, (b.getInt(e + E_CONNECTION_ID) & 0xffffffffL) | (long) b.getInt(e + E_CONNECTION_ID_HIGH) << 32,
                (b.getInt(e + E_FLAGS) & FLAG_ACCEPTED) == 0) : ConnectionView.NONE;
            eps.add(new EndpointInfo(s, owner >= 0 && owner < MAX_PROCESSES ? pidOf[owner] : 0,
                b.getInt(e + E_NODE), b.getInt(e + E_PORT), stateName(state),
                connected || state == CONNECTING ? b.getInt(e + E_PEER_NODE) : -1,
                connected || state == CONNECTING ? b.getInt(e + E_PEER_PORT) : -1,
                state == LISTENING ? b.getInt(e + E_QUEUE_COUNT) : 0, c.sent, c.received, c.windows,
                c.dmaSubmitted, c.dmaCompleted));
        }
        return new Snapshot(fabricDir.getFileName().toString(), fabricDir, procs, eps);
    }

    /** What one side of a connection file shows: bytes, windows, DMA counters. */
    private record ConnectionView(long sent, long received, List<WindowInfo> windows, int dmaSubmitted,
                                  int dmaCompleted) {
        static final ConnectionView NONE = new ConnectionView(0, 0, List.of(), 0, 0);
    }

    /**
     * Reads one side of a connection file with plain positional reads (no mapping, no lock).
     *
     * @param connector true for side 0 (the connector), false for side 1 (the acceptor)
     */
    private static ConnectionView connection(Path dir, long id, boolean connector) {
        if (id == 0) {
            return ConnectionView.NONE;
        }
        Path path = dir.resolve(ConnectionDescriptor.fileName(id));
        try (FileChannel ch = FabricFiles.openExisting(path, false)) {
            ByteBuffer h = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
            ch.read(h, ConnectionDescriptor.C_RING_SIZE - 4);
            int ring = h.getInt(4);
            if (Integer.bitCount(ring) != 1 || ring < ShmOptions.MIN_RING || ring > ShmOptions.MAX_RING
                || ch.size() < ConnectionDescriptor.fileSize(ring)) {
                return ConnectionView.NONE;
            }
            long r0 = readLong(ch, ConnectionDescriptor.ringHeader(0, ring) + ConnectionDescriptor.R_TAIL);
            long r1 = readLong(ch, ConnectionDescriptor.ringHeader(1, ring) + ConnectionDescriptor.R_TAIL);
            int side = connector ? 0 : 1;
            long area = ConnectionDescriptor.side(side);
            int submitted = (int) readLong(ch, area + ConnectionDescriptor.S_DMA_SUBMITTED);
            int completed = (int) readLong(ch, area + ConnectionDescriptor.S_DMA_COMPLETED);
            List<WindowInfo> windows = windows(ch, ConnectionDescriptor.windowTable(side, ring));
            return connector ? new ConnectionView(r0, r1, windows, submitted, completed)
                : new ConnectionView(r1, r0, windows, submitted, completed);
        } catch (IOException e) { // gone (NoSuchFileException) or unreadable: nothing to show
            return ConnectionView.NONE;
        }
    }

    private static List<WindowInfo> windows(FileChannel ch, long table) throws IOException {
        int bytes = ConnectionDescriptor.MAX_WINDOWS * ConnectionDescriptor.WINDOW_ENTRY;
        ByteBuffer t = ByteBuffer.allocate(bytes).order(ByteOrder.nativeOrder());
        while (t.hasRemaining() && ch.read(t, table + t.position()) > 0) {
            // read the whole table
        }
        List<WindowInfo> windows = new ArrayList<>();
        for (int w = 0; w < ConnectionDescriptor.MAX_WINDOWS; w++) {
            int at = w * ConnectionDescriptor.WINDOW_ENTRY;
            int state = t.getInt(at + ConnectionDescriptor.W_STATE);
            if (state != ConnectionDescriptor.WINDOW_ACTIVE && state != ConnectionDescriptor.WINDOW_UNREGISTERED) {
                continue;
            }
            windows.add(new WindowInfo(state == ConnectionDescriptor.WINDOW_ACTIVE ? "ACTIVE" : "UNREGISTERED",
                t.getInt(at + ConnectionDescriptor.W_PROT), t.getLong(at + ConnectionDescriptor.W_OFFSET),
                t.getLong(at + ConnectionDescriptor.W_LENGTH),
                "mem-" + t.getInt(at + ConnectionDescriptor.W_FILE_PID) + "-"
                    + Integer.toUnsignedString(t.getInt(at + ConnectionDescriptor.W_FILE_SEQ)),
                t.getLong(at + ConnectionDescriptor.W_FILE_OFFSET), t.getInt(at + ConnectionDescriptor.W_RMA_REFS),
                t.getInt(at + ConnectionDescriptor.W_MAP_REFS), t.getInt(at + ConnectionDescriptor.W_GEN)));
        }
        windows.sort(java.util.Comparator.comparingLong(WindowInfo::offset));
        return windows;
    }

    private static long readLong(FileChannel ch, long pos) throws IOException {
        ByteBuffer v = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
        ch.read(v, pos);
        return v.getLong(0);
    }
}
