package org.scif4j.shm.internal;

import static org.scif4j.shm.internal.FabricDescriptor.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.scif4j.Errno;
import org.scif4j.ScifException;

/**
 * A fabric directory's files and their lifecycle: which names the protocol makes, what an
 * earlier fabric or a killed process leaves behind and when it goes, the last process's
 * removal of everything, and the reclamation of sibling fabrics whose every process died.
 * Nothing here follows a link or removes a name the protocol did not make.
 */
final class FabricDirectory {
    /** Every name the protocol makes in a fabric directory. */
    private static final Pattern OWN_FILE = Pattern.compile(
        "fabric|fabric\\.(new|dead)-\\d+-\\d+|conn-\\d+(\\.tmp)?|mem-\\d+-\\d+");
    /** Files an earlier fabric of the same name may leave: connections, and memory of process PID. */
    private static final Pattern STALE_FILE = Pattern.compile("conn-\\d+(?:\\.tmp)?|mem-(\\d+)-\\d+");
    /** A fabric file being made or removed, named for the process that does it. */
    private static final Pattern TEMP_FILE = Pattern.compile("fabric\\.(new|dead)-(\\d+)-\\d+");
    /** The default root's name: only under it are empty sibling directories known to be fabrics. */
    private static final String DEFAULT_ROOT_NAME = "scif4j";
    private static final System.Logger LOG = System.getLogger("org.scif4j.shm");

    private FabricDirectory() {
    }

    /**
     * Looks at the other fabrics under the same root as {@code dir}: under the default root a
     * directory without a {@code fabric} file loses its dead processes' temporary files and
     * then, if empty, goes; any other is handed to {@code reclaim}, which removes it if its
     * every process died. Only real directories of this user are looked into: a symbolic link
     * under the root is never followed. Best effort: anything unexpected leaves a sibling as it is.
     *
     * @param attached whether this JVM has a fabric directory attached (those are live)
     * @param reclaim   reclaims one sibling fabric if it is abandoned
     */
    static void reclaimAbandonedSiblings(Path dir, Predicate<Path> attached, Predicate<Path> reclaim) {
        Path root = dir.getParent();
        if (root == null) {
            return;
        }
        boolean defaultRoot = root.getFileName() != null && root.getFileName().toString().equals(DEFAULT_ROOT_NAME);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path sibling : ds) {
                Path d = sibling.toAbsolutePath().normalize();
                if (d.equals(dir) || attached.test(d) || !isOurDirectory(d)) {
                    continue;
                }
                if (defaultRoot && !exists(d.resolve("fabric"))) {
                    removeRemnants(d);
                    continue;
                }
                reclaim.test(d);
            }
        } catch (IOException e) {
            // the root vanished or cannot be listed: nothing to reclaim
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
    static boolean removeRemnantsOf(Path d) {
        if (!isOurDirectory(d) || exists(d.resolve("fabric"))) {
            return false;
        }
        removeRemnants(d);
        return !exists(d);
    }

    /** @return whether {@code d} is a directory of this user, not a link to one */
    static boolean isOurDirectory(Path d) {
        try {
            FabricFiles.checkDirectory(d);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** @return whether anything has the name {@code p} (a dangling link too) */
    static boolean exists(Path p) {
        return Files.exists(p, LinkOption.NOFOLLOW_LINKS);
    }

    /** @return the file key the name holds, or null if it holds nothing */
    static Object fileKey(Path p) {
        try {
            return FabricFiles.lstat(p).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Removes the {@code fabric.new-PID-N} and {@code fabric.dead-PID-N} files of processes
     * that are gone: a JVM ended (Ctrl-C) between making such a file and linking or deleting
     * it leaves one, which no live process will ever touch again.
     */
    static void removeDeadTempFiles(Path dir) {
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
     * finds it gone and starts over, see {@link FabricAttach#open}).
     */
    private static void removeRemnants(Path d) {
        removeDeadTempFiles(d);
        try {
            Files.deleteIfExists(d);
        } catch (IOException e) {
            // not empty (a live process's file, or a fabric being made): leave it
        }
    }

    /** @throws ScifException EINVAL if {@code dir} holds a name the protocol does not make */
    static void refuseForeignFiles(Path dir, String call) throws IOException, ScifException {
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
     * @return whether {@code fabric} is a valid fabric file whose process table holds no live
     *         process (active, or closed by a last process that died before removing it)
     */
    static boolean abandoned(Path fabric) {
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
                && ProcessIdentity.isAlive(b.getInt(p + P_PID),
                    startTime(b.getInt(p + P_START_TIME), b.getInt(p + P_START_TIME_HIGH)))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Renames {@code fabric} to a private name and deletes it: the name is free from the
     * rename on, so a newcomer finds no fabric and creates a fresh one.
     */
    static void renameAndDelete(Path fabric) throws IOException {
        Path dead = fabric.resolveSibling("fabric.dead-" + ProcessIdentity.selfPid() + "-" + System.nanoTime());
        Files.move(fabric, dead);
        CrashPoint.at("detach.renamed");
        Files.deleteIfExists(dead);
    }

    /**
     * The first process of a fabric removes what an earlier fabric of the same name left:
     * connection files (whose ids the new fabric will hand out again) and dead processes'
     * memory files. No other process is registered, so none of them is in use. Caller holds
     * the fabric lock.
     */
    static void removeStaleFiles(Path dir) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                Matcher m = STALE_FILE.matcher(p.getFileName().toString());
                if (m.matches() && (m.group(1) == null || ProcessIdentity.startTime(parsePid(m.group(1))) < 0)) {
                    FabricFiles.deleteOwn(p);
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "scif4j: listing " + dir + ": " + e);
        }
    }

    private static int parsePid(String digits) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * The last process's removal: every other file of the protocol (regular files and links
     * only, never following one), then {@code fabric} itself. Each step may be the last a
     * killed process makes: the next process to take the lock finds CLOSED and finishes.
     * Caller holds the fabric lock.
     */
    static void removeFiles(Path dir) {
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
            LOG.log(System.Logger.Level.WARNING, "scif4j: could not remove every file of fabric " + dir + ": " + e);
        }
    }

    /** Removes the emptied directory, and its parent when that is scif4j's own default root. */
    static void removeDirectories(Path dir) {
        try {
            Files.deleteIfExists(dir);
            Path parent = dir.getParent();
            // Remove the root only when it is scif4j's own (the default /dev/shm/scif4j).
            if (parent != null && parent.getFileName() != null
                && parent.getFileName().toString().equals(DEFAULT_ROOT_NAME)) {
                Files.deleteIfExists(parent);
            }
        } catch (DirectoryNotEmptyException e) {
            // another fabric, or a newcomer that is creating this one again: leave it
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "rmdir " + dir + ": " + e);
        }
    }
}
