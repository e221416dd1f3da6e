package org.scif4j.bench.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ThreadPinningTest {
    @Test
    void pinsTheCallingThreadAloneToTheCpu() throws Exception {
        List<Integer> cpus = CpuPinning.allowedCpus();
        assumeTrue(cpus.size() >= 2, "needs two cpus to tell pinned from unpinned: " + cpus);
        int cpu = cpus.get(cpus.size() - 1);
        List<Integer> before = threadCpus();
        AtomicReference<Object> seen = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                ThreadPinning.pinCurrentThread(cpu);
                seen.set(threadCpus());
            } catch (IOException | RuntimeException e) {
                seen.set(e);
            }
        });
        t.start();
        t.join();
        assertEquals(List.of(cpu), seen.get(), "the pinned thread's own affinity");
        assertEquals(before, threadCpus(), "the calling thread's affinity is left alone");
    }

    @Test
    void minusOneLeavesTheThreadAlone() throws IOException {
        List<Integer> before = threadCpus();
        ThreadPinning.pinCurrentThread(-1);
        assertEquals(before, threadCpus());
    }

    @Test
    void refusesACpuThisProcessMayNotUse() throws IOException {
        List<Integer> before = threadCpus();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ThreadPinning.pinCurrentThread(4095));
        assertEquals(true, e.getMessage().contains("cpu 4095"), e.getMessage());
        assertEquals(before, threadCpus());
    }

    /** @return the cpus the calling thread may run on, from the kernel's view of it */
    private static List<Integer> threadCpus() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/thread-self/status"))) {
            if (line.startsWith("Cpus_allowed_list:")) {
                return CpuPinning.parseCpuList(line.substring(line.indexOf(':') + 1).trim());
            }
        }
        throw new IOException("no Cpus_allowed_list in /proc/thread-self/status");
    }
}
