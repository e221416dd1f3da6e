package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.FabricDescriptor.*;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Removes the files of a fabric's directory that a change to its tables frees: a connection
 * file no endpoint uses any more (a log entry of kind 3) and the memory files of a dead
 * process (kind 4, layout 5). Run by whoever applies the change, its holder or a waiter that
 * finishes it ({@link HolderRecovery}), or at once by a direct hold; each removal is
 * idempotent, so a log applied twice removes nothing twice.
 */
final class FileRemovals implements ChangeLog.Removals {
    private final Path dir;
    private final ProcessTable processes;

    /**
     * @param dir       the fabric's directory
     * @param processes the process table, which tells a dead pid from a newer process holding it
     */
    FileRemovals(Path dir, ProcessTable processes) {
        this.dir = dir;
        this.processes = processes;
    }

    @Override
    public void connectionFile(long connectionId) {
        FabricFiles.deleteOwn(dir.resolve(ConnectionDescriptor.fileName(connectionId)));
    }

    /**
     * Removes the {@code mem-PID-*} files of a dead pid, unless a live process slot holds that
     * pid with another start time (a newer process has the pid now: the files are its own).
     * Peers that map the files keep their mappings.
     */
    @Override
    public void memoryFiles(int deadPid, long startTime) {
        for (int i = 0; i < MAX_PROCESSES; i++) {
            if (processes.isLive(i) && processes.pid(i) == deadPid && processes.startTime(i) != startTime) {
                return;
            }
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "mem-" + deadPid + "-*")) {
            for (Path p : ds) {
                FabricFiles.deleteOwn(p);
            }
        } catch (IOException e) {
            System.getLogger("org.scif4j.shm").log(System.Logger.Level.WARNING,
                "scif4j: cannot remove memory files of dead process " + deadPid + ": " + e);
        }
    }
}
