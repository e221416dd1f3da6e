package org.scif4j.shm.internal;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Who a process is and whether it still runs, from {@code /proc/PID/stat}: a pid together
 * with its start time (clock ticks after boot) names one process even when pids are reused.
 * A zombie counts as dead: it will never touch shared memory again.
 */
public final class ProcessIdentity {
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
        String stat = stat(pid);
        if (stat == null) {
            return -1;
        }
        // The command name (field 2) is in parentheses and may hold spaces: parse after it.
        int close = stat.lastIndexOf(')');
        if (close < 0 || close + 2 >= stat.length()) {
            return -1;
        }
        String[] fields = stat.substring(close + 2).split(" ");
        // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
        char state = fields[0].isEmpty() ? '?' : fields[0].charAt(0);
        if (state == 'Z' || state == 'X' || state == 'x' || fields.length < 20) {
            return -1;
        }
        try {
            return Long.parseLong(fields[19]);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * @param pid a process id
     * @return whether it exists and is stopped (SIGSTOP, Ctrl-Z, a debugger): state T or t
     */
    public static boolean isStopped(int pid) {
        String stat = stat(pid);
        int close = stat == null ? -1 : stat.lastIndexOf(')');
        char state = close < 0 || close + 2 >= stat.length() ? '?' : stat.charAt(close + 2);
        return state == 'T' || state == 't';
    }

    /**
     * Reads {@code /proc/PID/stat} with a stream, which a pending interrupt does not close
     * (a FileChannel, as {@code Files.readString} uses, throws ClosedByInterruptException: an
     * interrupted thread, such as the watchdog being stopped, then judged every lock holder
     * dead and took a live holder's lock over).
     *
     * @return its text, or null if there is no such process
     */
    private static String stat(int pid) {
        try (FileInputStream in = new FileInputStream("/proc/" + pid + "/stat")) {
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return null;
        }
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
