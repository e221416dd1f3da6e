package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.FabricDescriptor.*;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.scif4j.Errno;
import org.scif4j.ScifException;
import org.scif4j.shm.ShmOptions;

/**
 * One JVM's attachment to one fabric directory: the mapped {@code fabric} file, this
 * process's slot in it, the control-plane lock, and the watchdog that notices dead processes.
 * Shared by every node this JVM attaches to the same fabric, and reference counted.
 *
 * <p>Invariants. Every change to the process or endpoint tables happens while holding
 * {@link #lock()}; only the data path (rings, futex words, sleeper counts) is touched without
 * it. A process that dies holding the lock is detected by its waiters, who take the lock over
 * and reap the dead process's entries as their first act, so a half-made change by the dead
 * process only ever concerns its own entries, which reaping frees.
 */
public final class Fabric {
    private static final Map<Path, Fabric> OPEN = new HashMap<>();
    private static final Pattern OWN_FILE = Pattern.compile(
        "fabric|fabric\\.(new|dead)-\\d+-\\d+|conn-\\d+(\\.tmp)?|mem-\\d+-\\d+");
    /** Files an earlier fabric of the same name may leave: connections, and memory of process PID. */
    private static final Pattern STALE_FILE = Pattern.compile("conn-\\d+(?:\\.tmp)?|mem-(\\d+)-\\d+");
    /** A fabric file being made or removed, named for the process that does it. */
    private static final Pattern TEMP_FILE = Pattern.compile("fabric\\.(new|dead)-(\\d+)-\\d+");
    /** The default root's name: only under it are empty sibling directories known to be fabrics. */
    private static final String DEFAULT_ROOT_NAME = "scif4j";
    private static final long WATCHDOG_PERIOD_MILLIS = 200;
    private static final long LOCK_OWNER_CHECK_NANOS = 1_000_000L;
    /** How long a stopped holder that has not begun to write may keep the lock. */
    private static final long PREEMPT_NANOS = 2_000_000L;
    /** How long any holder that has not begun to write may keep the lock (descheduled, swapped out). */
    private static final long PREEMPT_IDLE_NANOS = 500_000_000L;

    private final Path dir;
    private final SharedFile file;
    private final int procSlot;
    private final int pid;
    private final EndpointTable endpoints;
    private final ReentrantLock jvmLock = new ReentrantLock();
    private final int[] nodeRefs = new int[ShmOptions.MAX_NODES];
    private final Thread watchdog;
    private final Poller poller;
    private final MemoryRegistry memory;
    /**
     * Read-held by every call that touches the mapped file outside an endpoint's data-path
     * locks; write-held to unmap it. So the file is never unmapped under a running call.
     */
    private final ReentrantReadWriteLock mapping = new ReentrantReadWriteLock();
    private boolean unmapped;
    private int refs;
    /** The lock word of this JVM's current hold, 0 if none. Guarded by jvmLock. */
    private long held;
    /** The owner id of the current hold. Guarded by jvmLock. */
    private int heldBy;
    /** The value of the {@code H_CHANGES} cell when the current hold began to read the tables. Guarded by jvmLock. */
    private int readsSince;
    /** Whether the current hold writes directly (not through a change log). Guarded by jvmLock. */
    private boolean direct;
    /** The change the current hold prepares. Guarded by jvmLock. */
    private final ChangeLog change = new ChangeLog();
    /** Guarded by jvmLock. */
    private int finishes;
    /** Guarded by jvmLock. */
    private int preemptions;
    private volatile boolean detached;

    private Fabric(Path dir, SharedFile file, int procSlot) {
        this.dir = dir;
        this.file = file;
        this.procSlot = procSlot;
        this.pid = ProcessIdentity.selfPid();
        this.endpoints = new EndpointTable(this);
        this.poller = new Poller(this);
        this.memory = new MemoryRegistry(dir);
        this.watchdog = new Thread(this::watch, "scif4j-watchdog-" + dir.getFileName());
        this.watchdog.setDaemon(true);
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
                f = open(dir, call, true);
                OPEN.put(dir, f);
                f.watchdog.start();
                reclaimAbandonedSiblings(dir);
            }
            f.refs++;
            return f;
        }
    }

    /**
     * Removes the other fabrics under the same root whose every process has died (the last
     * one was killed, so nobody removed them), so that a crash leaves nothing behind for long
     * even when that fabric is never attached again. Each is reclaimed through the normal
     * protocol — attach, reap under its lock, leave as the last process — so a process that
     * is joining it meanwhile either finds it closed and starts afresh, or keeps it alive.
     * Only real directories of this user are looked into: a symbolic link under the root is
     * never followed. Best effort: anything unexpected leaves the sibling as it is.
     */
    private static void reclaimAbandonedSiblings(Path dir) {
        Path root = dir.getParent();
        if (root == null) {
            return;
        }
        boolean defaultRoot = root.getFileName() != null && root.getFileName().toString().equals(DEFAULT_ROOT_NAME);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path sibling : ds) {
                Path d = sibling.toAbsolutePath().normalize();
                if (d.equals(dir) || OPEN.containsKey(d) || !isOurDirectory(d)) {
                    continue;
                }
                if (defaultRoot && !exists(d.resolve("fabric"))) {
                    removeRemnants(d);
                    continue;
                }
                reclaimIfAbandoned(d);
            }
        } catch (IOException e) {
            // the root vanished or cannot be listed: nothing to reclaim
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
        Path fabric = d.resolve("fabric");
        synchronized (OPEN) {
            if (OPEN.containsKey(d.toAbsolutePath().normalize()) || !isOurDirectory(d) || !abandoned(fabric)) {
                return false;
            }
            try {
                Fabric reclaimed = open(d, "reclaim(" + d + ")", false);
                if (reclaimed != null) {
                    reclaimed.detach();
                }
            } catch (ScifException | RuntimeException e) {
                System.getLogger("org.scif4j.shm").log(System.Logger.Level.DEBUG,
                    "scif4j: left fabric " + d + " as it is: " + e);
            }
            return !exists(fabric);
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
        if (!isOurDirectory(d) || exists(d.resolve("fabric"))) {
            return false;
        }
        removeRemnants(d);
        return !exists(d);
    }

    /** @return whether {@code d} is a directory of this user, not a link to one */
    private static boolean isOurDirectory(Path d) {
        try {
            FabricFiles.checkDirectory(d);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** @return whether anything has the name {@code p} (a dangling link too) */
    private static boolean exists(Path p) {
        return Files.exists(p, LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * Removes the {@code fabric.new-PID-N} and {@code fabric.dead-PID-N} files of processes
     * that are gone: a JVM ended (Ctrl-C) between making such a file and linking or deleting
     * it leaves one, which no live process will ever touch again.
     */
    private static void removeDeadTempFiles(Path dir) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "fabric.*")) {
            for (Path p : ds) {
                Matcher m = TEMP_FILE.matcher(p.getFileName().toString());
                if (m.matches() && ProcessIdentity.startTime(Integer.parseInt(m.group(2))) < 0) {
                    FabricFiles.deleteOwn(p);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // the directory went away, or a pid beyond int: nothing to do
        }
    }

    /**
     * A directory under the default root without a {@code fabric} file: what a process ended
     * in the middle of creating or removing a fabric leaves. Its dead processes' temporary files
     * go, and then the directory if it is empty (a process creating a fabric in it right now
     * finds it gone and starts over, see {@link #open}).
     */
    private static void removeRemnants(Path d) {
        removeDeadTempFiles(d);
        try {
            Files.deleteIfExists(d);
        } catch (IOException e) {
            // not empty (a live process's file, or a fabric being made): leave it
        }
    }

    /**
     * @return whether {@code fabric} is a valid fabric file whose process table holds no live
     *         process (active, or closed by a last process that died before removing it)
     */
    private static boolean abandoned(Path fabric) {
        ByteBuffer b = ByteBuffer.allocate((int) ENDPOINT_TABLE_OFFSET).order(ByteOrder.nativeOrder());
        try (FileChannel ch = FabricFiles.openExisting(fabric, false)) {
            if (ch.size() != FILE_SIZE) {
                return false;
            }
            while (b.hasRemaining() && ch.read(b) >= 0) {
                // the header and the process table
            }
        } catch (IOException e) {
            return false;
        }
        int state = b.getInt(H_STATE);
        if (b.getLong(H_MAGIC) != MAGIC || b.getInt(H_VERSION) != VERSION
            || (state != STATE_ACTIVE && state != STATE_CLOSED)) {
            return false;
        }
        for (int i = 0; i < MAX_PROCESSES; i++) {
            int p = (int) process(i);
            if (b.getInt(p + P_STATE) == P_LIVE
                && ProcessIdentity.isAlive(b.getInt(p + P_PID), b.getLong(p + P_START_TIME))) {
                return false;
            }
        }
        return true;
    }

    /** Drops one reference; the last one detaches this JVM and, if it was the last process, removes the fabric. */
    public void release() {
        synchronized (OPEN) {
            if (--refs > 0) {
                return;
            }
            OPEN.remove(dir);
        }
        detached = true;
        watchdog.interrupt();
        try {
            watchdog.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        mapping.writeLock().lock();
        try {
            unmapped = true;
            detach();
        } finally {
            mapping.writeLock().unlock();
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
        mapping.readLock().lock();
        if (unmapped) {
            mapping.readLock().unlock();
            return false;
        }
        return true;
    }

    /** Ends what {@link #enter()} began. */
    public void exit() {
        mapping.readLock().unlock();
    }

    // ---------------------------------------------------------------- opening and closing

    /**
     * Attaches to the fabric in {@code dir}, creating it if {@code mayCreate}.
     *
     * <p>The invariant that makes racing attaches and departures safe: the name
     * {@code fabric} only ever names a complete fabric file (full size, header written, magic
     * last), because the only way a file gets that name is {@link #create}'s hard link of a
     * file initialised under a private name; an existing {@code fabric} is opened without
     * creating it and mapped through that same open file ({@link #mapExisting}), so a last
     * process removing it at any moment makes the attach retry and never leaves a new file
     * behind; the magic is never cleared; and only the last process of the fabric that the
     * name holds renames it away, under that fabric's lock. A file found under the name
     * without a magic number was thus not made by this protocol: {@link #removeOrphan}
     * removes it, under its own lock word, and that is the only other rename of the name.
     *
     * @return the fabric, or null if {@code mayCreate} is false and there is no fabric
     */
    private static Fabric open(Path dir, String call, boolean mayCreate) throws ScifException {
        IOException last = null;
        for (int attempt = 0; attempt < 200; attempt++) {
            try {
                if (mayCreate) {
                    FabricFiles.createDirectory(dir);
                    CrashPoint.at("attach.directory");
                } else {
                    FabricFiles.checkDirectory(dir);
                }
                refuseForeignFiles(dir, call);
                removeDeadTempFiles(dir);
                Path path = dir.resolve("fabric");
                FabricFiles.Opened existing = exists(path) ? openFabric(path) : null;
                SharedFile file;
                if (existing != null) {
                    file = mapExisting(existing, path, call);
                } else if (mayCreate) {
                    file = create(dir, path);
                } else {
                    return null;
                }
                if (file == null) {
                    continue; // lost a race with another creator or a departing last process
                }
                Fabric f = register(dir, file, existing == null ? null : existing.key(), call);
                if (f != null) {
                    return f;
                }
            } catch (Preempted e) {
                continue; // stopped while reading the tables, which changed meanwhile: again
            } catch (FabricFiles.NotOurFileException e) {
                throw ScifException.of(call, Errno.EINVAL, "fabric directory " + dir + " holds "
                    + e.getFile() + ", which scif4j did not make: " + e.getReason() + "; a fabric directory"
                    + " holds only its own files, created by this user: remove it, or choose another fabric name or dir=");
            } catch (NoSuchFileException | FileNotFoundException | FileAlreadyExistsException e) {
                // The directory or file came or went under us (a departing last process
                // removes both; java.io reports a missing directory as FileNotFoundException,
                // and create() checks with java.nio first so that a permission problem is
                // reported at once, not retried): try again.
                if (!mayCreate && !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                    return null;
                }
                last = e;
            } catch (ScifException e) {
                throw e;
            } catch (IOException e) {
                throw new ScifException(Errno.ENODEV, call + ": ENODEV, cannot use fabric directory "
                    + dir + ": " + e.getMessage(), e);
            }
        }
        throw new ScifException(Errno.ENODEV, call + ": ENODEV, fabric directory " + dir
            + " kept changing while attaching" + (last == null ? "" : ": " + last), last);
    }

    /** @return the open {@code fabric} file, or null if the name went away meanwhile */
    private static FabricFiles.Opened openFabric(Path path) throws IOException {
        try {
            return FabricFiles.open(path, true);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private static void refuseForeignFiles(Path dir, String call) throws IOException, ScifException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (!OWN_FILE.matcher(p.getFileName().toString()).matches()) {
                    throw ScifException.of(call, Errno.EINVAL, "fabric directory " + dir + " holds "
                        + p.getFileName() + ", which is not a scif4j file; a fabric directory must"
                        + " hold only its own files: remove it, or choose another fabric name or dir=");
                }
            }
        }
    }

    /**
     * Validates the header with plain reads, then maps the file through the same open
     * channel: a foreign file is never mapped or grown, and the file mapped is the one
     * validated. The file was opened without creating it and without following a link
     * ({@link FabricFiles#open}): a file created here by a mapping racing with a departing
     * last process's removal would be a zero-filled {@code fabric} that every later attach
     * refuses.
     *
     * @return the mapping, or null when the file was replaced or removed under us (try again)
     * @throws NoSuchFileException when the file vanished (try again)
     */
    private static SharedFile mapExisting(FabricFiles.Opened opened, Path path, String call)
        throws IOException, ScifException {
        Object key = opened.key();
        try (FileChannel ch = opened.channel()) {
            ByteBuffer h = ByteBuffer.allocate(112).order(ByteOrder.nativeOrder());
            long size = ch.size();
            while (h.hasRemaining() && ch.read(h, h.position()) >= 0) {
                // read the header
            }
            h.flip();
            String why = null;
            if (h.remaining() < 112) {
                why = "it is " + size + " bytes long, shorter than a header";
            } else if (key != null && size == FILE_SIZE && zeroHeader(h)) {
                removeOrphan(path, key, ch);
                return null;
            } else if (h.getLong(H_MAGIC) != MAGIC) {
                why = "its magic number is 0x" + Long.toHexString(h.getLong(H_MAGIC)) + ", not 0x"
                    + Long.toHexString(MAGIC);
            } else if (h.getInt(H_VERSION) != VERSION) {
                why = "its layout version is " + h.getInt(H_VERSION) + "; this scif4j reads version " + VERSION;
            } else if (h.getLong(H_FILE_SIZE) != FILE_SIZE || size != FILE_SIZE
                || h.getInt(H_MAX_PROCESSES) != MAX_PROCESSES || h.getInt(H_MAX_ENDPOINTS) != MAX_ENDPOINTS
                || h.getLong(H_LOG_AREAS) != LOG_AREA_OFFSET) {
                why = "its sizes (file " + size + ", header " + h.getLong(H_FILE_SIZE) + ") do not match"
                    + " version " + VERSION + "'s " + FILE_SIZE;
            }
            if (why != null) {
                throw ScifException.of(call, Errno.EINVAL, path + " is not a valid scif4j fabric: " + why
                    + "; remove the directory " + path.getParent() + " if no process uses it");
            }
            return SharedFile.mapExisting(ch, path, FILE_SIZE);
        }
    }

    /** @return whether the header is all zero, but for the lock words, which lockers touch */
    private static boolean zeroHeader(ByteBuffer h) {
        for (int i = 0; i < 64; i += 4) {
            if (i != H_LOCK && i != H_LOCK_WAITERS && h.getInt(i) != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Removes a full-size {@code fabric} file whose header is all zero. By the invariant of
     * {@link #open} no process of this version makes one and none uses one (register sees
     * it is not ACTIVE): it is an orphan, left by an older scif4j that mapped the name with
     * create-if-missing just after the last process had removed the fabric. While it holds
     * the name, no real fabric can be linked in and no last process renames it. Removers
     * serialise on the orphan's own lock word (the ordinary lock protocol, so a remover that
     * dies holding it is taken over) and rename the name away only if it still names the
     * orphan they opened: so a remover never removes a fabric that replaced the orphan.
     */
    private static void removeOrphan(Path path, Object key, FileChannel ch) throws IOException {
        SharedFile orphan = SharedFile.mapExisting(ch, path, FILE_SIZE);
        Fabric probe = new Fabric(path.getParent(), orphan, MAX_PROCESSES);
        probe.lockAs(-ProcessIdentity.selfPid());
        try {
            probe.beginWrite();
            if (key.equals(fileKey(path))) { // else another remover was first
                renameAndDelete(path);
                System.getLogger("org.scif4j.shm").log(System.Logger.Level.INFO,
                    "scif4j: removed an all-zero fabric file left by a lost attach race in " + path.getParent());
            }
        } finally {
            probe.unlockAs();
            orphan.close();
        }
    }

    /**
     * Renames {@code fabric} to a private name and deletes it: the name is free from the
     * rename on, so a newcomer finds no fabric and creates a fresh one.
     */
    private static void renameAndDelete(Path fabric) throws IOException {
        Path dead = fabric.resolveSibling("fabric.dead-" + ProcessIdentity.selfPid() + "-" + System.nanoTime());
        Files.move(fabric, dead);
        CrashPoint.at("detach.renamed");
        Files.deleteIfExists(dead);
    }

    /** Initialises a new fabric file under a temporary name, then links it in atomically. */
    private static SharedFile create(Path dir, Path path) throws IOException {
        Path tmp = dir.resolve("fabric.new-" + ProcessIdentity.selfPid() + "-" + System.nanoTime());
        // Exclusive and never through a link. A vanished directory is NoSuchFileException
        // (retried), a permission problem AccessDeniedException (reported). A departing last
        // process may delete tmp once it exists: the mapping is of the open file, and the
        // link below then fails with NoSuchFileException (retried).
        SharedFile file;
        try (FileChannel ch = FabricFiles.createNew(tmp)) {
            CrashPoint.at("attach.new-file");
            ch.write(ByteBuffer.allocate(1), FILE_SIZE - 1); // grows it; the rest reads as zero
            file = SharedFile.mapExisting(ch, tmp, FILE_SIZE);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        boolean linked = false;
        try {
            file.putInt(H_VERSION, VERSION);
            file.putInt(H_PAGE_SIZE, PAGE);
            file.putLong(H_FILE_SIZE, FILE_SIZE);
            file.putInt(H_MAX_PROCESSES, MAX_PROCESSES);
            file.putInt(H_MAX_ENDPOINTS, MAX_ENDPOINTS);
            file.putInt(H_MAX_NODES, ShmOptions.MAX_NODES);
            long created = System.currentTimeMillis();
            file.putLong(H_STATE, STATE_ACTIVE); // a cell: version 0
            // Ids of a re-created fabric never meet an earlier one's (a late removal of an old id is harmless).
            file.putLong(H_NEXT_CONNECTION_ID, created << 20);
            file.putLong(H_CREATED_MILLIS, created);
            file.putLong(H_LOG_AREAS, LOG_AREA_OFFSET);
            file.putLong(H_PROCESS_TABLE, PROCESS_TABLE_OFFSET);
            file.putLong(H_ENDPOINT_TABLE, ENDPOINT_TABLE_OFFSET);
            file.putLong(H_MAGIC, MAGIC); // last: a reader that sees the magic sees the rest
            CrashPoint.at("attach.initialised");
            Files.createLink(path, tmp);
            linked = true;
            CrashPoint.at("attach.linked");
            return file;
        } catch (FileAlreadyExistsException e) {
            return null;
        } finally {
            if (!linked) {
                file.close();
            }
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Takes a process slot; null when the fabric was closed by its last process meanwhile (or
     * its last process died while closing it: then this process finishes the removal first).
     *
     * @param key the file key of the {@code fabric} file mapped, null if this process created it
     */
    private static Fabric register(Path dir, SharedFile file, Object key, String call) throws ScifException {
        int slot = -1;
        boolean registered = false;
        int self = ProcessIdentity.selfPid();
        long selfStart = ProcessIdentity.startTime(self); // read before the lock: keep the hold short
        // Lock before this process has a slot: a temporary Fabric runs the lock protocol with
        // minus our pid as the owner, which waiters check for liveness by pid alone.
        Fabric probe = new Fabric(dir, file, MAX_PROCESSES);
        probe.lockAs(-self);
        try {
            CrashPoint.at("attach.locked");
            probe.reapDeadProcessesLocked();
            int state = file.getInt(H_STATE);
            if (state != STATE_ACTIVE && !probe.recoverStateLocked(state, key)) {
                return null;
            }
            boolean first = probe.liveProcessesLocked() == 0;
            for (int i = 0; i < MAX_PROCESSES; i++) {
                if (file.getInt(process(i) + P_STATE) != P_LIVE) { // free, or garbage: not a live process
                    slot = i;
                    break;
                }
            }
            if (slot < 0) {
                throw ScifException.of(call, Errno.ENOMEM, "the fabric's process table is full ("
                    + MAX_PROCESSES + " processes)");
            }
            probe.beginWrite(); // from here on the hold writes: nobody pre-empts it
            if (first) {
                probe.removeStaleFilesLocked(); // nothing here is in use
            }
            long p = process(slot);
            file.putInt(p + P_STATE, P_FREE);
            for (int i = 0; i < P_NODES_LONGS; i++) {
                file.putLong(p + P_NODES + 8L * i, 0);
            }
            file.putInt(p + P_PID, self);
            CrashPoint.at("attach.slot-half-written");
            file.putLong(p + P_START_TIME, selfStart);
            file.putLong(p + P_HEARTBEAT_MILLIS, System.currentTimeMillis());
            file.putInt(p + P_STATE, P_LIVE);
            CrashPoint.at("attach.registered");
            registered = true;
        } finally {
            probe.unlockAs();
            if (!registered) {
                file.close();
            }
        }
        return new Fabric(dir, file, slot);
    }

    /**
     * A fabric found not ACTIVE under its lock. CLOSED is set only by a last process, under
     * the lock, which it holds until it has renamed {@code fabric} away: so if the name still
     * holds this very file, that process died while closing, and this one finishes its job
     * (the state 2 a killed detach leaves, which used to make every later attach fail). A
     * CLOSED fabric with live processes, or any other state, was not written by this
     * protocol: a live process's fabric is set ACTIVE again, a dead one removed.
     *
     * @param key the file key of the file mapped, null if this process created it
     * @return whether to register in this fabric (false: start over)
     */
    private boolean recoverStateLocked(int state, Object key) {
        beginWrite();
        Path fabric = dir.resolve("fabric");
        if (key == null || !key.equals(fileKey(fabric))) {
            return false; // closed and renamed away, as it should: the attach starts over
        }
        if (liveProcessesLocked() > 0) {
            System.getLogger("org.scif4j.shm").log(System.Logger.Level.WARNING, "scif4j: fabric " + dir
                + " had state " + state + " (header offset " + H_STATE + ") although processes are attached;"
                + " set it ACTIVE again");
            putCell(H_STATE, STATE_ACTIVE);
            return true;
        }
        System.getLogger("org.scif4j.shm").log(System.Logger.Level.INFO, "scif4j: fabric " + dir
            + " was left in state " + state + " by a process that died while removing it; removing it");
        putCell(H_STATE, STATE_CLOSED);
        removeFilesLocked();
        return false;
    }

    /** @return the file key the name holds, or null if it holds nothing */
    private static Object fileKey(Path p) {
        try {
            return FabricFiles.lstat(p).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * The first process of a fabric removes what an earlier fabric of the same name left:
     * connection files (whose ids the new fabric will hand out again) and dead processes'
     * memory files. No other process is registered, so none of them is in use.
     */
    private void removeStaleFilesLocked() {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                Matcher m = STALE_FILE.matcher(p.getFileName().toString());
                if (m.matches() && (m.group(1) == null || ProcessIdentity.startTime(parsePid(m.group(1))) < 0)) {
                    FabricFiles.deleteOwn(p);
                }
            }
        } catch (IOException e) {
            System.getLogger("org.scif4j.shm").log(System.Logger.Level.DEBUG, "scif4j: listing " + dir + ": " + e);
        }
    }

    private static int parsePid(String digits) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Leaves the fabric; the last process removes every file of it. */
    private void detach() {
        lock();
        boolean last;
        try {
            CrashPoint.at("detach.locked");
            leaveLocked();
            last = liveProcessesLocked() == 0;
            if (last) {
                beginWrite();
                putCell(H_STATE, STATE_CLOSED);
                CrashPoint.at("detach.closed");
                removeFilesLocked();
            }
        } finally {
            unlock();
        }
        file.close();
        CrashPoint.at("detach.unlocked");
        if (last) {
            removeDirectories();
        }
    }

    /**
     * Reaps the dead and frees this process's slot, from the start again if the hold was
     * pre-empted while it read (then the lock is held again). On return the hold is writing.
     */
    private void leaveLocked() {
        while (true) {
            try {
                reapDeadProcessesLocked();
                beginWrite();
                break;
            } catch (Preempted e) {
                // stopped while reading, and the tables changed: look again
            }
        }
        // From here on the lock is held as "minus our pid", checked by pid: once our slot
        // is free, waiters would otherwise take a slot-numbered lock for a dead owner's.
        long asPid = word(-pid, epochOf(held), true);
        file.putLong(H_LOCK, asPid); // ours, and writing (direct): nobody else changes it now
        held = asPid;
        heldBy = -pid;
        freeProcessSlotLocked(procSlot);
        CrashPoint.at("detach.slot-freed");
    }

    /**
     * The last process's removal: every other file of the protocol (regular files and links
     * only, never following one), then {@code fabric} itself. Each step may be the last a
     * killed process makes: the next process to take the lock finds CLOSED and finishes.
     */
    private void removeFilesLocked() {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (OWN_FILE.matcher(name).matches() && !name.equals("fabric")) {
                    FabricFiles.deleteOwn(p);
                    CrashPoint.at("detach.file-removed");
                }
            }
            // Rename first: a newcomer either mapped the old file (and sees CLOSED under the
            // lock) or finds no file and creates a fresh one.
            renameAndDelete(dir.resolve("fabric"));
        } catch (IOException e) {
            System.getLogger("org.scif4j.shm").log(System.Logger.Level.WARNING,
                "scif4j: could not remove every file of fabric " + dir + ": " + e);
        }
    }

    private void removeDirectories() {
        try {
            Files.deleteIfExists(dir);
            Path parent = dir.getParent();
            // Remove the root only when it is scif4j's own (the default /dev/shm/scif4j).
            if (parent != null && parent.getFileName() != null
                && parent.getFileName().toString().equals("scif4j")) {
                Files.deleteIfExists(parent);
            }
        } catch (DirectoryNotEmptyException e) {
            // another fabric, or a newcomer that is creating this one again: leave it
        } catch (IOException e) {
            System.getLogger("org.scif4j.shm").log(System.Logger.Level.DEBUG, "rmdir " + dir + ": " + e);
        }
    }

    // ---------------------------------------------------------------- the control-plane lock

    /**
     * Takes the fabric-wide control-plane lock: first this JVM's lock, then the shared word.
     * Always in that order (one global order, so no two lockers deadlock). A shared owner
     * that died is detected while waiting; the lock is taken over and the dead process reaped.
     * An owner that is stopped (SIGSTOP, a debugger) before its first write is pre-empted; it
     * then finds out at its first write ({@link #beginWrite}), see docs/shm-format.md.
     */
    public void lock() {
        lockAs(procSlot + 1);
    }

    /** Releases {@link #lock()}. */
    public void unlock() {
        unlockAs();
    }

    private static long word(int owner, int epoch, boolean writing) {
        return ((long) (epoch * 2 + (writing ? 1 : 0)) << 32) | (owner & 0xffffffffL);
    }

    private static int epochOf(long word) {
        return (int) (word >>> 32) >>> 1;
    }

    private static boolean isWriting(long word) {
        return ((word >>> 32) & 1) != 0;
    }

    private void lockAs(int me) {
        jvmLock.lock();
        takeShared(me);
        readsSince = file.getInt(H_CHANGES);
        CrashPoint.at("lock.held");
    }

    /**
     * The shared half of the lock. Caller holds {@link #jvmLock}. Waits on the futex with
     * a bounded sleep, looking at the owner every {@link #LOCK_OWNER_CHECK_NANOS}: a dead one's
     * lock is taken over (and the dead reaped first); one that has not begun to write and is
     * stopped, or has held the lock without writing for {@link #PREEMPT_IDLE_NANOS}, is
     * pre-empted after {@link #PREEMPT_NANOS}: it wrote nothing, so nothing is half-done.
     */
    private void takeShared(int me) {
        long seen = 0;
        long seenSince = 0;
        long lastCheck = System.nanoTime();
        for (int spins = 0;; spins++) {
            long w = file.getLong(H_LOCK);
            int owner = (int) w;
            if (owner == 0) {
                if (install(w, me, false)) {
                    return;
                }
                continue;
            }
            if (spins < 200) {
                Thread.onSpinWait();
                continue;
            }
            long now = System.nanoTime();
            if (w != seen) {
                seen = w;
                seenSince = now;
            }
            if (now - lastCheck > LOCK_OWNER_CHECK_NANOS) {
                lastCheck = now;
                boolean alive = processSlotAlive(owner - 1);
                if (isWriting(w) && owner > 0 && owner <= MAX_PROCESSES
                    && (!alive || now - seenSince > PREEMPT_NANOS && holderStopped(owner)) && finish(w, me, !alive)) {
                    return;
                }
                if (!alive) {
                    if (install(w, me, true)) {
                        reapAllDeadLocked(); // the dead owner's half-done change was its own
                        return;
                    }
                    continue;
                }
                if (!isWriting(w) && now - seenSince > PREEMPT_NANOS
                    && (now - seenSince > PREEMPT_IDLE_NANOS || holderStopped(owner)) && install(w, me, false)) {
                    preemptions++;
                    return;
                }
            }
            file.addInt(H_LOCK_WAITERS, 1);
            Futex.await(file.address(H_LOCK), owner, 1_000_000L);
            file.addInt(H_LOCK_WAITERS, -1);
        }
    }

    /** Replaces lock word {@code w} by a new hold of {@code me}; @return whether it was still {@code w} */
    private boolean install(long w, int me, boolean writing) {
        long mine = word(me, epochOf(w) + 1, writing);
        if (!file.casLong(H_LOCK, w, mine)) {
            return false;
        }
        held = mine;
        heldBy = me;
        direct = writing;
        change.clear();
        return true;
    }

    /**
     * Finishes the change that a stopped or dead holder committed, and takes the lock: the log
     * is copied, and used only if the lock word still commits it after the copy (so the copy
     * is not a log its holder began later); applying is idempotent, so the holder, or other
     * waiters, applying it too is harmless. A committed word with no valid log of its epoch is
     * a direct change, which nobody finishes.
     *
     * @return whether the lock is now held by {@code me}
     */
    private boolean finish(long w, int me, boolean dead) {
        long area = logArea((int) w - 1);
        long[] log = ChangeLog.read(file, area, epochOf(w));
        if (log == null || file.getLong(H_LOCK) != w) {
            return false;
        }
        ChangeLog.apply(file, log, this::removeConnectionFileNow, false);
        ChangeLog.markFinished(file, area, epochOf(w));
        if (!install(w, me, dead)) {
            return false;
        }
        finishes++;
        if (dead) {
            reapAllDeadLocked(); // the dead owner's change is finished; now free its entries
        }
        return true;
    }

    /** @return whether the process the lock word names is stopped */
    private boolean holderStopped(int owner) {
        int holderPid = owner < 0 ? -owner
            : owner <= MAX_PROCESSES ? file.getInt(process(owner - 1) + P_PID) : 0;
        return holderPid > 0 && ProcessIdentity.isStopped(holderPid);
    }

    /**
     * Called before the first write of a lock hold to the shared tables: marks the hold as
     * writing, after which nobody pre-empts it. If it was pre-empted meanwhile (this process
     * was stopped while reading), the lock is taken again; if no hold wrote to the tables in
     * between, what this one read still holds and it goes on, else it throws {@link Preempted}
     * having written nothing, and the caller runs its change again from the start.
     *
     * @throws Preempted if the tables changed since this hold began reading them
     */
    void beginWrite() {
        if (isWriting(held)) {
            return;
        }
        if (!change.isEmpty()) {
            throw new IllegalStateException("a direct write inside a logged change");
        }
        while (!file.casLong(H_LOCK, held, held | (1L << 32))) {
            retakePreempted();
        }
        held |= 1L << 32;
        direct = true;
    }

    /** Takes the lock again after a pre-emption; @throws Preempted if the tables changed since the hold began reading */
    private void retakePreempted() {
        takeShared(heldBy);
        if (file.getInt(H_CHANGES) != readsSince) {
            readsSince = file.getInt(H_CHANGES);
            change.clear();
            throw new Preempted();
        }
    }

    /**
     * Publishes and applies the change this hold prepared (docs/shm-format.md, "Change
     * logs"): writes it as a redo log into this process's log area, commits it by setting the
     * lock word's committed bit (the word then names the log), applies it, and re-arms the
     * hold with a new epoch, so that the caller may go on reading and preparing. If the hold
     * was pre-empted while it prepared, the lock is taken again; if the tables changed
     * meanwhile, {@link Preempted} is thrown (nothing was stored) and the caller prepares its
     * change again. A holder stopped after the commit is finished by a waiter; when it runs
     * again its applying changes nothing and it takes the lock again.
     *
     * <p>A process without a slot, or a change too big for a log, writes directly instead,
     * not pre-emptible, as in layout version 2.
     *
     * @throws Preempted if the tables changed while this hold was pre-empted
     */
    public void commit() {
        if (change.isEmpty() || direct) {
            return;
        }
        while (true) {
            long[] log = change.entries(file.getLong(H_CHANGES));
            if (heldBy <= 0 || log.length / 3 > ChangeLog.MAX_ENTRIES) {
                change.clear();
                beginWrite(); // may throw Preempted: nothing stored yet
                ChangeLog.apply(file, log, this::removeConnectionFileNow, false);
                return;
            }
            ChangeLog.write(file, logArea(heldBy - 1), epochOf(held), log);
            long committed = held | (1L << 32);
            if (file.casLong(H_LOCK, held, committed)) {
                CrashPoint.at("change.committed");
                ChangeLog.apply(file, log, this::removeConnectionFileNow, true);
                change.clear();
                long next = word(heldBy, epochOf(held) + 1, false);
                if (file.casLong(H_LOCK, committed, next)) {
                    held = next;
                } else {
                    takeShared(heldBy); // a waiter finished this change and took the lock
                }
                readsSince = file.getInt(H_CHANGES);
                return;
            }
            retakePreempted(); // the same change again, with the new epoch, if nothing changed
        }
    }

    /** @param offset a cell @return its value, as this hold's pending change has it if it writes it */
    int cellValue(long offset) {
        int v = file.getInt(offset);
        return change.isEmpty() || !jvmLock.isHeldByCurrentThread() ? v : change.valueOr(offset, v);
    }

    /**
     * Writes a cell: recorded in this hold's change while it prepares a logged change, else
     * stored at once by compare-and-swap (a direct hold, or a process's own field outside the
     * lock).
     *
     * @param offset a cell
     * @param value its new value
     */
    void putCell(long offset, int value) {
        if (jvmLock.isHeldByCurrentThread() && held != 0 && !direct) {
            change.put(offset, file.getLong(offset), value);
            return;
        }
        while (true) {
            long cell = file.getLong(offset);
            if (file.casLong(offset, cell, ChangeLog.next(cell, value))) {
                return;
            }
        }
    }

    /** @param offset a futex word to bump and wake: at once, or when the logged change is applied */
    void wake(long offset) {
        if (jvmLock.isHeldByCurrentThread() && held != 0 && !direct) {
            change.wake(offset);
            return;
        }
        file.addInt(offset, 1);
        Futex.wakeAll(file.address(offset));
    }

    /** @param id a connection whose file goes: at once, or when the logged change is applied */
    void removeConnectionFile(long id) {
        if (jvmLock.isHeldByCurrentThread() && held != 0 && !direct) {
            change.remove(id);
            return;
        }
        removeConnectionFileNow(id);
    }

    private void removeConnectionFileNow(long id) {
        FabricFiles.deleteOwn(dir.resolve(ConnectionDescriptor.fileName(id)));
    }

    /** {@link #beginWrite} for a write that depends on nothing read (this process's own fields). */
    private void beginWriteBlind() {
        while (true) {
            try {
                beginWrite();
                return;
            } catch (Preempted e) {
                // the lock is held again; what this write depends on is ours alone
            }
        }
    }

    /** @throws Preempted if this hold has been pre-empted (a caller about to report what it read as corrupt) */
    void checkNotPreempted() {
        if (isLockedByMe() && !isWriting(held) && file.getLong(H_LOCK) != held) {
            takeShared(heldBy);
            readsSince = file.getInt(H_CHANGES);
            change.clear();
            throw new Preempted();
        }
    }

    private void unlockAs() {
        if (!change.isEmpty()) {
            try {
                commit(); // a body that left by an exception: what it prepared is stored, as it was read
            } catch (Preempted e) {
                System.getLogger("org.scif4j.shm").log(System.Logger.Level.WARNING, "scif4j: a change to fabric "
                    + dir + " was dropped: the lock was pre-empted and the tables changed before it was committed");
            }
        }
        if (direct) {
            putCellDirect(H_CHANGES);
        }
        direct = false;
        // Fails only for a hold pre-empted before it wrote: the lock is someone else's now.
        file.casLong(H_LOCK, held, word(0, epochOf(held), false));
        held = 0;
        if (file.getInt(H_LOCK_WAITERS) > 0) {
            Futex.wakeAll(file.address(H_LOCK));
        }
        jvmLock.unlock();
    }

    /** The lock hold was pre-empted while it read and the tables changed since: run the change again. */
    public static final class Preempted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Preempted() {
            super("the control-plane lock was pre-empted while this process was stopped", null, false, false);
        }
    }

    /** @return how many stopped or idle lock holders this attachment pre-empted (for tests) */
    int preemptions() {
        return preemptions;
    }

    /** @return how many changes of stopped or dead holders this attachment finished (for tests) */
    int finishes() {
        return finishes;
    }

    private void putCellDirect(long offset) {
        while (true) {
            long cell = file.getLong(offset);
            if (file.casLong(offset, cell, ChangeLog.next(cell, (int) cell + 1))) {
                return;
            }
        }
    }

    /** @return whether the current thread holds the JVM half of the lock */
    public boolean isLockedByMe() {
        return jvmLock.isHeldByCurrentThread();
    }

    // ---------------------------------------------------------------- processes and nodes

    private boolean processSlotAlive(int slot) {
        if (slot < -1) {
            return ProcessIdentity.startTime(-(slot + 1)) >= 0; // a registering process: -pid
        }
        if (slot < 0 || slot >= MAX_PROCESSES) {
            return false; // a lock word naming no process (corrupt): nobody holds it
        }
        long p = process(slot);
        return file.getInt(p + P_STATE) == P_LIVE
            && ProcessIdentity.isAlive(file.getInt(p + P_PID), file.getLong(p + P_START_TIME));
    }

    /** @param slot a process slot read from shared memory @return whether it is in range and LIVE */
    boolean isLiveSlot(int slot) {
        return slot >= 0 && slot < MAX_PROCESSES && file.getInt(process(slot) + P_STATE) == P_LIVE;
    }

    private int liveProcessesLocked() {
        int n = 0;
        for (int i = 0; i < MAX_PROCESSES; i++) {
            if (file.getInt(process(i) + P_STATE) == P_LIVE) {
                n++;
            }
        }
        return n;
    }

    /** {@link #reapDeadProcessesLocked}, again from the start if it was pre-empted (the lock is held again then). */
    private void reapAllDeadLocked() {
        while (true) {
            try {
                reapDeadProcessesLocked();
                return;
            } catch (Preempted e) {
                // stopped while looking, and the tables changed: look again
            }
        }
    }

    /** Frees the entries of every process that has died. Caller holds the lock. */
    void reapDeadProcessesLocked() {
        for (int i = 0; i < MAX_PROCESSES; i++) {
            if (i != procSlot && file.getInt(process(i) + P_STATE) == P_LIVE && !processSlotAlive(i)) {
                beginWrite(); // reaping is a direct change: not pre-empted, nobody finishes it
                endpoints.reapOwnerLocked(i);
                deleteMemoryFiles(file.getInt(process(i) + P_PID));
                freeProcessSlotLocked(i);
            }
        }
    }

    /** Removes a dead process's memory files; peers that map them keep their mappings. */
    private void deleteMemoryFiles(int deadPid) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "mem-" + deadPid + "-*")) {
            for (Path p : ds) {
                FabricFiles.deleteOwn(p);
            }
        } catch (IOException e) {
            System.getLogger("org.scif4j.shm").log(System.Logger.Level.WARNING,
                "scif4j: cannot remove memory files of dead process " + deadPid + ": " + e);
        }
    }

    private void freeProcessSlotLocked(int slot) {
        beginWrite();
        long p = process(slot);
        for (int i = 0; i < P_NODES_LONGS; i++) {
            file.putLong(p + P_NODES + 8L * i, 0);
        }
        file.putInt(p + P_PID, 0);
        file.putInt(p + P_STATE, P_FREE);
    }

    /**
     * Marks this process as attached as {@code node}.
     *
     * @param node node id
     */
    public void attachNode(int node) {
        lock();
        try {
            if (nodeRefs[node] == 0) {
                setNodeBitLocked(node, true); // may throw Preempted: retried inside (no reads)
            }
            nodeRefs[node]++;
        } finally {
            unlock();
        }
    }

    /**
     * Undoes one {@link #attachNode(int)}.
     *
     * @param node node id
     */
    public void detachNode(int node) {
        lock();
        try {
            if (nodeRefs[node] == 1) {
                setNodeBitLocked(node, false);
            }
            nodeRefs[node]--;
        } finally {
            unlock();
        }
    }

    private void setNodeBitLocked(int node, boolean on) {
        beginWriteBlind();
        long off = process(procSlot) + P_NODES + 8L * (node >>> 6);
        long word = file.getLong(off);
        file.putLong(off, on ? word | (1L << node) : word & ~(1L << node));
    }

    /** @param node a node id @return whether a live process is attached as it */
    public boolean isOnline(int node) {
        return isOnlineExcept(node, -1);
    }

    /**
     * @param node    a node id
     * @param exclude a process slot not to count (a dead one being reaped), or -1
     * @return whether another process is attached as that node
     */
    boolean isOnlineExcept(int node, int exclude) {
        if (node < 0 || node >= ShmOptions.MAX_NODES) {
            return false;
        }
        for (int i = 0; i < MAX_PROCESSES; i++) {
            long p = process(i);
            if (i != exclude && file.getInt(p + P_STATE) == P_LIVE
                && (file.getLong(p + P_NODES + 8L * (node >>> 6)) & (1L << node)) != 0) {
                return true;
            }
        }
        return false;
    }

    /** @return the online node ids, ascending */
    public int[] onlineNodes() {
        long[] bits = new long[P_NODES_LONGS];
        for (int i = 0; i < MAX_PROCESSES; i++) {
            long p = process(i);
            if (file.getInt(p + P_STATE) == P_LIVE) {
                for (int w = 0; w < P_NODES_LONGS; w++) {
                    bits[w] |= file.getLong(p + P_NODES + 8L * w);
                }
            }
        }
        return java.util.BitSet.valueOf(bits).stream().toArray();
    }

    // ---------------------------------------------------------------- the watchdog

    /** Notices dead processes within a period and reaps them; keeps our heartbeat fresh. */
    private void watch() {
        while (!detached) {
            try {
                Thread.sleep(WATCHDOG_PERIOD_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            if (detached) {
                return;
            }
            file.putLong(process(procSlot) + P_HEARTBEAT_MILLIS, System.currentTimeMillis());
            try {
                if (anyDeadProcess()) {
                    lock();
                    try {
                        reapAllDeadLocked();
                    } finally {
                        unlock();
                    }
                }
            } catch (RuntimeException e) { // a corrupt table: say so, and keep watching
                System.getLogger("org.scif4j.shm").log(System.Logger.Level.WARNING,
                    "scif4j: reaping dead processes of " + dir + " failed: " + e);
            }
        }
    }

    private boolean anyDeadProcess() {
        for (int i = 0; i < MAX_PROCESSES; i++) {
            if (i != procSlot && file.getInt(process(i) + P_STATE) == P_LIVE && !processSlotAlive(i)) {
                return true;
            }
        }
        return false;
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
        return process(slot) + P_DOORBELL;
    }

    @Override
    public String toString() {
        return "Fabric[" + dir + ", process slot " + procSlot + "]";
    }
}
