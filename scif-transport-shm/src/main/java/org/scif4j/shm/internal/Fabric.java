package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.FabricDescriptor.*;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.scif4j.Errno;
import org.scif4j.ScifException;
import org.scif4j.shm.ShmOptions;

/**
 * One JVM's attachment to one fabric directory: the mapped {@code fabric} file and this
 * process's slot in it, shared by every node this JVM attaches to the same fabric, and
 * reference counted. It ties together the parts that do the work: {@link FabricAttach}
 * (finding or creating the fabric), {@link FabricLock} (the cross-process lock and its
 * change logs), {@link ProcessTable}, {@link NodeTable}, {@link EndpointTable}, the
 * {@link Reaper} (dead processes) and {@link FabricDirectory} (files and reclamation).
 *
 * <p>Invariants. Every change to the process or endpoint tables happens while holding
 * {@link #lock()}; only the data path (rings, futex words, sleeper counts) is touched without
 * it. A process that dies holding the lock is detected by its waiters, who take the lock over
 * and reap the dead process's entries as their first act, so a half-made change by the dead
 * process only ever concerns its own entries, which reaping frees.
 */
public final class Fabric {
    private static final Map<Path, Fabric> OPEN = new HashMap<>();
    private static final System.Logger LOG = System.getLogger("org.scif4j.shm");

    private final Path dir;
    private final SharedFile file;
    private final int procSlot;
    private final int pid;
    private final ProcessTable processes;
    private final FabricLock lock;
    private final NodeTable nodes;
    private final EndpointTable endpoints;
    private final Reaper reaper;
    private final Poller poller;
    private final MemoryRegistry memory;
    /**
     * How many calls that touch the mapped file outside an endpoint's data-path locks are
     * running ({@link #tryEnter} to {@link #exit}); {@link #release} unmaps it only once none is.
     * Invariant: a call counts itself before it reads {@code unmapped}, and release sets
     * {@code unmapped} before it reads the count, both sequentially consistent, so either
     * release sees the call and waits for its exit, or the call sees {@code unmapped} and backs
     * out: the file is never unmapped under a running call. The exit that brings the count to
     * zero after {@code unmapped} was set wakes release under this object's monitor, which
     * release holds from its last read of the count to its wait: no wake-up is lost. (A
     * ReentrantReadWriteLock did this before, but its per-thread hold count allocates whenever
     * two threads are inside at once: about 100 B a poll in a two-thread ping-pong.)
     */
    private final AtomicInteger inside = new AtomicInteger();
    private volatile boolean unmapped;
    private int refs;

    Fabric(Path dir, SharedFile file, int procSlot) {
        this.dir = dir;
        this.file = file;
        this.procSlot = procSlot;
        this.pid = ProcessIdentity.selfPid();
        this.processes = new ProcessTable(file);
        this.lock = new FabricLock(file, dir, procSlot, processes, this::reapAllDeadLocked);
        this.nodes = new NodeTable(file, lock, procSlot);
        this.endpoints = new EndpointTable(this);
        this.reaper = new Reaper(dir, lock, processes, endpoints, procSlot);
        this.poller = new Poller(this);
        this.memory = new MemoryRegistry(dir);
    }

    /**
     * A stand-in for a process that has no slot yet (attaching, or removing an orphan file):
     * it locks as minus its pid and reaps, but is never registered.
     */
    static Fabric probe(Path dir, SharedFile file) {
        return new Fabric(dir, file, MAX_PROCESSES);
    }

    /**
     * Attaches this JVM to the fabric the options name, creating it if needed, or returns the
     * attachment it already has.
     *
     * @param opts the fabric's options
     * @param call the user's call, for messages
     * @return the fabric, with one more reference
     * @throws ScifException EINVAL for a corrupt or foreign fabric directory, ENOMEM when the
     *                       process table is full, ENODEV when shared memory is unusable
     */
    public static Fabric acquire(ShmOptions opts, String call) throws ScifException {
        Path dir = opts.fabricDir().toAbsolutePath().normalize();
        synchronized (OPEN) {
            Fabric f = OPEN.get(dir);
            if (f == null) {
                f = FabricAttach.open(dir, call, true);
                OPEN.put(dir, f);
                f.reaper.start();
                FabricDirectory.reclaimAbandonedSiblings(dir, OPEN::containsKey, Fabric::reclaimIfAbandoned);
            }
            f.refs++;
            return f;
        }
    }

    /**
     * Removes the fabric in {@code d} if its process table holds no live process, through the
     * normal protocol (attach without creating, reap under its lock, leave as the last
     * process), so that a process joining it meanwhile either finds it closed and starts
     * afresh, or keeps it alive. A fabric this JVM has attached is live by definition.
     *
     * @param d a fabric directory of this user (never a link)
     * @return whether it was abandoned and its {@code fabric} file is now gone
     */
    public static boolean reclaimIfAbandoned(Path d) {
        return reclaim(d) == null;
    }

    /**
     * {@link #reclaimIfAbandoned}, saying why a fabric was left.
     *
     * @param d a fabric directory of this user (never a link)
     * @return null if its {@code fabric} file is now gone; else why it is left as it is
     */
    public static String reclaim(Path d) {
        Path fabric = d.resolve("fabric");
        synchronized (OPEN) {
            if (OPEN.containsKey(d.toAbsolutePath().normalize())) {
                return "this JVM has it attached";
            }
            if (!FabricDirectory.isOurDirectory(d)) {
                return "not a fabric directory of this user";
            }
            if (!FabricDirectory.abandoned(fabric)) {
                return "a process attached meanwhile";
            }
            String failure = null;
            try {
                Fabric reclaimed = FabricAttach.open(d, "reclaim(" + d + ")", false);
                if (reclaimed != null) {
                    reclaimed.detach();
                }
            } catch (ScifException | RuntimeException e) {
                failure = e.getMessage();
                LOG.log(System.Logger.Level.DEBUG, "scif4j: left fabric " + d + " as it is: " + e);
            }
            if (!FabricDirectory.exists(fabric)) {
                return null;
            }
            return failure != null ? "reclaiming it failed: " + failure
                : "a process attached while it was being reclaimed";
        }
    }

    /**
     * Removes what a process ended while creating or removing a fabric left in {@code d} (a
     * directory without a {@code fabric} file): dead processes' temporary files, then the
     * directory if that left it empty.
     *
     * @param d a directory of this user
     * @return whether the directory is gone
     */
    public static boolean removeRemnantsOf(Path d) {
        return FabricDirectory.removeRemnantsOf(d);
    }

    /** Drops one reference; the last one detaches this JVM and, if it was the last process, removes the fabric. */
    public void release() {
        synchronized (OPEN) {
            if (--refs > 0) {
                return;
            }
            OPEN.remove(dir);
        }
        reaper.stop();
        unmapped = true;
        boolean interrupted = false;
        synchronized (inside) {
            while (inside.get() != 0) {
                try {
                    inside.wait();
                } catch (InterruptedException e) {
                    interrupted = true; // as the lock did: the calls inside end, then detach
                }
            }
        }
        detach();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Marks the start of a call that reads or writes the mapped file; pair with {@link #exit()}.
     *
     * @throws ScifException EBADF when this JVM has already detached from the fabric
     */
    public void enter() throws ScifException {
        if (!tryEnter()) {
            throw new ScifException(Errno.EBADF, "the node attachment is closed (fabric " + dir + " detached)");
        }
    }

    /** @return whether the call may go on (the file is mapped); if true, pair with {@link #exit()} */
    public boolean tryEnter() {
        inside.incrementAndGet();
        if (unmapped) {
            exit();
            return false;
        }
        return true;
    }

    /** Ends what {@link #enter()} began. */
    public void exit() {
        if (inside.decrementAndGet() == 0 && unmapped) {
            synchronized (inside) {
                inside.notifyAll();
            }
        }
    }

    /**
     * Leaves the fabric (docs/shm-format.md, "Lifecycle", steps 9-13); the last process removes
     * every file of it. The lock is held as minus this process's pid from the start, so that
     * once the slot is free waiters judge the holder by its pid; freeing the slot (and, for the
     * last process, closing the fabric) is one logged change, which a waiter finishes if this
     * process stops or dies after committing it.
     */
    private void detach() {
        lock.lockAs(-pid);
        boolean last;
        boolean removeFiles;
        try {
            CrashPoint.at("detach.locked");
            while (true) {
                try {
                    reaper.reapDeadLocked();
                    last = processes.liveCountExcept(procSlot) == 0;
                    processes.freeLocked(lock, procSlot);
                    if (last) {
                        lock.putCell(H_STATE, STATE_CLOSED);
                        // false: a waiter finished the change and took the lock, and removes the files itself (step 5)
                        removeFiles = lock.commitThenHoldDirect("detach.committed", "detach.half-applied");
                    } else {
                        lock.commit("detach.committed", "detach.half-applied");
                        removeFiles = false;
                    }
                    break;
                } catch (Preempted e) {
                    // stopped while reading, and the tables changed: look again
                }
            }
            CrashPoint.at("detach.slot-freed");
            if (removeFiles) {
                CrashPoint.at("detach.closed");
                FabricDirectory.removeFiles(dir);
            }
        } finally {
            lock.unlock();
        }
        file.close();
        CrashPoint.at("detach.unlocked");
        LOG.log(System.Logger.Level.DEBUG, "scif4j: process {0} left fabric {1} (process slot {2}){3}",
            pid, dir, procSlot, last ? ", the last: removed it" : "");
        if (last) {
            FabricDirectory.removeDirectories(dir);
        }
    }

    private void reapAllDeadLocked() {
        reaper.reapAllDeadLocked();
    }

    // ---------------------------------------------------------------- the control-plane lock

    /**
     * Takes the fabric-wide control-plane lock (see {@link FabricLock}): this JVM's lock, then
     * the shared word. Pair with {@link #unlock()}.
     */
    public void lock() {
        lock.lock();
    }

    /** Releases {@link #lock()}. */
    public void unlock() {
        lock.unlock();
    }

    /**
     * Publishes and applies the change this hold prepared (see {@link FabricLock#commit}).
     *
     * @throws Preempted if the tables changed while this hold was pre-empted: prepare it again
     */
    public void commit() {
        lock.commit();
    }

    /** The lock hold was pre-empted while it read and the tables changed since: run the change again. */
    public static final class Preempted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Preempted() {
            super("the control-plane lock was pre-empted while this process was stopped", null, false, false);
        }
    }

    /** @return the control-plane lock, through which the tables store their cells */
    FabricLock controlLock() {
        return lock;
    }

    // ---------------------------------------------------------------- nodes

    /** @param node node id this process attaches as */
    public void attachNode(int node) {
        nodes.attach(node);
    }

    /** @param node node id: undoes one {@link #attachNode(int)} */
    public void detachNode(int node) {
        nodes.detach(node);
    }

    /** @param node a node id @return whether a live process is attached as it */
    public boolean isOnline(int node) {
        return nodes.isOnlineExcept(node, -1);
    }

    /** @return the online node ids, ascending */
    public int[] onlineNodes() {
        return nodes.online();
    }

    /** @param into where to set the online node ids (without allocating, once it has room) */
    public void onlineNodes(BitSet into) {
        nodes.online(into);
    }

    // ---------------------------------------------------------------- accessors

    /** @return the mapped fabric file */
    public SharedFile file() {
        return file;
    }

    /** @return the fabric's directory */
    public Path dir() {
        return dir;
    }

    /** @return this process's slot in the process table */
    public int processSlot() {
        return procSlot;
    }

    /** @return the endpoint table */
    public EndpointTable endpoints() {
        return endpoints;
    }

    /** @return the process table */
    ProcessTable processes() {
        return processes;
    }

    /** @return the node table (which process is attached as which node) */
    NodeTable nodes() {
        return nodes;
    }

    /** @return what reaps dead processes */
    Reaper reaper() {
        return reaper;
    }

    /** @return the memory behind this JVM's windows in this fabric */
    MemoryRegistry memory() {
        return memory;
    }

    /** @return the poller for endpoints of this fabric in this JVM */
    public Poller poller() {
        return poller;
    }

    /** @return a fabric-wide unique connection id */
    public long nextConnectionId() {
        return file.addLong(H_NEXT_CONNECTION_ID, 1) - 1;
    }

    /**
     * Creates the file of a new connection under a fresh id. The file is created exclusively:
     * a {@code conn-ID} already there (left by an earlier fabric of the same name, or planted)
     * is never reused, its id is skipped instead.
     *
     * @param ringSize bytes per direction
     * @return the connector's side of the new connection
     * @throws IOException if no file can be made (ids skipped 16 times in a row, or the file system)
     */
    Connection newConnection(int ringSize) throws IOException {
        for (int skipped = 0;; skipped++) {
            long id = nextConnectionId();
            try {
                return Connection.create(dir, id, ringSize);
            } catch (FileAlreadyExistsException e) {
                if (skipped == 16) {
                    throw new IOException("16 connection ids in a row already had a file in " + dir, e);
                }
            }
        }
    }

    /** @param slot a process slot @return the offset of its poll doorbell futex word */
    public static long doorbell(int slot) {
        return ProcessTable.doorbell(slot);
    }

    @Override
    public String toString() {
        return "Fabric[" + dir + ", process slot " + procSlot + "]";
    }
}
