package org.scif4j.shm.internal;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * Linux futex on a 32-bit word in shared memory, through JNA. Not the private variant: the
 * word is shared between processes. Probed once; {@link #unavailabilityCause()} says why it
 * cannot be used, in the manner of Netty's {@code Epoll}.
 *
 * <p>Also the sleeper's half of an asymmetric fence, {@link #fenceEveryProcess()}, with Linux
 * {@code membarrier}: the ring writer and reader publish with plain release stores (no fence
 * on the hot path), and a thread about to sleep makes every other thread of every process of
 * the fabric pass a full barrier instead.
 */
public final class Futex {
    private static final int FUTEX_WAIT = 0;
    private static final int FUTEX_WAKE = 1;
    private static final int MEMBARRIER_CMD_QUERY = 0;
    private static final int MEMBARRIER_CMD_GLOBAL = 1;
    private static final int MEMBARRIER_CMD_GLOBAL_EXPEDITED = 1 << 1;
    private static final int MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED = 1 << 2;
    private static final int MEMBARRIER_CMD_PRIVATE_EXPEDITED = 1 << 3;
    private static final int MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED = 1 << 4;
    private static final long SYS_MEMBARRIER;
    /** The membarrier command a sleeper runs, or -1 when there is none. */
    private static final int FENCE_COMMAND;
    /** Whether {@link #fenceThisProcess()} works: the process registered for the private barrier. */
    private static final boolean PRIVATE_FENCE;
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
        SYS_MEMBARRIER = Platform.isIntel() && Platform.is64Bit() ? 324
            : Platform.isARM() && Platform.is64Bit() ? 283
            : -1;
        FENCE_COMMAND = cause == null ? probeMembarrier() : -1;
        PRIVATE_FENCE = cause == null && probePrivateMembarrier();
    }

    /**
     * Registers this process for the expedited global barrier, which covers only registered
     * processes; falls back to the plain global one (every process, but a grace period long).
     */
    private static int probeMembarrier() {
        if (SYS_MEMBARRIER < 0) {
            return -1;
        }
        long supported = syscall(SYS_MEMBARRIER, MEMBARRIER_CMD_QUERY, 0, 0, 0, 0, 0);
        if (supported < 0) {
            return -1;
        }
        if ((supported & MEMBARRIER_CMD_GLOBAL_EXPEDITED) != 0
            && syscall(SYS_MEMBARRIER, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0, 0, 0, 0) == 0) {
            return MEMBARRIER_CMD_GLOBAL_EXPEDITED;
        }
        return (supported & MEMBARRIER_CMD_GLOBAL) != 0 ? MEMBARRIER_CMD_GLOBAL : -1;
    }

    /** Registers this process for the expedited private barrier (its own threads only). */
    private static boolean probePrivateMembarrier() {
        if (SYS_MEMBARRIER < 0) {
            return false;
        }
        long supported = syscall(SYS_MEMBARRIER, MEMBARRIER_CMD_QUERY, 0, 0, 0, 0, 0);
        return supported >= 0 && (supported & MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0
            && syscall(SYS_MEMBARRIER, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0, 0, 0, 0) == 0;
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
     * Whether the ring's writer and reader may publish without a fence: true when this process
     * can make every process's threads pass a barrier ({@link #fenceEveryProcess()}). Loading
     * this class registers the process for that barrier; a connection does it before it is used.
     *
     * @return whether {@code membarrier} works here
     */
    public static boolean fencesEveryProcess() {
        return FENCE_COMMAND >= 0;
    }

    /**
     * The sleeper's half of the asymmetric fence (docs/shm-format.md, "Waking without losing a
     * wake-up"): on return, every thread of every registered process has passed a full memory
     * barrier since this call began, so a store that a writer made before reading the sleeper
     * count is visible here, or the writer's read comes after this thread's announcement.
     *
     * @return false if there is no such barrier here (see {@link #fencesEveryProcess()})
     */
    public static boolean fenceEveryProcess() {
        return FENCE_COMMAND >= 0 && syscall(SYS_MEMBARRIER, FENCE_COMMAND, 0, 0, 0, 0, 0) == 0;
    }

    /**
     * Whether this process is registered for {@code MEMBARRIER_CMD_GLOBAL_EXPEDITED}, so that
     * another process's {@link #fenceEveryProcess()} makes its threads pass a barrier: then a
     * copier record may be written without a fence (docs/shm-format.md, "Copier records").
     *
     * @return whether this process's threads are covered by the expedited global barrier
     */
    public static boolean fencedByEveryProcess() {
        return FENCE_COMMAND == MEMBARRIER_CMD_GLOBAL_EXPEDITED;
    }

    /** @return whether {@link #fenceThisProcess()} works here */
    public static boolean fencesThisProcess() {
        return PRIVATE_FENCE;
    }

    /**
     * The remover's half of an asymmetric fence within this process (see CopyGuard): on
     * return, every thread of this process has passed a full memory barrier since this call
     * began, so a store a copier made before its next load is visible here, or that load
     * comes after this call and sees what the caller stored before it.
     *
     * @return false if there is no such barrier here (see {@link #fencesThisProcess()})
     */
    public static boolean fenceThisProcess() {
        return PRIVATE_FENCE && syscall(SYS_MEMBARRIER, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0, 0, 0, 0) == 0;
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
