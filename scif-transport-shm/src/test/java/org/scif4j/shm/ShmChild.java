package org.scif4j.shm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.scif4j.Endpoint;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;

/**
 * A second JVM for the shm transport's own tests: started with {@link #start}, it runs one
 * scenario and talks to the test through its standard streams.
 */
public final class ShmChild implements AutoCloseable {
    private final Process process;
    private final BufferedReader out;

    private ShmChild(Process process) {
        this.process = process;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /**
     * @param withFlags whether to pass this JVM's --add-opens/--add-exports flags
     * @param jvmArgs   extra JVM arguments
     * @param args      scenario and its arguments
     * @return the running child
     * @throws IOException if it cannot start
     */
    static ShmChild start(boolean withFlags, List<String> jvmArgs, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        if (withFlags) {
            for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                if (a.startsWith("--add-opens") || a.startsWith("--add-exports") || a.startsWith("-Dchronicle")) {
                    cmd.add(a);
                }
            }
        }
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(ShmChild.class.getName());
        cmd.addAll(List.of(args));
        return new ShmChild(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start());
    }

    /** @return the child's next stdout line, or null at its end */
    String readLine() throws IOException {
        return out.readLine();
    }

    /** @return the child's pid */
    long pid() {
        return process.pid();
    }

    /** Kills the child with SIGKILL and waits for it to be gone. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** @param seconds how long to wait @return the exit code, or -1 if it did not exit in time */
    int waitFor(long seconds) throws InterruptedException {
        return process.waitFor(seconds, TimeUnit.SECONDS) ? process.exitValue() : -1;
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill9();
        }
    }

    /** Attaches and detaches, printing "OK NODE" or the errno and message of the failure. */
    private static void attachOnce(String uri) {
        try (ScifNode n = Scif.attach(uri)) {
            System.out.println("OK " + n.selfId());
        } catch (ScifException e) {
            System.out.println(e.errno() + " " + e.getMessage());
        }
    }

    /**
     * Scenarios: {@code attach URI} prints the attach result; {@code open URI} attaches, opens, binds and closes an endpoint and prints OK; {@code hold URI [PAIRS]} attaches,
     * connects PAIRS loopback pairs (default 1), prints READY and waits to be killed; {@code lifecycle URI DIR}
     * attaches, connects, closes and prints DONE (see {@link #lifecycle}); {@code churn URI}
     * attaches, binds and leaves in a loop until killed; {@code stress URI PAIRS
     * ROUNDS} runs blocking ping-pongs between two nodes in this JVM.
     *
     * @param args scenario and arguments
     * @throws Exception on failure (exit code 1)
     */
    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "probe": // the availability probe's answer, then as "attach"
                System.out.println("probe: " + new ShmTransport().unavailabilityCause());
                attachOnce(args[1]);
                break;
            case "attach":
                attachOnce(args[1]);
                break;
            case "open":
                try (ScifNode n = Scif.attach(args[1])) { // open and bind are logged changes (docs/shm-format.md)
                    Endpoint e = n.open();
                    int port = e.bind(0);
                    e.close();
                    System.out.println("OK " + port);
                }
                break;
            case "hold":
                hold(args[1], args.length > 2 ? Integer.parseInt(args[2]) : 1);
                break;
            case "churn":
                System.out.println("READY");
                System.out.flush();
                while (true) { // until killed: attach, open, bind, connect nothing, close
                    try (ScifNode n = Scif.attach(args[1])) {
                        n.open().bind(0);
                    }
                }
            case "lifecycle":
                lifecycle(args[1], java.nio.file.Path.of(args[2]));
                System.out.println("DONE");
                break;
            case "stress":
                stress(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]));
                System.out.println("DONE");
                break;
            default:
                throw new IllegalArgumentException(args[0]);
        }
        System.out.flush();
    }

    /** Connects {@code c} to listener {@code l} from one thread: a non-blocking connect, accept, then collect. */
    private static Endpoint connectPair(Endpoint c, Endpoint l, PortId to) throws ScifException {
        c.configureBlocking(false);
        try {
            c.connect(to);
        } catch (ScifException e) {
            if (e.errno() != org.scif4j.Errno.EINPROGRESS) {
                throw e;
            }
        }
        Endpoint a = l.accept(Scif.ACCEPT_SYNC);
        c.connect(to);
        return a;
    }

    private static void hold(String uri, int pairs) throws Exception {
        ScifNode n = Scif.attach(uri);
        Endpoint l = n.open();
        int port = l.bind(0);
        l.listen(8);
        for (int i = 0; i < pairs; i++) {
            Endpoint c = n.open();
            Endpoint a = connectPair(c, l, new PortId(n.selfId(), port));
            a.send(ByteBuffer.wrap(new byte[100]), Scif.SEND_BLOCK);
        }
        System.out.println("READY " + port);
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    }

    /**
     * Attaches, connects a pair and sends, leaves a file for the last process's removal
     * ({@code conn-999999}), and closes the node: with {@code -Dscif4j.shm.test.crashAt=STEP}
     * the JVM ends at that step of the attach or of the detach.
     */
    private static void lifecycle(String uri, java.nio.file.Path dir) throws Exception {
        ScifNode n = Scif.attach(uri);
        Endpoint l = n.open();
        int port = l.bind(0);
        l.listen(8);
        Endpoint c = n.open();
        Endpoint a = connectPair(c, l, new PortId(n.selfId(), port));
        a.send(ByteBuffer.wrap(new byte[100]), Scif.SEND_BLOCK);
        java.nio.file.Files.write(dir.resolve("conn-999999"), new byte[10]);
        n.close();
    }

    /** PAIRS connections between node 0 and node 1, each with a thread per side, ROUNDS 8-byte round trips. */
    private static void stress(String base, int pairs, int rounds) throws Exception {
        try (ScifNode a = Scif.attach(base + "&node=0"); ScifNode b = Scif.attach(base + "&node=1")) {
            Endpoint l = a.open();
            int port = l.bind(0);
            l.listen(pairs);
            List<Thread> threads = new ArrayList<>();
            List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int p = 0; p < pairs; p++) {
                Endpoint c = b.open();
                Endpoint s = connectPair(c, l, new PortId(0, port));
                threads.add(new Thread(() -> run(errors, () -> echo(s, rounds))));
                threads.add(new Thread(() -> run(errors, () -> ping(c, rounds))));
            }
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join();
            }
            if (!errors.isEmpty()) {
                throw new AssertionError("stress failed", errors.get(0));
            }
        }
    }

    private interface Body {
        void run() throws Exception;
    }

    private static void run(List<Throwable> errors, Body body) {
        try {
            body.run();
        } catch (Throwable t) {
            errors.add(t);
        }
    }

    private static void ping(Endpoint e, int rounds) throws ScifException {
        ByteBuffer b = ByteBuffer.allocateDirect(8);
        for (long i = 0; i < rounds; i++) {
            b.clear();
            b.putLong(0, i);
            e.send(b, Scif.SEND_BLOCK);
            b.clear();
            e.recv(b, Scif.RECV_BLOCK);
            if (b.getLong(0) != i + 1) {
                throw new AssertionError("round " + i + " got " + b.getLong(0));
            }
        }
    }

    private static void echo(Endpoint e, int rounds) throws ScifException {
        ByteBuffer b = ByteBuffer.allocateDirect(8);
        for (int i = 0; i < rounds; i++) {
            b.clear();
            e.recv(b, Scif.RECV_BLOCK);
            b.putLong(0, b.getLong(0) + 1);
            b.clear();
            e.send(b, Scif.SEND_BLOCK);
        }
    }
}
