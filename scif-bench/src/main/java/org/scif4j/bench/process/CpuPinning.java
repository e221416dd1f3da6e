package org.scif4j.bench.process;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Pins the two processes of a two-process benchmark to different cores with
 * {@code taskset}; says why when it cannot.
 *
 * @param pinned    whether the processes are pinned
 * @param parentCpu this process's cpu when pinned, else -1
 * @param childCpu  the child's cpu when pinned, else -1
 * @param note      a line for the report: where, or why not
 * @param taskset   the taskset executable when pinned, else null
 * @param allowed   the cpus this process could run on before pinning, e.g. {@code 0,1}
 */
public record CpuPinning(boolean pinned, int parentCpu, int childCpu, String note, String taskset,
                         String allowed) {

    /** @return no pinning, with the reason */
    public static CpuPinning unpinned(String why) {
        return new CpuPinning(false, -1, -1, "unpinned (" + why + ")", null, "");
    }

    /**
     * Chooses two cores this process may run on.
     *
     * @param requested true to pin if possible; false for no pinning
     * @return the plan; unpinned with the reason when fewer than two cores or no taskset
     */
    public static CpuPinning plan(boolean requested) {
        if (!requested) {
            return unpinned("--no-pin");
        }
        List<Integer> cpus = allowedCpus();
        if (cpus.size() < 2) {
            return unpinned("only " + cpus.size() + " cpu available");
        }
        Optional<String> taskset = findOnPath("taskset");
        if (taskset.isEmpty()) {
            return unpinned("taskset not found on PATH");
        }
        int parent = cpus.get(0);
        int child = cpus.get(1);
        StringBuilder allowed = new StringBuilder();
        for (int cpu : cpus) {
            allowed.append(allowed.length() == 0 ? "" : ",").append(cpu);
        }
        return new CpuPinning(true, parent, child, "pinned to cpus " + parent + " and " + child,
            taskset.get(), allowed.toString());
    }

    /**
     * Pins every thread of this process (and so the threads it starts later) to
     * {@link #parentCpu()}. Does nothing when not pinned.
     *
     * @throws IOException when taskset fails
     */
    public void pinSelf() throws IOException {
        if (!pinned) {
            return;
        }
        taskset(Integer.toString(parentCpu));
    }

    private void taskset(String cpus) throws IOException {
        long pid = ProcessHandle.current().pid();
        Process p = new ProcessBuilder(taskset, "-a", "-c", "-p", cpus,
            Long.toString(pid)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            int code = p.waitFor();
            if (code != 0) {
                throw new IOException("taskset -a -c -p " + cpus + " " + pid + " exited with "
                    + code + ": " + out.trim());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroy();
            throw new IOException("interrupted while pinning this process", e);
        }
    }

    /**
     * Lets every thread of this process run on any allowed cpu again (after {@link #pinSelf()}),
     * e.g. for a multi-threaded DMA engine or an in-process baseline with two threads. Does
     * nothing when not pinned.
     *
     * @throws IOException when taskset fails
     */
    public void unpinSelf() throws IOException {
        if (!pinned) {
            return;
        }
        taskset(allowed);
    }

    /** @return the prefix that starts the child on {@link #childCpu()}; empty if unpinned */
    public List<String> childPrefix() {
        return pinned ? List.of(taskset, "-c", Integer.toString(childCpu)) : List.of();
    }

    /** @return the cpus in this process's affinity mask, ascending */
    static List<Integer> allowedCpus() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Cpus_allowed_list:")) {
                    return parseCpuList(line.substring(line.indexOf(':') + 1).trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or an unexpected format: fall back to the processor count
        }
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < Runtime.getRuntime().availableProcessors(); i++) {
            all.add(i);
        }
        return all;
    }

    /**
     * Parses a Linux cpu list such as {@code 0-3,8,10-11}.
     *
     * @param list the list
     * @return the cpus, in the list's order
     */
    static List<Integer> parseCpuList(String list) {
        List<Integer> cpus = new ArrayList<>();
        for (String part : list.split(",")) {
            part = part.trim();
            if (part.isEmpty()) {
                continue;
            }
            int dash = part.indexOf('-');
            int from = Integer.parseInt(dash < 0 ? part : part.substring(0, dash));
            int to = dash < 0 ? from : Integer.parseInt(part.substring(dash + 1));
            for (int c = from; c <= to; c++) {
                cpus.add(c);
            }
        }
        return cpus;
    }

    private static Optional<String> findOnPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate.toString());
            }
        }
        return Optional.empty();
    }
}
