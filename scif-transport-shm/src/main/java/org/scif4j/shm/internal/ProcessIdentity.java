package org.scif4j.shm.internal;

import java.nio.charset.StandardCharsets;

/**
 * Who a process is and whether it still runs, from {@code /proc/PID/stat}: a pid together
 * with its start time (clock ticks after boot) names one process even when pids are reused.
 * A zombie counts as dead: it will never touch shared memory again.
 */
public final class ProcessIdentity {
    private static final byte[] PROC = "/proc/".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] STAT_NUL = "/stat\0".getBytes(StandardCharsets.US_ASCII);
    /** Each thread's buffer for a stat file's path and text (1 KiB, libscif's too): a look allocates nothing. */
    private static final ThreadLocal<byte[]> STAT = ThreadLocal.withInitial(() -> new byte[1024]);

    private ProcessIdentity() {
    }

    /** @return this process's pid */
    public static int selfPid() {
        return (int) ProcessHandle.current().pid();
    }

    /**
     * @param pid a process id
     * @return its start time in clock ticks after boot, or -1 if it does not exist or is dead
     */
    public static long startTime(int pid) {
        byte[] stat = STAT.get();
        int n = stat(pid, stat);
        // The command name (field 2) is in parentheses and may hold spaces: parse after it.
        int close = lastIndexOf(stat, n, ')');
        if (close < 0 || close + 2 >= n) {
            return -1;
        }
        byte state = stat[close + 2]; // field 3
        if (state == 'Z' || state == 'X' || state == 'x') {
            return -1;
        }
        int i = close + 2;
        for (int field = 3; field < 22; field++) { // field 22 is the start time
            while (i < n && stat[i] != ' ') {
                i++;
            }
            if (++i >= n) {
                return -1;
            }
        }
        long start = 0;
        int digits = 0;
        for (; i < n && stat[i] != ' '; i++, digits++) {
            if (stat[i] < '0' || stat[i] > '9' || digits == 18) {
                return -1;
            }
            start = start * 10 + (stat[i] - '0');
        }
        return digits == 0 ? -1 : start;
    }

    /**
     * @param pid a process id
     * @return whether it exists and is stopped (SIGSTOP, Ctrl-Z, a debugger): state T or t
     */
    public static boolean isStopped(int pid) {
        byte[] stat = STAT.get();
        int n = stat(pid, stat);
        int close = lastIndexOf(stat, n, ')');
        byte state = close < 0 || close + 2 >= n ? (byte) '?' : stat[close + 2];
        return state == 'T' || state == 't';
    }

    /**
     * Reads {@code /proc/PID/stat} into {@code buf} (its path first written there), as libscif
     * does: with open and read, which allocate nothing (the watchdog looks at every other
     * process of the fabric five times a second), and which a pending interrupt does not stop
     * (a FileChannel, as {@code Files.readString} uses, throws ClosedByInterruptException: an
     * interrupted thread, such as the watchdog being stopped, then judged every lock holder
     * dead and took a live holder's lock over).
     *
     * @return how many bytes of its text are in {@code buf}, or -1 if there is no such process
     */
    private static int stat(int pid, byte[] buf) {
        if (pid <= 0) {
            return -1; // no /proc/PID/stat
        }
        int digits = 1;
        for (int p = pid; p >= 10; p /= 10) {
            digits++;
        }
        System.arraycopy(PROC, 0, buf, 0, PROC.length);
        for (int p = pid, i = PROC.length + digits - 1; i >= PROC.length; p /= 10, i--) {
            buf[i] = (byte) ('0' + p % 10);
        }
        System.arraycopy(STAT_NUL, 0, buf, PROC.length + digits, STAT_NUL.length);
        int fd = Posix.open(buf, Posix.O_RDONLY | Posix.O_CLOEXEC, 0);
        if (fd < 0) {
            return -1;
        }
        long n = Posix.read(fd, buf, buf.length); // one read: a proc file gives its whole text at once
        Posix.close(fd);
        return (int) n;
    }

    /** @return the last index of {@code c} in the first {@code n} bytes of {@code b}, negative if none */
    private static int lastIndexOf(byte[] b, int n, char c) {
        int i = n - 1;
        while (i >= 0 && b[i] != c) {
            i--;
        }
        return i;
    }

    /**
     * @param pid       a process id recorded earlier
     * @param startTime the start time recorded with it
     * @return whether that very process still runs
     */
    public static boolean isAlive(int pid, long startTime) {
        return pid > 0 && startTime(pid) == startTime;
    }
}
