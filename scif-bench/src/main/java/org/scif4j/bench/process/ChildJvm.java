package org.scif4j.bench.process;

import org.scif4j.ScifException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A second JVM this process starts for a two-process benchmark: same java binary, same class
 * path, same {@code --add-opens}/{@code --add-exports} flags, optionally pinned. Start-up is
 * synchronised through the child's stdout: its first line is {@value #READY}. The child's
 * stderr goes to ours; its stdin stays open so that it can notice our death
 * ({@link ParentWatch}).
 *
 * <p>Every child is destroyed, by its own {@link Process} handle, when {@link #close()} is
 * called or this JVM shuts down (Ctrl-C); no other process is ever touched.
 */
public final class ChildJvm implements AutoCloseable {
    /** The line a child prints on stdout when it is ready. */
    public static final String READY = "READY";

    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(
            new Thread(ChildJvm::destroyAll, "scif-bench-children"));
    }

    private final String name;
    private final Process process;
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private final Consumer<String> lines;

    private ChildJvm(String name, Process process, Consumer<String> lines) {
        this.name = name;
        this.process = process;
        this.lines = lines;
        Thread reader = new Thread(this::readStdout, name + "-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code mainClass} with {@code args} in a new JVM.
     *
     * @param name      for messages, e.g. "pingpong peer"
     * @param prefix    commands before java, e.g. {@code taskset -c 1}; may be empty
     * @param mainClass the class whose main runs
     * @param args      its arguments
     * @return the running child
     * @throws IOException if it cannot be started
     */
    public static ChildJvm start(String name, List<String> prefix, Class<?> mainClass,
                                 List<String> args) throws IOException {
        return start(name, prefix, List.of(), mainClass, args, null);
    }

    /**
     * Starts {@code mainClass} with {@code args} in a new JVM with extra JVM flags, handing the
     * lines it prints after {@value #READY} to {@code lines} instead of our stderr.
     *
     * @param name      for messages, e.g. "aeron peer"
     * @param prefix    commands before java, e.g. {@code taskset -c 1}; may be empty
     * @param jvmFlags  flags only this child gets (e.g. Aeron's {@code --add-exports})
     * @param mainClass the class whose main runs
     * @param args      its arguments
     * @param lines     receives each line of stdout after {@value #READY}; null: to our stderr
     * @return the running child
     * @throws IOException if it cannot be started
     */
    public static ChildJvm start(String name, List<String> prefix, List<String> jvmFlags,
                                 Class<?> mainClass, List<String> args, Consumer<String> lines)
        throws IOException {
        List<String> command = new ArrayList<>(prefix);
        List<String> java = javaCommand(mainClass);
        command.addAll(java.subList(0, java.size() - 3));
        command.addAll(jvmFlags);
        command.addAll(java.subList(java.size() - 3, java.size()));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command)
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .redirectOutput(ProcessBuilder.Redirect.PIPE)
            .redirectInput(ProcessBuilder.Redirect.PIPE);
        synchronized (LIVE) {
            Process p = pb.start();
            LIVE.add(p);
            p.onExit().thenRun(() -> LIVE.remove(p));
            return new ChildJvm(name, p, lines);
        }
    }

    /**
     * The command that runs {@code mainClass} in a JVM like this one.
     *
     * @param mainClass the class whose main runs
     * @return java, its flags, {@code -cp}, the class path and the class name
     */
    public static List<String> javaCommand(Class<?> mainClass) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // a debugger agent would fight over its port; everything else is kept
            if (!arg.startsWith("-agentlib:jdwp") && !arg.startsWith("-Xrunjdwp")) {
                cmd.add(arg);
            }
        }
        // Under `java -jar` the manifest's Add-Opens do not show among the input arguments.
        for (String flag : JvmFlags.all()) {
            if (!cmd.contains(flag)) {
                cmd.add(flag);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass.getName());
        return cmd;
    }

    /**
     * Waits for the child's {@value #READY} line.
     *
     * @param timeoutSeconds how long start-up may take
     * @throws IOException when the child exits first, prints something else, or takes too long
     */
    public void awaitReady(long timeoutSeconds) throws IOException {
        try {
            ready.get(timeoutSeconds, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IOException(name + " (pid " + process.pid() + ") "
                + e.getCause().getMessage() + exitNote(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException(name + " (pid " + process.pid() + ") did not print " + READY
                + " within " + timeoutSeconds + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for " + name, e);
        }
    }

    /**
     * Waits for the child to exit on its own.
     *
     * @param timeoutSeconds how long it may take
     * @return its exit code
     * @throws IOException when it does not exit in time (it is then destroyed)
     */
    public int awaitExit(long timeoutSeconds) throws IOException {
        try {
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                close();
                throw new IOException(name + " (pid " + process.pid() + ") did not exit within "
                    + timeoutSeconds + " s; destroyed it");
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IOException("interrupted while waiting for " + name + " to exit", e);
        }
    }

    /**
     * Waits for a peer that should end on its own once its work is done.
     *
     * @param timeoutSeconds how long it may take
     * @throws IOException when it does not exit in time, or exits with a non-zero code
     */
    public void awaitCleanExit(long timeoutSeconds) throws IOException {
        if (awaitExit(timeoutSeconds) != 0) {
            throw new IOException(describe() + " (its stderr is above)");
        }
    }

    /**
     * The error to report for a failed SCIF call with this child as the peer: when the child
     * has died, its death is the story, and the call's error only a consequence of it.
     *
     * @param e the call's error
     * @return an exception naming the child's end, when it has ended
     * @throws ScifException {@code e} itself, while the child runs
     */
    public IOException explain(ScifException e) throws ScifException {
        if (hasExited(2)) {
            return new IOException(describe() + ", and then " + e.getMessage(), e);
        }
        throw e;
    }

    /**
     * Writes a line to the child's stdin (a command to a child that reads them).
     *
     * @param line the line, without its end
     * @throws IOException when the child's stdin is closed
     */
    public void println(String line) throws IOException {
        java.io.OutputStream in = process.getOutputStream();
        in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    /** Closes the child's stdin: a child that reads commands takes it as the end. */
    public void closeStdin() {
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // the pipe is gone with the process
        }
    }

    /** @return completes when the child has exited */
    public CompletableFuture<Process> onExit() {
        return process.onExit();
    }

    /**
     * Waits a little for the child to exit, e.g. to tell whether its death caused an error.
     *
     * @param timeoutSeconds how long to wait
     * @return whether it has exited
     */
    public boolean hasExited(long timeoutSeconds) {
        try {
            return process.waitFor(timeoutSeconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }

    /** @return whether the child still runs */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** @return e.g. "pingpong peer (pid 1234) exited with code 1" or "... still runs" */
    public String describe() {
        if (process.isAlive()) {
            return name + " (pid " + process.pid() + ") still runs";
        }
        int code = process.exitValue();
        return name + " (pid " + process.pid() + ") exited with code " + code
            + (code > 128 && code < 160 ? " (killed by signal " + (code - 128) + ")" : "");
    }

    /** Destroys the child if it still runs (SIGTERM, then SIGKILL after 5 s) and waits for it. */
    @Override
    public void close() {
        destroy(process);
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // the pipe is gone with the process
        }
    }

    private String exitNote() {
        try {
            if (process.waitFor(2, TimeUnit.SECONDS)) {
                return "; it exited with code " + process.exitValue() + " (its stderr is above)";
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "";
    }

    private void readStdout() {
        try (BufferedReader in = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String first = in.readLine();
            if (first == null) {
                ready.completeExceptionally(new IOException("exited before printing " + READY));
                return;
            }
            if (!READY.equals(first.trim())) {
                ready.completeExceptionally(new IOException("printed '" + first
                    + "' instead of " + READY));
            } else {
                ready.complete(null);
            }
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (lines != null) {
                    lines.accept(line);
                } else {
                    System.err.println("[" + name + "] " + line);
                }
            }
        } catch (IOException e) {
            ready.completeExceptionally(e);
        }
    }

    private static void destroy(Process p) {
        if (!p.isAlive()) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
    }

    private static void destroyAll() {
        synchronized (LIVE) {
            for (Process p : LIVE.toArray(new Process[0])) {
                destroy(p);
            }
        }
    }
}
