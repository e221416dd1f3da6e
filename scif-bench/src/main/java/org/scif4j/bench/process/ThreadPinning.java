package org.scif4j.bench.process;

import net.openhft.posix.PosixAPI;

/**
 * Pins the calling thread alone to one cpu ({@code sched_setaffinity} on its thread id), for a
 * baseline whose two sides are threads of one process: {@link CpuPinning} pins whole processes.
 */
public final class ThreadPinning {
    private ThreadPinning() {
    }

    /**
     * Pins the calling thread to {@code cpu}; does nothing for a negative cpu (not pinned).
     *
     * @param cpu the cpu, or -1
     * @throws IllegalStateException when the cpu does not exist or the kernel refuses it
     */
    public static void pinCurrentThread(int cpu) {
        if (cpu < 0) {
            return;
        }
        PosixAPI posix = PosixAPI.posix();
        int configured = posix.get_nprocs_conf();
        if (cpu >= configured) {
            // checked here: the library's cpu mask has room for the configured cpus only
            throw new IllegalStateException("cpu " + cpu + " does not exist: this machine has cpus 0 to "
                + (configured - 1));
        }
        int tid = posix.gettid();
        int rc = posix.sched_setaffinity_as(tid, cpu);
        if (rc != 0) {
            throw new IllegalStateException("sched_setaffinity of thread " + tid + " to cpu " + cpu
                + " returned " + rc);
        }
    }
}
