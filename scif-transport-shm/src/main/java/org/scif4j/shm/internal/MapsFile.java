package org.scif4j.shm.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.scif4j.Errno;
import org.scif4j.ScifException;
import org.scif4j.spi.Call;

/** Reads {@code /proc/self/maps}: what backs a range of this process's memory. */
final class MapsFile {
    /**
     * One mapping.
     *
     * @param start  first address
     * @param end    address after the last byte
     * @param perms  e.g. {@code rw-p} or {@code rw-s}
     * @param offset offset in the file of {@code start}
     * @param path   the file, a bracketed name, or empty for anonymous memory
     */
    record Entry(long start, long end, String perms, long offset, String path) {
        boolean writable() {
            return perms.charAt(1) == 'w';
        }

        boolean shared() {
            return perms.charAt(3) == 's';
        }

        /** A shared mapping of a file that still has a name, which peers can open. */
        boolean isSharedFile() {
            return shared() && path.startsWith("/") && !path.endsWith("(deleted)") && Files.isRegularFile(Path.of(path));
        }
    }

    private MapsFile() {
    }

    /**
     * @return the mappings covering {@code [address, address+length)}, in order
     * @throws ScifException EFAULT if any byte of the range is not mapped
     */
    static List<Entry> covering(long address, long length, Call call) throws ScifException {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/self/maps"));
        } catch (IOException e) {
            throw ScifException.of(call.text(), Errno.EFAULT, "cannot read /proc/self/maps: " + e.getMessage());
        }
        List<Entry> found = new ArrayList<>();
        long next = address;
        long end = address + length;
        for (String line : lines) {
            Entry e = parse(line);
            if (e.end <= next || e.start >= end) {
                continue;
            }
            if (e.start > next) {
                break;
            }
            found.add(e);
            next = e.end;
            if (next >= end) {
                return found;
            }
        }
        throw ScifException.of(call.text(), Errno.EFAULT, "bytes from 0x" + Long.toHexString(next)
            + " of the region are not mapped memory");
    }

    private static Entry parse(String line) {
        String[] f = line.trim().split("\\s+", 6);
        int dash = f[0].indexOf('-');
        return new Entry(Long.parseUnsignedLong(f[0].substring(0, dash), 16),
            Long.parseUnsignedLong(f[0].substring(dash + 1), 16), f[1], Long.parseUnsignedLong(f[2], 16),
            f.length > 5 ? f[5] : "");
    }
}
