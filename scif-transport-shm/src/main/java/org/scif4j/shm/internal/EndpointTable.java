package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.FabricDescriptor.*;

import java.nio.file.Path;
import net.openhft.chronicle.core.UnsafeMemory;
import org.scif4j.Errno;
import org.scif4j.ScifException;

/**
 * The fabric's endpoint table: one slot per open endpoint of any process, holding its SCIF
 * state, port, peer and listen queue, and the futex words its waiters sleep on. This class
 * reads and writes the slots' fields (every write goes through {@link #set}), checks the
 * slot numbers read from them, and wakes a slot's waiters; {@link EndpointSlots} hands
 * slots out and frees them, {@link ListenQueues} keeps the connect/accept handshake's fields.
 *
 * <p>Methods ending in {@code Locked} need the fabric lock. The reads and the wake methods do
 * not: the data path reads a slot's state and wakes its peer's sleepers on every message,
 * through the slot's {@link SlotWords} (addresses checked once), one volatile load, or a load
 * and a compare before a wake, following the sleeper protocol described at {@link Waiter}.
 */
public final class EndpointTable {
    private static final UnsafeMemory MEMORY = UnsafeMemory.MEMORY;
    private final SharedFile f;
    private final Path dir;
    private final FabricLock lock;
    /** Stores this table's cells: into the lock hold's change, or at once (see {@link PendingChange#putCell}). */
    private final PendingChange cells;
    private final ListenQueues queues;
    private final EndpointSlots slots;

    EndpointTable(Fabric fabric) {
        this.f = fabric.file();
        this.dir = fabric.dir();
        this.lock = fabric.controlLock();
        this.cells = lock.pending();
        this.queues = new ListenQueues(this, lock, dir);
        this.slots = new EndpointSlots(this, queues, fabric); // they keep `this` and read nothing yet
    }

    /** @return the listeners' request queues and the connect answers, in this table */
    ListenQueues queues() {
        return queues;
    }

    /** @return the allocation, ports and freeing of this table's slots */
    EndpointSlots slots() {
        return slots;
    }

    // ---------------------------------------------------------------- fields

    /**
     * Reads a field (a cell's value, or a futex word): the value the lock holder's pending
     * change gives it, for the thread that prepares that change.
     *
     * @param slot slot @param field field offset @return the int field, volatile read
     */
    public int get(int slot, int field) {
        return cells.cellValue(endpoint(checkSlot(slot)) + field);
    }

    /**
     * Writes a cell: under the lock, into the hold's change ({@link FabricLock#commit} publishes
     * it); outside it (an endpoint's own result field), by compare-and-swap at once.
     *
     * @param slot slot @param field a cell's offset @param value its new value
     */
    public void set(int slot, int field, int value) {
        cells.putCell(endpoint(checkSlot(slot)) + field, value);
    }

    /** The last guard (callers validate slot numbers read from shared memory with {@link #link}). */
    private static int checkSlot(int slot) {
        if (slot < 0 || slot >= MAX_ENDPOINTS) {
            throw new IndexOutOfBoundsException("endpoint slot " + slot + " is outside the table (0.."
                + (MAX_ENDPOINTS - 1) + ")");
        }
        return slot;
    }

    // ---------------------------------------------------------------- validated links

    /**
     * Reads a "slot + 1" field (peer slot, queue head, tail and next, listener), which any
     * process, or a corrupt file, may have written: nothing read from shared memory is used
     * as a slot number before this check.
     *
     * @param slot  the endpoint holding the field
     * @param field the field's offset
     * @return the slot it names, or -1 for none
     * @throws ScifException ENODEV naming the field, if it holds no slot number
     */
    public int link(int slot, int field) throws ScifException {
        int v = get(slot, field);
        if (v < 0 || v > MAX_ENDPOINTS) {
            lock.checkNotPreempted(); // a pre-empted reader may see a change half made: not corruption
            throw new ScifException(Errno.ENODEV, corruption(slot, field, v));
        }
        return v - 1;
    }

    /**
     * {@link #link} for the paths that must go on whatever they find (closing, reaping): a
     * value that names no slot is reported and read as "none".
     */
    int linkOrNone(int slot, int field) {
        int v = get(slot, field);
        if (v < 0 || v > MAX_ENDPOINTS) {
            System.getLogger("org.scif4j.shm").log(System.Logger.Level.WARNING, "scif4j: "
                + corruption(slot, field, v) + "; read as none");
            return -1;
        }
        return v - 1;
    }

    private String corruption(int slot, int field, int value) {
        return "fabric " + dir + " is corrupt: endpoint slot " + slot + "'s " + fieldName(field)
            + " (offset " + field + ") holds " + value + " (0x" + Integer.toHexString(value)
            + "); expected 0 (none) or a slot number + 1 (1.." + MAX_ENDPOINTS + ")";
    }

    private static String fieldName(int field) {
        switch (field) {
            case E_PEER_SLOT: return "peer slot";
            case E_QUEUE_HEAD: return "queue head";
            case E_QUEUE_TAIL: return "queue tail";
            case E_QUEUE_NEXT: return "queue next";
            case E_LISTENER: return "listener";
            case E_OWNER: return "owner";
            default: return "field";
        }
    }

    /**
     * The peer of a connected endpoint, checked.
     *
     * @param slot a CONNECTED slot
     * @return its peer's slot
     * @throws ScifException ECONNRESET naming the field, if it holds no slot number
     */
    public int peerLocked(int slot) throws ScifException {
        int peer = get(slot, E_PEER_SLOT);
        if (peer < 1 || peer > MAX_ENDPOINTS) {
            lock.checkNotPreempted();
            throw new ScifException(Errno.ECONNRESET, "the connection is broken: " + corruption(slot, E_PEER_SLOT, peer));
        }
        return peer - 1;
    }

    /** @param slot slot @return its SCIF state */
    public int state(int slot) {
        return get(slot, E_STATE);
    }

    /** @param slot slot @return its connection id, 0 if none */
    public long connectionId(int slot) {
        return (get(slot, E_CONNECTION_ID) & 0xffffffffL) | (long) get(slot, E_CONNECTION_ID_HIGH) << 32;
    }

    /** @param slot slot @param id connection id, 0 for none: two cells */
    public void connectionId(int slot, long id) {
        set(slot, E_CONNECTION_ID, (int) id);
        set(slot, E_CONNECTION_ID_HIGH, (int) (id >>> 32));
    }

    /** @param slot slot @param field a futex word's offset @return its address in this process */
    public long address(int slot, int field) {
        return f.address(endpoint(slot) + field);
    }

    // ---------------------------------------------------------------- waking

    /**
     * A state change: wakes every waiter of the slot, in any process, and its pollers.
     *
     * @param slot slot whose state changed
     */
    public void signal(int slot) {
        bump(slot, E_EVENT_SEQ);
        bump(slot, E_SPACE_SEQ);
        bump(slot, E_FENCE_SEQ);
        ringDoorbell(slot);
    }

    /**
     * A DMA operation completed: wakes fence waiters of {@code slot} if any said they sleep.
     *
     * @param slot an endpoint whose own or peer's RMAs a waiter may be fencing
     */
    public void wakeFenceWaiters(int slot) {
        // the changer's half of the sleeper protocol (see Waiter): wake only if someone sleeps
        if (f.getInt(endpoint(slot) + E_FENCE_SLEEPERS) > 0) {
            bump(slot, E_FENCE_SEQ);
        }
    }

    /**
     * The words of one slot that the data path reads on every message, through addresses
     * checked against the mapping once, here: its state as {@link #state} reads it, and its
     * sleeper counts as {@link #wakeFenceWaiters} reads its own, without {@link SharedFile}'s per-access
     * bounds check and the pending change's lookup (a data-path call never holds the fabric lock, so there is no change of
     * its own to see). Made once per endpoint and once per connection, so a message allocates
     * nothing. Valid while the fabric stays mapped: the data path reads them holding its send
     * or receive lock on an open endpoint, which close waits for before it unmaps anything.
     *
     * @param slot slot
     * @return its data-path words
     */
    SlotWords words(int slot) {
        return new SlotWords(checkSlot(slot));
    }

    /** See {@link #words}. */
    final class SlotWords {
        private final int slot;
        private final long stateAddress;
        private final long sleepersAddress;
        private final long spaceSleepersAddress;
        private final long pollersAddress;

        private SlotWords(int slot) {
            this.slot = slot;
            this.stateAddress = f.address(endpoint(slot) + E_STATE);
            this.sleepersAddress = f.address(endpoint(slot) + E_SLEEPERS);
            this.spaceSleepersAddress = f.address(endpoint(slot) + E_SPACE_SLEEPERS);
            this.pollersAddress = f.address(endpoint(slot) + E_POLLERS);
        }

        /** @return the slot's SCIF state, as {@link EndpointTable#state} reads it outside the lock */
        int state() {
            return MEMORY.readVolatileInt(stateAddress);
        }

        /**
         * Data arrived for the slot: wakes its receivers and pollers if any said they sleep.
         * The caller published the data with a release store before these loads (Waiter).
         */
        void wakeReceivers() {
            wake(sleepersAddress, E_EVENT_SEQ);
        }

        /** Send space was freed for the slot: wakes its blocked senders and pollers. */
        void wakeSenders() {
            wake(spaceSleepersAddress, E_SPACE_SEQ);
        }

        /** The changer's half of the sleeper protocol (see {@link Waiter}): wake only if someone sleeps. */
        private void wake(long sleepers, int seq) {
            if (MEMORY.readVolatileInt(sleepers) > 0) {
                bump(slot, seq);
            }
            if (MEMORY.readVolatileInt(pollersAddress) > 0) {
                ringDoorbell(slot);
            }
        }
    }

    private void bump(int slot, int seq) {
        cells.wake(endpoint(slot) + seq);
    }

    private void ringDoorbell(int slot) {
        int owner = get(slot, E_OWNER) - 1;
        if (owner >= 0 && owner < MAX_PROCESSES) { // another value is corrupt: nobody to ring
            cells.wake(ProcessTable.doorbell(owner));
        }
    }
}
