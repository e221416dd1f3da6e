package org.scif4j.tests.process;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM running {@link PeerMain} attached to one node of a fabric: the suite's way to
 * test SCIF across processes and to kill a peer with SIGKILL. It is started with the current
 * JVM's java binary, class path and {@code --add-opens}/{@code --add-exports}/{@code -Dchronicle}
 * flags, and driven through its stdin and stdout, never with sleeps. Whoever starts one must
 * {@link #close()} it; closing never touches any other process.
 */
public final class PeerProcess implements AutoCloseable {
    /** How long a child may take to start (a cold JVM on a loaded 2-core machine). */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    /** How long a command may take before the harness gives up on the child. */
    public static final Duration REPLY_TIMEOUT = Duration.ofSeconds(30);

    private static final String EOF = "\u0000EOF";

    private final String fabricUri;
    private final Process process;
    private final Writer stdin;
    private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    private final Deque<String> stderrTail = new ArrayDeque<>();
    private final Thread stdoutReader;
    private final Thread stderrReader;
    private final int selfId;

    private PeerProcess(String fabricUri, Process process) {
        this.fabricUri = fabricUri;
        this.process = process;
        this.stdin = new java.io.OutputStreamWriter(process.getOutputStream(),
            StandardCharsets.UTF_8);
        this.stdoutReader = reader("stdout", process.getInputStream(), this::onStdout);
        this.stderrReader = reader("stderr", process.getErrorStream(), this::onStderr);
        String ready = next(replies, START_TIMEOUT, "READY");
        if (!ready.startsWith("READY")) {
            destroy();
            throw new AssertionError("peer " + fabricUri + " did not start: " + ready + describe());
        }
        this.selfId = Integer.parseInt(fields(ready).get("self"));
    }

    /**
     * Starts a peer attached as the node that {@code fabricUri} names, and waits for it to be
     * ready.
     *
     * @param fabricUri the node to attach
     * @return the running peer
     * @throws IOException if the JVM cannot be started
     */
    public static PeerProcess start(String fabricUri) throws IOException {
        return start(fabricUri, List.of());
    }

    /**
     * Starts a peer as {@link #start(String)} does, with more JVM flags (e.g. a crash point).
     *
     * @param fabricUri the node to attach
     * @param jvmFlags  flags added after the inherited ones, e.g. {@code -Dscif4j.shm.test.stopAt=STEP}
     * @return the running peer
     * @throws IOException if the JVM cannot be started
     */
    public static PeerProcess start(String fabricUri, List<String> jvmFlags) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(inheritedJvmFlags());
        command.addAll(jvmFlags);
        command.add("-XX:+UseSerialGC");
        command.add("-Xshare:auto");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(PeerMain.class.getName());
        command.add(fabricUri);
        ProcessBuilder pb = new ProcessBuilder(command);
        return new PeerProcess(fabricUri, pb.start());
    }

    /**
     * The parent's flags a child needs: {@code --add-opens}, {@code --add-exports} and
     * {@code -Dchronicle...}.
     *
     * @return the flags, in the parent's order
     */
    public static List<String> inheritedJvmFlags() {
        List<String> in = ManagementFactory.getRuntimeMXBean().getInputArguments();
        List<String> out = new ArrayList<>();
        for (int i = 0; i < in.size(); i++) {
            String a = in.get(i);
            if ((a.equals("--add-opens") || a.equals("--add-exports")) && i + 1 < in.size()) {
                out.add(a);
                out.add(in.get(++i));
            } else if (a.startsWith("--add-opens") || a.startsWith("--add-exports")
                || a.startsWith("-Dchronicle")) {
                out.add(a);
            }
        }
        return out;
    }

    /** @return the node id the child attached as */
    public int selfId() {
        return selfId;
    }

    /** @return the child's process id */
    public long pid() {
        return process.pid();
    }

    /**
     * Sends a command and returns its one-line answer.
     *
     * @param command e.g. {@code listen 0 4}
     * @return {@code OK ...} or {@code ERR ERRNO message}
     */
    public String call(String command) {
        write(command);
        return next(replies, REPLY_TIMEOUT, command);
    }

    /**
     * Sends a command that must succeed.
     *
     * @param command e.g. {@code listen 0 4}
     * @return the answer's fields, e.g. {@code port -> 1089}
     */
    public Map<String, String> ok(String command) {
        String reply = call(command);
        if (!reply.startsWith("OK")) {
            throw new AssertionError("peer " + fabricUri + ": '" + command + "' failed: " + reply
                + describe());
        }
        return fields(reply);
    }

    /**
     * Waits for the next background event line.
     *
     * @param timeout how long to wait
     * @return the line without its {@code EVENT } prefix
     */
    public String awaitEvent(Duration timeout) {
        return next(events, timeout, "an event");
    }

    /**
     * Parses the {@code key=value} words of an answer.
     *
     * @param line an answer line
     * @return the fields in order
     */
    public static Map<String, String> fields(String line) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String word : line.split("\\s+")) {
            int eq = word.indexOf('=');
            if (eq > 0) {
                map.put(word.substring(0, eq), word.substring(eq + 1));
            }
        }
        return map;
    }

    /**
     * Kills the child with SIGKILL ({@link Process#destroyForcibly()} on Linux) and waits until
     * it is gone. Nothing in the child gets a chance to clean up.
     */
    public void kill() {
        destroy();
    }

    /** @return whether the child is still running */
    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Ends the child: asks it to exit (it closes its node), waits for that, and kills it if it
     * does not end in time. Idempotent.
     */
    @Override
    public void close() {
        if (process.isAlive()) {
            try {
                stdin.write("exit\n");
                stdin.close();
            } catch (IOException ignored) {
                // the child is already going away; waitFor below settles it
            }
            try {
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    destroy();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                destroy();
            }
        }
        joinReaders();
    }

    /** @return a description of the child for failure messages, with its last stderr lines */
    public String describe() {
        synchronized (stderrTail) {
            return "\n  [peer pid " + process.pid() + ", " + fabricUri
                + (process.isAlive() ? ", running" : ", exited " + process.exitValue())
                + (stderrTail.isEmpty() ? "" : ", stderr:\n    " + String.join("\n    ", stderrTail))
                + "]";
        }
    }

    private void destroy() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new AssertionError("peer pid " + process.pid() + " survived SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        joinReaders();
    }

    private void joinReaders() {
        try {
            stdoutReader.join(10_000);
            stderrReader.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void write(String command) {
        try {
            stdin.write(command + "\n");
            stdin.flush();
        } catch (IOException e) {
            throw new AssertionError("peer " + fabricUri + " no longer reads commands ('" + command
                + "'): " + e + describe(), e);
        }
    }

    private String next(BlockingQueue<String> queue, Duration timeout, String what) {
        try {
            String line = queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (line == null) {
                throw new AssertionError("peer " + fabricUri + ": no answer to '" + what
                    + "' within " + timeout + describe());
            }
            if (line.equals(EOF)) {
                queue.add(EOF);
                throw new AssertionError("peer " + fabricUri + " ended before answering '" + what
                    + "'" + describe());
            }
            return line;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for peer " + fabricUri, e);
        }
    }

    private void onStdout(String line) {
        if (line == null) {
            replies.add(EOF);
            events.add(EOF);
        } else if (line.startsWith("EVENT ")) {
            events.add(line.substring("EVENT ".length()));
        } else if (line.startsWith("OK") || line.startsWith("ERR") || line.startsWith("READY")) {
            replies.add(line);
        } else {
            onStderr("(stdout) " + line);
        }
    }

    private void onStderr(String line) {
        if (line == null) {
            return;
        }
        synchronized (stderrTail) {
            stderrTail.addLast(line);
            while (stderrTail.size() > 30) {
                stderrTail.removeFirst();
            }
        }
    }

    private Thread reader(String name, InputStream stream, java.util.function.Consumer<String> sink) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(
                new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    sink.accept(line);
                }
            } catch (IOException ignored) {
                // the child went away; EOF below
            }
            sink.accept(null);
        }, "peer-" + process.pid() + "-" + name);
        t.setDaemon(true);
        t.start();
        return t;
    }
}
