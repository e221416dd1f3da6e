package org.scif4j.shm.internal;

import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Set;

/**
 * How every file of a fabric directory is opened, created and removed: never through a
 * symbolic link, never anything but a regular file (or directory) owned by this user, new
 * files exclusively. The directory's own permissions ({@code 0700}) are the real barrier;
 * these checks make a planted link, FIFO, directory or foreign file an error instead of a
 * write somewhere else or a hang.
 */
public final class FabricFiles {
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
    /** This process's user: the owner of {@code /proc/self}. */
    private static final UserPrincipal ME = me();

    private FabricFiles() {
    }

    private static UserPrincipal me() {
        try {
            return Files.getOwner(Path.of("/proc/self"));
        } catch (IOException e) {
            return null; // no /proc: ownership is then not checked (the fabric needs /proc anyway)
        }
    }

    /**
     * @param p a path
     * @return its attributes, the link itself if it is one
     * @throws IOException NoSuchFileException if it does not exist
     */
    public static PosixFileAttributes lstat(Path p) throws IOException {
        return Files.readAttributes(p, PosixFileAttributes.class, NOFOLLOW);
    }

    /** @param a attributes @return a word for the kind of file, for messages */
    static String kind(PosixFileAttributes a) {
        return a.isSymbolicLink() ? "a symbolic link" : a.isDirectory() ? "a directory"
            : a.isRegularFile() ? "a regular file" : "a special file (FIFO, socket or device)";
    }

    /** @param a attributes @return whether this user owns the file */
    static boolean mine(PosixFileAttributes a) {
        return ME == null || ME.equals(a.owner());
    }

    /**
     * Checks that {@code p} is a regular file of this user, without following a link.
     *
     * @return its file key (device and inode), to check later that a name still holds it
     * @throws NotOurFileException if it is anything else
     */
    public static Object checkRegular(Path p) throws IOException {
        PosixFileAttributes a = lstat(p);
        if (!a.isRegularFile()) {
            throw new NotOurFileException(p, "it is " + kind(a) + ", not a regular file");
        }
        if (!mine(a)) {
            throw new NotOurFileException(p, "it belongs to " + a.owner().getName() + ", not to " + ME.getName());
        }
        return a.fileKey();
    }

    /**
     * Opens an existing regular file of this user, never through a link: checked by name
     * first (so a FIFO is never opened, which could block), opened with {@code O_NOFOLLOW},
     * and checked again by name after the open, so the channel is the file that was checked.
     *
     * @param p     the file
     * @param write whether to open it for writing too
     * @return the channel
     * @throws NoSuchFileException if it is missing or was replaced meanwhile (the caller may retry)
     * @throws NotOurFileException if it is not a regular file of this user
     */
    public static FileChannel openExisting(Path p, boolean write) throws IOException {
        return open(p, write).channel();
    }

    /**
     * As {@link #openExisting}, with the file key of what was opened.
     *
     * @param p     the file
     * @param write whether to open it for writing too
     * @return the channel and the file's key (device and inode)
     * @throws IOException as {@link #openExisting}
     */
    public static Opened open(Path p, boolean write) throws IOException {
        Object key = checkRegular(p);
        FileChannel ch;
        try {
            ch = write ? FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE, NOFOLLOW)
                : FileChannel.open(p, StandardOpenOption.READ, NOFOLLOW);
        } catch (FileSystemException e) {
            if (e instanceof NoSuchFileException) {
                throw e;
            }
            // ELOOP (a link swapped in) or EISDIR: the name changed files since the check
            throw new NoSuchFileException(p.toString(), null, "replaced while opening: " + e.getMessage());
        }
        boolean ok = false;
        try {
            if (key != null && !key.equals(lstat(p).fileKey())) {
                throw new NoSuchFileException(p.toString(), null, "replaced while opening");
            }
            ok = true;
            return new Opened(ch, key);
        } finally {
            if (!ok) {
                ch.close();
            }
        }
    }

    /**
     * Creates a new file, exclusively ({@code O_CREAT|O_EXCL}, which never follows a link),
     * readable and writable by this user only.
     *
     * @param p the file
     * @return the channel, open for reading and writing
     * @throws FileAlreadyExistsException if anything has that name
     */
    public static FileChannel createNew(Path p) throws IOException {
        Set<OpenOption> opts = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
            StandardOpenOption.WRITE, NOFOLLOW);
        return FileChannel.open(p, opts, PosixFilePermissions.asFileAttribute(
            Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE)));
    }

    /**
     * Makes the fabric directory {@code dir} (and missing parents) with mode {@code 0700}, or
     * checks the existing one: a real directory (not a link), owned by this user, not
     * writable by others.
     *
     * @param dir the fabric directory
     * @throws NotOurFileException if the directory is not one this user may trust
     */
    public static void createDirectory(Path dir) throws IOException {
        Path parent = dir.getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            createDirectory(parent);
        }
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(Set.of(PosixFilePermission.OWNER_READ,
                PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE)));
        } catch (FileAlreadyExistsException e) {
            // checked below
        }
        checkDirectory(dir);
    }

    /**
     * @param dir a fabric directory
     * @throws NotOurFileException if it is a link, not a directory, another user's, or world-writable
     */
    public static void checkDirectory(Path dir) throws IOException {
        PosixFileAttributes a = lstat(dir);
        if (!a.isDirectory()) {
            throw new NotOurFileException(dir, "it is " + kind(a) + ", not a directory");
        }
        if (!mine(a)) {
            throw new NotOurFileException(dir, "it belongs to " + a.owner().getName() + ", not to " + ME.getName());
        }
        if (a.permissions().contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new NotOurFileException(dir, "anybody may write to it (mode "
                + PosixFilePermissions.toString(a.permissions()) + "); a fabric directory is 0700");
        }
    }

    /**
     * Removes {@code p} if it is a regular file or a symbolic link (the link itself, never
     * its target); leaves anything else (a directory, a FIFO) where it is.
     *
     * @param p a file the protocol made
     * @return whether it is gone
     */
    public static boolean deleteOwn(Path p) {
        try {
            PosixFileAttributes a = lstat(p);
            if (!a.isRegularFile() && !a.isSymbolicLink()) {
                System.getLogger("org.scif4j.shm").log(System.Logger.Level.WARNING,
                    "scif4j: left " + p + " in place: it is " + kind(a) + ", which this protocol never makes");
                return false;
            }
            Files.deleteIfExists(p);
            return true;
        } catch (NoSuchFileException e) {
            return true;
        } catch (IOException e) {
            System.getLogger("org.scif4j.shm").log(System.Logger.Level.WARNING, "scif4j: cannot remove " + p + ": " + e);
            return false;
        }
    }

    /**
     * A file opened by {@link #open}.
     *
     * @param channel the open file
     * @param key     its file key, to check later whether a name still holds it
     */
    public record Opened(FileChannel channel, Object key) {
    }

    /** A name in a fabric directory that holds something this protocol does not make or use. */
    public static final class NotOurFileException extends FileSystemException {
        private static final long serialVersionUID = 1L;

        NotOurFileException(Path p, String why) {
            super(p.toString(), null, why);
        }
    }

    /** A short file operation, for {@link #uninterruptibly}. */
    @FunctionalInterface
    public interface FileOperation<T> {
        /**
         * @return its result
         * @throws IOException when it fails
         */
        T run() throws IOException;
    }

    /**
     * Runs {@code op} with the calling thread's interrupt status cleared, and sets the status
     * again afterwards. A {@code FileChannel} closes itself when the thread using it is
     * interrupted ({@code ClosedByInterruptException}), which would turn a SCIF call made with
     * the status set (an accept that need not wait, a connect, a register) into a failure that
     * is not one: the status stays pending instead, and a wait of the call ends with EINTR as
     * SCIF's does. An interrupt that arrives while {@code op} runs closes its channel all the
     * same: {@code op} is then run again, so it must leave nothing behind when it fails.
     *
     * @param op  the operation
     * @param <T> its result
     * @return its result
     * @throws IOException when it fails otherwise
     */
    public static <T> T uninterruptibly(FileOperation<T> op) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            while (true) {
                try {
                    return op.run();
                } catch (ClosedByInterruptException e) {
                    interrupted |= Thread.interrupted();
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
