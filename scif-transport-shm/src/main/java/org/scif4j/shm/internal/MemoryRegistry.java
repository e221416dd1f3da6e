package org.scif4j.shm.internal;

import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.scif4j.Errno;
import org.scif4j.ScifException;
import org.scif4j.spi.Call;

/**
 * The memory behind this JVM's windows, by address. Every window is backed by a file in the
 * fabric directory, {@code mem-PID-SEQ}, so that peers reach it by mapping that file: RMA is
 * a plain copy and {@code mmap} a real shared mapping, whatever memory was registered.
 *
 * <ul>
 * <li>{@link Kind#ALLOCATED}: {@code ScifNode.allocate} memory, a mapping of its own file.</li>
 * <li>{@link Kind#MIGRATED}: a page-aligned private region (a direct {@code ByteBuffer}); at its
 * first registration its pages are copied into a new file which is then mapped over the very
 * same addresses (MAP_FIXED), so the user's buffer and the window are the same memory; when no
 * window uses it any more the pages are copied back into private memory at the same place.</li>
 * <li>{@link Kind#LINKED}: a region inside a shared mapping of an ordinary file; the fabric
 * directory gets a symbolic link to that file.</li>
 * </ul>
 */
final class MemoryRegistry {
    /** How a range came to be backed by a file. */
    enum Kind { ALLOCATED, MIGRATED, LINKED }

    /** The SEQ of the last memory file made (package-private for tests that plant the next names). */
    static final AtomicInteger SEQ = new AtomicInteger();

    /** A range of this process's memory backed by a memory file. Guarded by the registry. */
    static final class Range {
        final Kind kind;
        final long address;
        final long length;
        final int pid;
        final int seq;
        /** Offset in the file of the range's first byte. */
        final long fileOffset;
        final Path path;
        int refs;

        Range(Kind kind, long address, long length, int pid, int seq, long fileOffset, Path path) {
            this.kind = kind;
            this.address = address;
            this.length = length;
            this.pid = pid;
            this.seq = seq;
            this.fileOffset = fileOffset;
            this.path = path;
        }
    }

    private final Path dir;
    private final int pid = ProcessIdentity.selfPid();
    private final TreeMap<Long, Range> ranges = new TreeMap<>();

    MemoryRegistry(Path dir) {
        this.dir = dir;
    }

    /** @param direct a direct buffer @return the address of its byte at its position */
    static long address(ByteBuffer direct) {
        return Memory.address(direct);
    }

    /**
     * Makes a new memory file of {@code length} bytes and maps it.
     *
     * @return the range, holding one reference (the allocation's)
     */
    synchronized Range allocate(long length, Call call) throws ScifException {
        int seq = newFile(length, call);
        Path path = dir.resolve("mem-" + pid + "-" + seq);
        int fd = Posix.open(path.toString(), Posix.O_RDWR | Posix.O_CLOEXEC | Posix.O_NOFOLLOW, 0);
        long addr = fd < 0 ? Posix.MAP_FAILED
            : Posix.mmap(0, length, Posix.PROT_READ | Posix.PROT_WRITE, Posix.MAP_SHARED, fd, 0);
        int err = Posix.errno();
        if (fd >= 0) {
            Posix.close(fd); // the mapping keeps its own reference to the file
        }
        if (addr == Posix.MAP_FAILED) {
            deleteQuietly(path);
            throw ScifException.of(call.text(), Errno.ENOMEM, "cannot map " + length + " bytes of " + path + ", errno " + err);
        }
        Range r = new Range(Kind.ALLOCATED, addr, length, pid, seq, 0, path);
        r.refs = 1;
        ranges.put(addr, r);
        return r;
    }

    /** Makes a memory file at a given name; FileAlreadyExistsException when the name is taken. */
    private interface FileMaker {
        void make(Path path) throws IOException;
    }

    /**
     * Makes {@code mem-PID-SEQ} under a fresh SEQ, exclusively: a name already taken (a file of
     * libscif in this same process, which names its files from its own counter; a link planted
     * to some other file; garbage left by a crash) is never truncated or written; its SEQ is
     * skipped.
     *
     * @param what what failed, for the message
     * @return the SEQ of the new file
     */
    private int claim(FileMaker maker, String what, Call call) throws ScifException {
        for (int skipped = 0;; skipped++) {
            int seq = SEQ.incrementAndGet();
            Path path = dir.resolve("mem-" + pid + "-" + seq);
            try {
                FabricFiles.uninterruptibly(() -> makeOrRemove(maker, path));
                return seq;
            } catch (java.nio.file.FileAlreadyExistsException e) {
                if (skipped == 16) {
                    throw ScifException.of(call.text(), Errno.ENOMEM, what + ": 16 names in a row were taken,"
                        + " the last " + path);
                }
            } catch (IOException e) {
                deleteQuietly(path);
                throw ScifException.of(call.text(), Errno.ENOMEM, what + " (" + path + "): " + e);
            }
        }
    }

    /** Makes the file; one it made in part is removed (a name that was taken is left alone). */
    private static Void makeOrRemove(FileMaker maker, Path path) throws IOException {
        try {
            maker.make(path);
            return null;
        } catch (java.nio.file.FileAlreadyExistsException e) {
            throw e;
        } catch (IOException e) {
            deleteQuietly(path);
            throw e;
        }
    }

    /** Creates {@code mem-PID-SEQ} of {@code length} zero bytes (see {@link #claim}). */
    private int newFile(long length, Call call) throws ScifException {
        return claim(path -> {
            try (FileChannel ch = FabricFiles.createNew(path)) {
                ch.write(ByteBuffer.allocate(1), length - 1); // the rest reads as zero
            }
        }, "cannot create a memory file", call);
    }

    /**
     * Finds or makes the file backing {@code [address, address+length)} and takes a reference.
     *
     * @param write whether the window may be written (the memory must be writable)
     * @return the range; the window's bytes start at {@code fileOffset + (address - range.address)}
     */
    synchronized Range pin(long address, long length, boolean write, Call call) throws ScifException {
        Map.Entry<Long, Range> e = ranges.floorEntry(address);
        if (e != null && address < e.getValue().address + e.getValue().length) {
            Range r = e.getValue();
            if (address + length > r.address + r.length) {
                throw ScifException.of(call.text(), Errno.EFAULT, "the region overlaps registered memory"
                    + " [0x" + Long.toHexString(r.address) + ", +" + r.length + ") only in part; register"
                    + " regions that lie within one another");
            }
            r.refs++;
            return r;
        }
        Map.Entry<Long, Range> next = ranges.ceilingEntry(address);
        if (next != null && next.getKey() < address + length) {
            throw ScifException.of(call.text(), Errno.EFAULT, "the region contains memory registered before"
                + " as a smaller region; register regions that lie within one another");
        }
        List<MapsFile.Entry> maps = MapsFile.covering(address, length, call);
        Range r = maps.size() == 1 && maps.get(0).isSharedFile()
            ? link(address, length, write, maps.get(0), call)
            : migrate(address, length, maps, call);
        r.refs = 1;
        ranges.put(r.address, r);
        return r;
    }

    private Range link(long address, long length, boolean write, MapsFile.Entry entry, Call call)
        throws ScifException {
        if (write && !entry.writable()) {
            throw ScifException.of(call.text(), Errno.EFAULT, "the region is mapped read-only; PROT_WRITE needs writable memory");
        }
        Path target = Path.of(entry.path());
        int seq = claim(path -> Files.createSymbolicLink(path, target), "cannot link " + target + " into the fabric",
            call);
        Path link = dir.resolve("mem-" + pid + "-" + seq);
        return new Range(Kind.LINKED, address, length, pid, seq, entry.offset() + (address - entry.start()), link);
    }

    private Range migrate(long address, long length, List<MapsFile.Entry> maps, Call call) throws ScifException {
        for (MapsFile.Entry m : maps) {
            if (!ownPinned(m) && (!m.writable() || m.shared())) {
                throw ScifException.of(call.text(), Errno.EFAULT, "the region must be private writable memory"
                    + " (a direct ByteBuffer), memory from ScifNode.allocate, or a shared file mapping");
            }
        }
        // Copy the pages into the new file, then map the file over the same addresses.
        int seq = claim(file -> {
            ByteBuffer view = new Pointer(address).getByteBuffer(0, length);
            try (FileChannel ch = FabricFiles.createNew(file)) {
                long pos = 0;
                while (view.hasRemaining()) {
                    pos += ch.write(view, pos);
                }
            }
        }, "cannot create a memory file", call);
        Path path = dir.resolve("mem-" + pid + "-" + seq);
        int err = Posix.mapFileAt(address, length, Posix.PROT_READ | Posix.PROT_WRITE, path.toString(), 0);
        if (err != 0) {
            deleteQuietly(path);
            throw ScifException.of(call.text(), Errno.ENOMEM, "cannot share the region's pages: mmap errno " + err);
        }
        return new Range(Kind.MIGRATED, address, length, pid, seq, 0, path);
    }

    /** Drops a reference; the last one gives the memory back as it was and removes the file. */
    synchronized void release(Range r) {
        release(r, false);
    }

    /**
     * Drops a reference; the last one removes the file and gives the memory back as it was,
     * except that with {@code pinned} (the window's endpoint closed while the peer maps it)
     * migrated pages stay the file's shared pages: the peer's mapping and the user's buffer
     * remain one memory, as SCIF keeps a mapped window's pages pinned after close. The file
     * loses only its name; such memory can be registered again ({@link #ownPinned}).
     */
    synchronized void release(Range r, boolean pinned) {
        if (--r.refs > 0) {
            return;
        }
        ranges.remove(r.address);
        switch (r.kind) {
            case ALLOCATED:
                // Never unmap memory a user may still hold a buffer over: zero pages instead.
                Posix.zeroPagesAt(r.address, r.length, Posix.PROT_READ | Posix.PROT_WRITE);
                break;
            case MIGRATED:
                if (!pinned) {
                    unmigrate(r);
                }
                break;
            default:
                break;
        }
        deleteQuietly(r.path);
    }

    /**
     * @return whether {@code m} maps a memory file of this process that lost its name while a
     *     peer mapped it ({@link #release(Range, boolean)}): its pages may be migrated again
     */
    private boolean ownPinned(MapsFile.Entry m) {
        String own = dir.resolve("mem-" + pid + "-").toString();
        return m.shared() && m.writable() && m.path().startsWith(own) && m.path().endsWith(" (deleted)");
    }

    /** Copies the pages back into private memory at the same addresses. */
    private static void unmigrate(Range r) {
        long tmp = Posix.mmap(0, r.length, Posix.PROT_READ | Posix.PROT_WRITE,
            Posix.MAP_PRIVATE | Posix.MAP_ANONYMOUS, -1, 0);
        if (tmp == Posix.MAP_FAILED) {
            return; // stays shared with the (deleted) file: still correct memory for the user
        }
        Memory.copy(null, r.address, null, tmp, r.length);
        if (Posix.zeroPagesAt(r.address, r.length, Posix.PROT_READ | Posix.PROT_WRITE) == 0) {
            Memory.copy(null, tmp, null, r.address, r.length);
        }
        Posix.munmap(tmp, r.length);
    }

    static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // the last process's cleanup removes it
        }
    }
}
