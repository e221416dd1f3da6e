package org.scif4j.shm.internal;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * Linux futex on a 32-bit word in shared memory, through JNA. Not the private variant: the
 * word is shared between processes. Probed once; {@link #unavailabilityCause()} says why it
 * cannot be used, in the manner of Netty's {@code Epoll}.
 */
public final class Futex {
    private static final int FUTEX_WAIT = 0;
    private static final int FUTEX_WAKE = 1;
    private static final long SYS_FUTEX;
    private static final Throwable UNAVAILABILITY;
    /** One timespec per thread, so that a timed wait allocates nothing. */
    private static final ThreadLocal<Memory> TIMESPEC = ThreadLocal.withInitial(() -> new Memory(16));

    static {
        long sys = -1;
        Throwable cause = null;
        try {
            if (!Platform.isLinux()) {
                throw new UnsupportedOperationException("futex needs Linux, this is " + System.getProperty("os.name"));
            }
            sys = Platform.isIntel() && Platform.is64Bit() ? 202
                : Platform.isARM() && Platform.is64Bit() ? 98
                : -1;
            if (sys < 0) {
                throw new UnsupportedOperationException("no futex syscall number known for "
                    + System.getProperty("os.arch"));
            }
            Native.register(Futex.class, Platform.C_LIBRARY_NAME);
        } catch (Throwable t) {
            cause = t;
        }
        SYS_FUTEX = sys;
        UNAVAILABILITY = cause;
    }

    private Futex() {
    }

    private static native long syscall(long number, long uaddr, int op, int val, long timeout,
                                       long uaddr2, int val3);

    /** @return whether futex calls work here */
    public static boolean isAvailable() {
        return UNAVAILABILITY == null;
    }

    /** @return why futex calls do not work here, or {@code null} */
    public static Throwable unavailabilityCause() {
        return UNAVAILABILITY;
    }

    /**
     * Sleeps while the word at {@code address} holds {@code expected}, at most
     * {@code timeoutNanos}. Returns early on a wake, a changed value, or a signal; callers
     * always re-check their condition.
     *
     * @param address      address of a 4-byte aligned int in shared memory
     * @param expected     the value seen; the kernel compares it atomically before sleeping
     * @param timeoutNanos the longest sleep, positive
     */
    public static void await(long address, int expected, long timeoutNanos) {
        Memory ts = TIMESPEC.get();
        ts.setLong(0, timeoutNanos / 1_000_000_000L);
        ts.setLong(8, timeoutNanos % 1_000_000_000L);
        syscall(SYS_FUTEX, address, FUTEX_WAIT, expected, Pointer.nativeValue(ts), 0, 0);
    }

    /**
     * Wakes every thread of every process sleeping on the word at {@code address}.
     *
     * @param address address of the futex word
     */
    public static void wakeAll(long address) {
        syscall(SYS_FUTEX, address, FUTEX_WAKE, Integer.MAX_VALUE, 0, 0, 0);
    }
}
