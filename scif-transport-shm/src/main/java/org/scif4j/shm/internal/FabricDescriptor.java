package org.scif4j.shm.internal;

/**
 * Binary layout of a fabric's {@code fabric} file: header, process table, endpoint table.
 * Offsets are named constants; {@code docs/shm-format.md} documents each field. All fields
 * are native order (little-endian) and naturally aligned; ints that are futex words are
 * 4-byte aligned.
 */
public final class FabricDescriptor {
    /** "SCIF4JFB" read as a little-endian long. */
    public static final long MAGIC = 0x4246344A46494353L;
    /**
     * Layout version of the fabric and connection files; a file of another version is
     * refused. Version 2 made the control-plane lock word 64 bits (a pre-emptible lock) and
     * put a fill mark into every line of the rings; version 3 made the rings frames of
     * contiguous payload, made the table fields that changes write versioned cells and added
     * the change logs; version 4 made the process slots cells and put the writer's pid into
     * the log header, so that attaching and leaving are logged changes; version 5 made
     * reaping logged changes too (log entry kind 4, flag {@link #FLAG_REAPED})
     * (docs/shm-format.md, "Versions").
     */
    public static final int VERSION = 6;
    /** The page size SCIF assumes on host and card. */
    public static final int PAGE = (int) org.scif4j.spi.Pages.PAGE;

    // Header, in page 0.
    public static final int H_MAGIC = 0;
    public static final int H_VERSION = 8;
    public static final int H_PAGE_SIZE = 12;
    public static final int H_FILE_SIZE = 16;
    public static final int H_MAX_PROCESSES = 24;
    public static final int H_MAX_ENDPOINTS = 28;
    public static final int H_MAX_NODES = 32;
    /** A cell: {@link #STATE_ACTIVE} or {@link #STATE_CLOSED}. */
    public static final int H_STATE = 96;
    /** The offset of the first change log area. */
    public static final int H_LOG_AREAS = 104;
    /**
     * Control-plane lock, the low half of the 64-bit lock word: owning process slot + 1, or
     * minus the pid of a process without a slot, or 0 when free. A futex word.
     */
    public static final int H_LOCK = 40;
    /** The lock word's high half: the hold's epoch (bumped by every taker) * 2, + 1 once the hold has committed. */
    public static final int H_LOCK_EPOCH = 44;
    /** Processes sleeping on the lock's futex. */
    public static final int H_LOCK_WAITERS = 80;
    /** A cell, bumped by every lock hold that wrote to the tables, as the last step of its change. */
    public static final int H_CHANGES = 88;
    public static final int H_NEXT_CONNECTION_ID = 48;
    public static final int H_CREATED_MILLIS = 56;
    public static final int H_PROCESS_TABLE = 64;
    public static final int H_ENDPOINT_TABLE = 72;

    public static final int STATE_ACTIVE = 1;
    public static final int STATE_CLOSED = 2;

    public static final int MAX_PROCESSES = 256;
    public static final int MAX_ENDPOINTS = 8192;

    // Process slot: one per JVM attached to the fabric. Offsets below P_CELLS_END are
    // versioned cells (value at +0, version at +4), changed only by compare-and-swap.
    public static final int PROCESS_SLOT = 128;
    public static final int P_STATE = 0;
    public static final int P_PID = 8;
    /** The start time's low 32 bits; its high 32 bits are the cell at {@link #P_START_TIME_HIGH}. */
    public static final int P_START_TIME = 16;
    public static final int P_START_TIME_HIGH = 24;
    /** Node bits: nine cells of 32 bits; node n is bit n % 32 of the cell at P_NODES + 8 * (n / 32). */
    public static final int P_NODES = 32;
    public static final int P_NODE_CELLS = 9;
    /** The end of the slot's cells. */
    public static final int P_CELLS_END = P_NODES + 8 * P_NODE_CELLS;
    /** Plain word: epoch milliseconds, written by the slot's own process. */
    public static final int P_HEARTBEAT_MILLIS = 104;
    /** Futex word bumped to wake this process's pollers. */
    public static final int P_DOORBELL = 112;
    public static final int P_FREE = 0;
    public static final int P_LIVE = 1;

    // Endpoint slot: one per open endpoint of any process. Offsets below E_CELLS_END are
    // versioned cells (value at +0, version at +4), changed only by compare-and-swap.
    public static final int ENDPOINT_SLOT = 256;
    public static final int E_STATE = 0;
    /** Owning process slot + 1. */
    public static final int E_OWNER = 8;
    /** Incremented each time the slot is handed out: (slot, gen) names one endpoint. */
    public static final int E_GEN = 16;
    public static final int E_NODE = 24;
    public static final int E_PORT = 32;
    public static final int E_FLAGS = 40;
    public static final int E_PEER_NODE = 48;
    public static final int E_PEER_PORT = 56;
    public static final int E_PEER_SLOT = 64;
    public static final int E_PEER_GEN = 72;
    /** The connection id's low 32 bits; its high 32 bits are the cell at {@link #E_CONNECTION_ID_HIGH}. */
    public static final int E_CONNECTION_ID = 80;
    public static final int E_CONNECTION_ID_HIGH = 88;
    public static final int E_BACKLOG = 96;
    public static final int E_QUEUE_COUNT = 104;
    /** Listener: first queued connector's slot + 1. */
    public static final int E_QUEUE_HEAD = 112;
    public static final int E_QUEUE_TAIL = 120;
    /** Queued connector: next connector's slot + 1. */
    public static final int E_QUEUE_NEXT = 128;
    /** Connector: 0 pending, {@link #CONNECT_ACCEPTED}, or minus the errno of the refusal. */
    public static final int E_CONNECT_RESULT = 136;
    /** Queued connector: the listener's slot + 1. */
    public static final int E_LISTENER = 144;
    /** The end of the slot's cells. */
    public static final int E_CELLS_END = 152;
    /** Futex word: bumped on every event a waiter on this endpoint may be waiting for. */
    public static final int E_EVENT_SEQ = 192;
    /** Threads that announced they may sleep on {@link #E_EVENT_SEQ}. */
    public static final int E_SLEEPERS = 196;
    /** Poll calls watching this endpoint (they sleep on the owner's doorbell). */
    public static final int E_POLLERS = 200;
    /** Futex word bumped when send space is freed (and on every state change). */
    public static final int E_SPACE_SEQ = 204;
    /** Threads that announced they may sleep on {@link #E_SPACE_SEQ}. */
    public static final int E_SPACE_SLEEPERS = 208;
    /** Futex word bumped when a DMA operation of this endpoint or its peer completes (and on state changes). */
    public static final int E_FENCE_SEQ = 212;
    /** Threads that announced they may sleep on {@link #E_FENCE_SEQ}. */
    public static final int E_FENCE_SLEEPERS = 216;

    /** The endpoint holds its port (a listener, a connector, or an accepted endpoint). */
    public static final int FLAG_HOLDS_PORT = 1;
    /** The endpoint was made by accept: it receives on ring 0 of the connection file. */
    public static final int FLAG_ACCEPTED = 2;
    /**
     * On a free slot only: it was closed by reaping its dead owner, whose sleeper and poller
     * counters are stale; the slot's next allocation resets them (docs/shm-format.md, "Reaping
     * a dead process").
     */
    public static final int FLAG_REAPED = 4;
    public static final int CONNECT_ACCEPTED = 1;

    // Endpoint states, SCIF's own (those of the Linux SCIF driver).
    public static final int FREE = 0;
    public static final int UNBOUND = 1;
    public static final int BOUND = 2;
    public static final int LISTENING = 3;
    public static final int CONNECTING = 4;
    public static final int CONNECTED = 5;
    public static final int DISCONNECTED = 6;

    public static final long PROCESS_TABLE_OFFSET = PAGE;
    public static final long ENDPOINT_TABLE_OFFSET = PROCESS_TABLE_OFFSET + (long) MAX_PROCESSES * PROCESS_SLOT;
    /** The change logs: one area per process slot. */
    public static final long LOG_AREA_OFFSET = ENDPOINT_TABLE_OFFSET + (long) MAX_ENDPOINTS * ENDPOINT_SLOT;
    public static final int LOG_AREA = PAGE;
    public static final long FILE_SIZE = LOG_AREA_OFFSET + (long) MAX_PROCESSES * LOG_AREA;

    private FabricDescriptor() {
    }

    /** @param slot process slot index @return offset of that slot */
    public static long process(int slot) {
        return PROCESS_TABLE_OFFSET + (long) slot * PROCESS_SLOT;
    }

    /** @param slot process slot index @return offset of its change log area */
    public static long logArea(int slot) {
        return LOG_AREA_OFFSET + (long) slot * LOG_AREA;
    }

    /** @return the start time a process slot's two cells hold */
    public static long startTime(int low, int high) {
        return (long) high << 32 | (low & 0xffffffffL);
    }

    /** @param node a node id (0..256) @return the offset, in a process slot, of the cell holding its bit */
    public static int nodeCell(int node) {
        return P_NODES + 8 * (node >>> 5);
    }

    /** @param slot endpoint slot index @return offset of that slot */
    public static long endpoint(int slot) {
        return ENDPOINT_TABLE_OFFSET + (long) slot * ENDPOINT_SLOT;
    }

    /** @param state an endpoint state @return its SCIF name */
    public static String stateName(int state) {
        switch (state) {
            case FREE: return "FREE";
            case UNBOUND: return "UNBOUND";
            case BOUND: return "BOUND";
            case LISTENING: return "LISTENING";
            case CONNECTING: return "CONNECTING";
            case CONNECTED: return "CONNECTED";
            case DISCONNECTED: return "DISCONNECTED";
            default: return "?" + state;
        }
    }
}
