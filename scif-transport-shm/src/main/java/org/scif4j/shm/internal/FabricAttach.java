package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.FabricDescriptor.*;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.scif4j.Errno;
import org.scif4j.ScifException;
import org.scif4j.shm.ShmOptions;

/**
 * The attach protocol: how a process finds, validates or creates a fabric's {@code fabric}
 * file, and takes a slot in its process table, racing safely with other attachers and with a
 * departing last process (docs/shm-format.md, "Lifecycle", steps 1-7).
 */
final class FabricAttach {
    private static final System.Logger LOG = System.getLogger("org.scif4j.shm");

    private FabricAttach() {
    }

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
    static Fabric open(Path dir, String call, boolean mayCreate) throws ScifException {
        try {
            // The file channels below close when the thread is interrupted: attached with the
            // status held back, as a call's file work is; a step that an interrupt lands in
            // leaves nothing behind (as the races retried below), so the attach runs again.
            return FabricFiles.uninterruptibly(() -> openRetrying(dir, call, mayCreate));
        } catch (ScifException e) {
            throw e;
        } catch (IOException e) {
            throw new ScifException(Errno.ENODEV, call + ": ENODEV, cannot use fabric directory " + dir + ": " + e, e);
        }
    }

    /** {@link #open}; throws ClosedByInterruptException as it is, for its caller to run it again. */
    private static Fabric openRetrying(Path dir, String call, boolean mayCreate) throws IOException {
        IOException last = null;
        for (int attempt = 0; attempt < 200; attempt++) {
            try {
                if (mayCreate) {
                    FabricFiles.createDirectory(dir);
                    CrashPoint.at("attach.directory");
                } else {
                    FabricFiles.checkDirectory(dir);
                }
                FabricDirectory.refuseForeignFiles(dir, call);
                FabricDirectory.removeDeadTempFiles(dir);
                Path path = dir.resolve("fabric");
                FabricFiles.Opened existing = FabricDirectory.exists(path) ? openFabric(path) : null;
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
            } catch (Fabric.Preempted e) {
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
            } catch (ScifException | ClosedByInterruptException e) {
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
        FabricLock probe = Fabric.probe(path.getParent(), orphan).controlLock();
        probe.lockAs(-ProcessIdentity.selfPid());
        try {
            probe.beginWrite();
            if (key.equals(FabricDirectory.fileKey(path))) { // else another remover was first
                FabricDirectory.renameAndDelete(path);
                LOG.log(System.Logger.Level.INFO,
                    "scif4j: removed an all-zero fabric file left by a lost attach race in " + path.getParent());
            }
        } finally {
            probe.unlockAs();
            orphan.close();
        }
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
        Fabric probe = Fabric.probe(dir, file);
        FabricLock lock = probe.controlLock();
        lock.lockAs(-self);
        try {
            CrashPoint.at("attach.locked");
            probe.reaper().reapAllDeadLocked();
            int state = file.getInt(H_STATE);
            if (state != STATE_ACTIVE && !recoverStateLocked(probe, state, key)) {
                return null;
            }
            boolean first = probe.processes().liveCount() == 0;
            slot = probe.processes().firstFree(); // free, or garbage: not a live process
            if (slot < 0) {
                throw ScifException.of(call, Errno.ENOMEM, "the fabric's process table is full ("
                    + MAX_PROCESSES + " processes)");
            }
            if (first) {
                lock.beginWrite(); // removing files is not pre-empted: a late removal would hit newer files
                FabricDirectory.removeStaleFiles(dir); // nothing here is in use
                lock.endDirect();
            }
            // One logged change, in the picked slot's log area (docs/shm-format.md, step 7): a
            // waiter finishes it if this process stops or dies after committing it.
            lock.logInto(slot);
            probe.processes().claimLocked(lock, slot, self, selfStart);
            lock.commit("attach.committed", "attach.slot-half-written");
            CrashPoint.at("attach.registered");
            registered = true;
        } finally {
            lock.unlockAs();
            if (!registered) {
                file.close();
            }
        }
        LOG.log(System.Logger.Level.DEBUG, "scif4j: process {0} attached to fabric {1} as process slot {2}{3}",
            self, dir, slot, key == null ? " (created it)" : "");
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
    private static boolean recoverStateLocked(Fabric probe, int state, Object key) {
        FabricLock lock = probe.controlLock();
        Path dir = probe.dir();
        lock.beginWrite();
        Path fabric = dir.resolve("fabric");
        if (key == null || !key.equals(FabricDirectory.fileKey(fabric))) {
            return false; // closed and renamed away, as it should: the attach starts over
        }
        if (probe.processes().liveCount() > 0) {
            LOG.log(System.Logger.Level.WARNING, "scif4j: fabric " + dir
                + " had state " + state + " (header offset " + H_STATE + ") although processes are attached;"
                + " set it ACTIVE again");
            lock.putCell(H_STATE, STATE_ACTIVE);
            return true;
        }
        LOG.log(System.Logger.Level.INFO, "scif4j: fabric " + dir
            + " was left in state " + state + " by a process that died while removing it; removing it");
        lock.putCell(H_STATE, STATE_CLOSED);
        FabricDirectory.removeFiles(dir);
        return false;
    }
}
