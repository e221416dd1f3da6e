package org.scif4j.tcp.netns;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.scif4j.tests.process.PeerMain;
import org.scif4j.tests.process.PeerProcess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The tcp transport across real hosts: three network namespaces on one bridge, each running
 * one node of a {@code tcp:} fabric in its own JVM ({@link NetnsPeer}), at 10.251.0.1..3. Every
 * pair exchanges messages and RMAs; then one host's link is cut, the other two must notice its
 * loss (their blocked recvs from it end with ECONNRESET, as its own from them do) and still talk
 * to each other, and once the link is back the host must be reachable again through new
 * connections.
 *
 * <p>Needs root and {@code ip netns}; skipped otherwise. Everything lives in namespaces this
 * test creates (a fourth one holds the bridge), named {@code scif4j-netnstest-PID-*}; the root
 * namespace's interfaces are never touched. They, and the child JVMs, are removed after the
 * tests even when they fail; namespaces of an earlier run whose process died are removed first.
 *
 * <p>A cut is {@code ip link set down} on the host's veth at the bridge: its packets are
 * dropped, not refused, so only the liveness timer (option {@code liveness=}) can tell.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NetnsMultiHostTest {
    private static final int HOSTS = 3;
    /**
     * How long a host may stay silent before its peers count it lost; heartbeats go out every
     * quarter of it. Twice the default: three JVMs on a loaded 2-core machine can go unscheduled
     * for over a second (at 1 s, hosts lost each other while the JVMs warmed up), and a
     * scheduling delay must not look like a lost host.
     */
    private static final long LIVENESS_MILLIS = 4000;
    /**
     * The watchdog period: how long a connect waits for the accept, and the bound on a link's
     * handshake and TCP connect. A hang guard: at 2 s, connects were refused and handshakes cut
     * on a loaded machine. {@code nodeIds()} waits this long for a host whose packets are
     * dropped, once per cut.
     */
    private static final long TIMEOUT_MILLIS = 8000;
    /** Every node listens on this port of its own address, as on real hosts. */
    private static final int TCP_PORT = 7000;
    /**
     * A hang guard for the loss of a host to be noticed, not a measure of how fast: silence is
     * detected {@code liveness} after the last frame read (heartbeats come every quarter of it,
     * so 0.75-1.25 liveness after the cut), later on a loaded machine. The times are printed.
     */
    private static final Duration LOSS_GUARD = Duration.ofMillis(3 * LIVENESS_MILLIS + 20_000);
    /** A hang guard: three JVMs starting at once on a loaded 2-core machine took 22 s. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration REPLY_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration NETWORK_TIMEOUT = Duration.ofSeconds(30);
    /** Large enough to take many DATA frames (at most 64 KiB each) per message. */
    private static final int STREAM_BYTES = 256 * 1024;
    /** Each half of an RMA window: several frames' worth, whatever RMA frames tcp will use. */
    private static final int RMA_BYTES = 256 * 1024;

    private final Host[] hosts = new Host[HOSTS];
    private final int[] scifPorts = new int[HOSTS];
    private final String nonce = Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);
    private Network net;

    @BeforeAll
    void setUp() throws Exception {
        Network.assumeAvailable();
        Network.removeLeftovers();
        long t0 = System.nanoTime();
        net = new Network(ProcessHandle.current().pid());
        net.create();
        net.awaitConnectivity(NETWORK_TIMEOUT);
        long t1 = System.nanoTime();
        // Start all three JVMs before waiting for any: on 2 cores their start-ups overlap.
        for (int i = 0; i < HOSTS; i++) {
            hosts[i] = Host.start(i, net.hostNamespace(i), fabricUri(i));
        }
        for (Host h : hosts) {
            h.awaitReady();
        }
        for (int i = 0; i < HOSTS; i++) {
            scifPorts[i] = Integer.parseInt(hosts[i].ok("listen").get("port"));
        }
        System.out.printf("netns: network up in %d ms, %d JVMs ready in %d ms%n",
            TimeUnit.NANOSECONDS.toMillis(t1 - t0), HOSTS, millisSince(t1));
    }

    @AfterAll
    void tearDown() {
        List<Throwable> errors = new ArrayList<>();
        // End of stdin makes every child detach at once; then each is waited for (or killed).
        for (Host h : hosts) {
            if (h != null) {
                h.endInput();
            }
        }
        for (Host h : hosts) {
            if (h != null) {
                collect(errors, h::close);
            }
        }
        if (net != null) {
            collect(errors, net::close);
        }
        if (!errors.isEmpty()) {
            AssertionError e = new AssertionError("cleanup failed: " + errors.get(0), errors.get(0));
            errors.stream().skip(1).forEach(e::addSuppressed);
            throw e;
        }
    }

    /** Every test starts from a fresh connection between every pair (replacing older ones). */
    @BeforeEach
    void connectEveryPair() {
        for (int i = 0; i < HOSTS; i++) {
            for (int j = i + 1; j < HOSTS; j++) {
                connect(i, j);
            }
        }
    }

    @Test
    @Order(1)
    void everyPairOfHostsExchangesMessages() {
        List<Host.Call> ids = new ArrayList<>();
        for (Host h : hosts) {
            ids.add(h.submit("nodeids"));
        }
        for (int i = 0; i < HOSTS; i++) {
            assertEquals("0,1,2", hosts[i].ok(ids.get(i)).get("online"),
                "host " + i + " sees every host");
        }
        for (int i = 0; i < HOSTS; i++) {
            for (int j = 0; j < HOSTS; j++) {
                if (i != j) {
                    message(i, j, "hello-from-" + i + "-to-" + j + "-" + nonce);
                }
            }
        }
        long seed = 1;
        for (int i = 0; i < HOSTS; i++) {
            for (int j = 0; j < HOSTS; j++) {
                if (i == j) {
                    continue;
                }
                long expected = expectedCrc(seed, STREAM_BYTES);
                Map<String, String> sent = hosts[i].ok("send-random " + j + " " + STREAM_BYTES + " " + seed);
                assertEquals(Integer.toString(STREAM_BYTES), sent.get("sent"), "bytes sent " + i + "->" + j);
                Map<String, String> got = hosts[j].ok("recv-crc " + i + " " + STREAM_BYTES);
                assertEquals(Integer.toString(STREAM_BYTES), got.get("n"), "bytes received " + i + "->" + j);
                assertEquals(Long.toString(expected), got.get("crc"), "CRC32 of the stream " + i + "->" + j);
                seed++;
            }
        }
    }

    @Test
    @Order(2)
    void cutHostIsLostToTheOthersWhoStillTalkAndIsReachableAgainOnceRestored() {
        int cut = 2;
        int a = 0;
        int b = 1;
        // A blocked recv on every connection: those with the cut host must end in ECONNRESET,
        // the survivors' own must stay up and get the message sent during the cut.
        String still = "still-talking-" + nonce;
        assertBlocked(a, hosts[a].ok("block-in-recv " + cut + " 1"));
        assertBlocked(b, hosts[b].ok("block-in-recv " + cut + " 1"));
        assertBlocked(cut, hosts[cut].ok("block-in-recv " + a + " 1"));
        assertBlocked(cut, hosts[cut].ok("block-in-recv " + b + " 1"));
        assertBlocked(a, hosts[a].ok("block-in-recv " + b + " " + still.length()));
        long t0 = System.nanoTime();
        net.cut(cut);
        try {
            long[] noticed = {
                awaitReset(a, cut, t0), awaitReset(b, cut, t0), awaitReset(cut, a, t0), awaitReset(cut, b, t0)};
            System.out.printf("netns: loss of host %d noticed after %d, %d ms (by %d, %d), and by it after"
                + " %d, %d ms; liveness %d ms%n", cut, noticed[0], noticed[1], a, b, noticed[2], noticed[3],
                LIVENESS_MILLIS);

            Host.Call idsA = hosts[a].submit("nodeids");
            Host.Call idsB = hosts[b].submit("nodeids");
            Host.Call idsCut = hosts[cut].submit("nodeids");
            assertEquals("0,1", hosts[a].ok(idsA).get("online"), "host " + a + " dropped host " + cut);
            assertEquals("0,1", hosts[b].ok(idsB).get("online"), "host " + b + " dropped host " + cut);
            assertEquals("2", hosts[cut].ok(idsCut).get("online"), "host " + cut + " reaches nobody");

            hosts[b].ok("send " + a + " " + still);
            String got = hosts[a].awaitEvent(e -> e.startsWith("RECV") && e.contains(" node=" + b + " "), REPLY_TIMEOUT,
                "host " + a + "'s blocked recv from host " + b + " during the cut").text();
            assertTrue(got.startsWith("RECV "), "the survivors' connection stays up during the cut: " + got);
            assertEquals(still, Host.fields(got).get("text"), "message " + b + "->" + a + " during the cut");
            message(a, b, "answer-during-cut-" + nonce);
        } finally {
            net.restore(cut);
        }
        net.awaitConnectivity(NETWORK_TIMEOUT);
        awaitOnline(a, "0,1,2");
        awaitOnline(b, "0,1,2");
        awaitOnline(cut, "0,1,2");
        for (int survivor : new int[] {a, b}) {
            connect(survivor, cut);
            message(survivor, cut, "back-" + survivor + "-to-" + cut + "-" + nonce);
            message(cut, survivor, "back-" + cut + "-to-" + survivor + "-" + nonce);
        }
    }

    @Test
    @Order(3)
    void everyPairOfHostsDoesRmaWithARemoteFenceSignal() {
        long seed = 100;
        for (int owner = 0; owner < HOSTS; owner++) {
            for (int peer = 0; peer < HOSTS; peer++) {
                if (owner == peer) {
                    continue;
                }
                String what = "RMA by host " + peer + " on host " + owner + "'s window";
                long value = 0x5C1F_0000_0000_0000L | (owner << 8) | peer;
                String exposed = hosts[owner].call("expose " + peer + " " + RMA_BYTES + " " + seed);
                assertTrue(exposed.startsWith("OK"), what + ": register and send the offset: " + exposed
                    + hosts[owner].describe());
                Map<String, String> access = hosts[peer].ok("access " + owner + " " + RMA_BYTES + " "
                    + seed + " " + value);
                assertEquals(Host.fields(exposed).get("offset"), access.get("remote"),
                    what + ": the offset the accessor received");
                Map<String, String> signalled = hosts[owner].ok("await-signal " + peer + " " + value + " "
                    + REPLY_TIMEOUT.toMillis() / 2);
                assertEquals(Long.toString(value), signalled.get("signal"), what + ": fenceSignal value");
                assertEquals(Long.toString(expectedCrc(seed, RMA_BYTES)), signalled.get("crc"),
                    what + ": writeTo's data in the owner's window");
                assertEquals(Long.toString(expectedCrc(seed + 1, RMA_BYTES)), access.get("read"),
                    what + ": readFrom's data in the accessor's window");
                seed += 2;
            }
        }
    }

    // ------------------------------------------------------------------------------ helpers

    private static String fabricUri(int node) {
        StringBuilder sb = new StringBuilder("tcp:");
        for (int i = 0; i < HOSTS; i++) {
            sb.append(i == 0 ? "" : ",").append(i).append('@').append(Network.address(i)).append(':')
                .append(TCP_PORT);
        }
        return sb.append("?node=").append(node).append("&liveness=").append(LIVENESS_MILLIS)
            .append("&timeout=").append(TIMEOUT_MILLIS).toString();
    }

    /** Host i connects to host j's listener; j's accept loop reports the new connection. */
    private void connect(int i, int j) {
        String port = hosts[i].ok("connect " + j + " " + scifPorts[j]).get("port");
        String accepted = "ACCEPTED node=" + i + " port=" + port;
        hosts[j].awaitEvent(accepted::equals, REPLY_TIMEOUT, "host " + j + " accepting host " + i);
    }

    /** Sends {@code text} from host i to host j over their connection; j must receive exactly it. */
    private void message(int i, int j, String text) {
        int n = text.getBytes(StandardCharsets.UTF_8).length;
        assertEquals(Integer.toString(n), hosts[i].ok("send " + j + " " + text).get("sent"),
            "bytes sent " + i + "->" + j);
        Map<String, String> got = hosts[j].ok("recv " + i + " " + n);
        assertEquals(text, got.get("text"), "message " + i + "->" + j);
    }

    private void assertBlocked(int host, Map<String, String> answer) {
        assertEquals("true", answer.get("blocked"), "host " + host + "'s recv blocks" + hosts[host].describe());
    }

    /**
     * Waits for host {@code host}'s blocked recv from {@code peer} to end, which must be with
     * ECONNRESET; {@link #LOSS_GUARD} from {@code t0} it fails as a hang.
     *
     * @return how long after {@code t0} it ended, in ms
     */
    private long awaitReset(int host, int peer, long t0) {
        long deadline = t0 + LOSS_GUARD.toNanos();
        Host.Event e = hosts[host].awaitEvent(l -> l.startsWith("RECV") && l.contains(" node=" + peer + " "),
            Duration.ofNanos(Math.max(0, deadline - System.nanoTime())),
            "host " + host + " noticing the loss of host " + peer + " (blocked recv to end; liveness="
                + LIVENESS_MILLIS + " ms)");
        assertTrue(e.text().startsWith("RECV-ERR "), "host " + host + "'s recv from lost host " + peer
            + " must fail, not return: " + e.text());
        assertEquals("ECONNRESET", Host.fields(e.text()).get("errno"),
            "host " + host + "'s recv from lost host " + peer + ": " + e.text());
        return TimeUnit.NANOSECONDS.toMillis(e.nanos() - t0);
    }

    /** Polls {@code nodeIds()} on a host until it lists {@code online}, with a deadline. */
    private void awaitOnline(int host, String online) {
        long deadline = System.nanoTime() + NETWORK_TIMEOUT.toNanos();
        String seen;
        while (true) {
            seen = hosts[host].ok(hosts[host].submit("nodeids")).get("online");
            if (online.equals(seen) || System.nanoTime() > deadline) {
                break;
            }
            pause(); // nodeIds may fail fast (e.g. no route yet); do not hammer it
        }
        assertEquals(online, seen, "host " + host + "'s nodeIds within " + NETWORK_TIMEOUT + " of the restore");
    }

    private static long expectedCrc(long seed, int bytes) {
        return PeerMain.crc(PeerMain.randomBytes(seed, bytes), bytes);
    }

    private static long millisSince(long t) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t);
    }

    /** A short pause between two looks at a polled condition (never a synchronisation). */
    private static void pause() {
        try {
            TimeUnit.MILLISECONDS.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** A cleanup step that may throw. */
    private interface Step {
        void run() throws Exception;
    }

    private static void collect(List<Throwable> errors, Step step) {
        try {
            step.run();
        } catch (Exception | AssertionError e) {
            errors.add(e);
        }
    }

    // ------------------------------------------------------------------------------ a host

    /**
     * One child JVM running {@link NetnsPeer} inside a host's namespace, driven by numbered
     * commands on its stdin; answers are matched to commands by number, so a late answer to a
     * command that timed out can never be taken for the answer to a later one.
     */
    private static final class Host {
        private static final String EOF = "\u0000EOF";

        private final int node;
        private final String namespace;
        private final Process process;
        private final Writer stdin;
        private final CompletableFuture<String> ready = new CompletableFuture<>();
        private final Map<Long, Call> pending = new ConcurrentHashMap<>();
        /** Events not yet taken by a waiter, in arrival order. Guarded by itself. */
        private final List<Event> events = new ArrayList<>();
        private final Deque<String> tail = new ArrayDeque<>();
        private final AtomicLong ids = new AtomicLong();
        private final Thread[] readers;

        /** A background event and when it arrived. */
        record Event(String text, long nanos) {
        }

        /** A command in flight and its answer. */
        record Call(String command, CompletableFuture<String> answer) {
        }

        private Host(int node, String namespace, Process process) {
            this.node = node;
            this.namespace = namespace;
            this.process = process;
            this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            this.readers = new Thread[] {
                reader("stdout", process.getInputStream(), this::onStdout),
                reader("stderr", process.getErrorStream(), this::onStderr)};
        }

        /**
         * Starts {@link NetnsPeer} in {@code namespace} with this JVM's java binary, class path
         * and the flags surefire gave it ({@link PeerProcess#inheritedJvmFlags()}, the suite's
         * one place for them).
         */
        static Host start(int node, String namespace, String fabricUri) throws IOException {
            List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
            command.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            command.addAll(PeerProcess.inheritedJvmFlags());
            // As PeerProcess: a small collector; C1 only, since three JVMs start at once on 2 cores.
            command.add("-XX:+UseSerialGC");
            command.add("-XX:TieredStopAtLevel=1");
            command.add("-Xshare:auto");
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(NetnsPeer.class.getName());
            command.add(fabricUri);
            return new Host(node, namespace, new ProcessBuilder(command).start());
        }

        void awaitReady() {
            String line = get(ready, START_TIMEOUT, "start-up (READY)");
            assertEquals("READY self=" + node, line, "host " + node + " started" + describe());
        }

        Call submit(String command) {
            Call call = new Call(command, new CompletableFuture<>());
            long id = ids.incrementAndGet();
            pending.put(id, call);
            try {
                synchronized (stdin) {
                    stdin.write(id + " " + command + "\n");
                    stdin.flush();
                }
            } catch (IOException e) {
                pending.remove(id);
                call.answer().completeExceptionally(e);
            }
            if (!process.isAlive() && pending.remove(id) != null) {
                call.answer().completeExceptionally(new IOException("the host's JVM has ended"));
            }
            return call;
        }

        String call(String command) {
            return answer(submit(command));
        }

        String answer(Call call) {
            return get(call.answer(), REPLY_TIMEOUT, call.command());
        }

        Map<String, String> ok(String command) {
            return ok(submit(command));
        }

        Map<String, String> ok(Call call) {
            String answer = answer(call);
            if (!answer.startsWith("OK")) {
                throw new AssertionError("host " + node + ": '" + call.command() + "' failed: " + answer
                    + describe());
            }
            return fields(answer);
        }

        /** Takes the first event (past or future) that {@code match} accepts, within {@code timeout}. */
        Event awaitEvent(Predicate<String> match, Duration timeout, String what) {
            long deadline = System.nanoTime() + timeout.toNanos();
            synchronized (events) {
                while (true) {
                    for (Iterator<Event> it = events.iterator(); it.hasNext(); ) {
                        Event e = it.next();
                        if (match.test(e.text())) {
                            it.remove();
                            return e;
                        }
                    }
                    long left = deadline - System.nanoTime();
                    boolean ended = !events.isEmpty() && events.get(events.size() - 1).text().equals(EOF);
                    if (left <= 0 || ended) {
                        throw new AssertionError("host " + node + ": " + (ended ? "ended" : "nothing")
                            + " before " + what + " (waited " + timeout.toMillis() + " ms; other events: "
                            + events.stream().map(Event::text).toList() + ")" + describe());
                    }
                    try {
                        TimeUnit.NANOSECONDS.timedWait(events, left);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new AssertionError("interrupted waiting for " + what, e);
                    }
                }
            }
        }

        static Map<String, String> fields(String line) {
            return PeerProcess.fields(line);
        }

        /** Closes the child's stdin: it detaches its node and exits. */
        void endInput() {
            try {
                synchronized (stdin) {
                    stdin.close();
                }
            } catch (IOException ignored) {
                // the child is gone already; close() settles it
            }
        }

        /** Ends the child: end of input, then SIGKILL (of this Process only) if it lingers. */
        void close() throws InterruptedException {
            endInput();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    throw new AssertionError("host " + node + " (pid " + process.pid() + ") survived SIGKILL");
                }
            }
            for (Thread t : readers) {
                t.join(5_000);
            }
        }

        String describe() {
            synchronized (tail) {
                return "\n  [host " + node + " in " + namespace + ", pid " + process.pid()
                    + (process.isAlive() ? ", running" : ", exited " + process.exitValue())
                    + (tail.isEmpty() ? "" : ", last output:\n    " + String.join("\n    ", tail)) + "]";
            }
        }

        private String get(CompletableFuture<String> f, Duration timeout, String what) {
            try {
                return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                throw new AssertionError("host " + node + ": no answer to '" + what + "' within " + timeout
                    + describe());
            } catch (ExecutionException e) {
                throw new AssertionError("host " + node + ": no answer to '" + what + "': "
                    + e.getCause().getMessage() + describe(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for host " + node, e);
            }
        }

        private void onStdout(String line) {
            if (line == null) {
                IOException gone = new IOException("the host's JVM closed its stdout");
                ready.completeExceptionally(gone);
                pending.values().forEach(c -> c.answer().completeExceptionally(gone));
                pending.clear();
                event(EOF);
            } else if (line.startsWith("READY")) {
                ready.complete(line);
            } else if (line.startsWith("EVENT ")) {
                event(line.substring("EVENT ".length()));
            } else if (line.startsWith("ERR") && !ready.isDone()) {
                ready.complete(line); // attach failed: awaitReady reports it
            } else {
                int space = line.indexOf(' ');
                Call c = null;
                if (space > 0 && line.substring(0, space).chars().allMatch(Character::isDigit)) {
                    c = pending.remove(Long.parseLong(line.substring(0, space)));
                }
                if (c != null) {
                    c.answer().complete(line.substring(space + 1));
                } else {
                    onStderr("(stdout) " + line);
                }
            }
        }

        private void event(String text) {
            synchronized (events) {
                events.add(new Event(text, System.nanoTime()));
                events.notifyAll();
            }
        }

        private void onStderr(String line) {
            if (line == null) {
                return;
            }
            synchronized (tail) {
                tail.addLast(line);
                while (tail.size() > 30) {
                    tail.removeFirst();
                }
            }
        }

        private Thread reader(String name, InputStream stream, Consumer<String> sink) {
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                    for (String l = r.readLine(); l != null; l = r.readLine()) {
                        sink.accept(l);
                    }
                } catch (IOException ignored) {
                    // the child went away; the null below says so
                }
                sink.accept(null);
            }, "netns-host-" + node + "-" + name);
            t.setDaemon(true);
            t.start();
            return t;
        }
    }

    // ------------------------------------------------------------------------------ the network

    /**
     * The namespaces of one run: {@code BASE-a}, {@code -b}, {@code -c} for the hosts (their
     * {@code eth0} at 10.251.0.1..3/24) and {@code BASE-br} for bridge {@code br0} with the
     * hosts' veth peers {@code vh-a..c}. Every {@code ip} command names one of these
     * namespaces, so the root namespace is never changed.
     */
    private static final class Network implements AutoCloseable {
        /** Names of this test's namespaces start so; nothing else uses it. */
        private static final String PREFIX = "scif4j-netnstest-";
        private static final Pattern OURS = Pattern.compile("^(" + Pattern.quote(PREFIX) + "(\\d+)-(?:a|b|c|br))(?:\\s|$)");
        private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);
        /** How long one reachability probe may take; a dropped SYN is retried only after 1 s. */
        private static final Duration PROBE_TIMEOUT = Duration.ofMillis(900);

        private final String base;
        /** The namespaces this run created, in order: removed in reverse. */
        private final List<String> created = new ArrayList<>();

        Network(long pid) {
            this.base = PREFIX + pid;
        }

        static String address(int host) {
            return "10.251.0." + (host + 1);
        }

        String hostNamespace(int host) {
            return base + "-" + (char) ('a' + host);
        }

        private String bridgeNamespace() {
            return base + "-br";
        }

        private static String veth(int host) {
            return "vh-" + (char) ('a' + host);
        }

        /** Skips unless running as root with a working {@code ip netns}. */
        static void assumeAvailable() throws IOException {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            Assumptions.assumeTrue(Integer.valueOf(0).equals(uid),
                "needs root to create network namespaces (uid is " + uid + ")");
            Result r;
            try {
                r = run(COMMAND_TIMEOUT, "ip", "netns", "list");
            } catch (IOException e) {
                Assumptions.abort("needs iproute2's 'ip netns': " + e.getMessage());
                return;
            }
            Assumptions.assumeTrue(r.exit() == 0, "'ip netns list' does not work here: " + r);
        }

        /**
         * Removes namespaces of this test left by an earlier run that died before its cleanup:
         * those whose pid no longer runs (or is ours: a previous process with our pid is dead).
         */
        static void removeLeftovers() throws IOException {
            long self = ProcessHandle.current().pid();
            for (String line : run(COMMAND_TIMEOUT, "ip", "netns", "list").output().split("\n")) {
                Matcher m = OURS.matcher(line.trim());
                if (!m.find()) {
                    continue;
                }
                long pid = Long.parseLong(m.group(2));
                boolean alive = pid != self && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
                if (!alive) {
                    must("ip", "netns", "delete", m.group(1));
                }
            }
        }

        void create() throws IOException {
            String br = bridgeNamespace();
            add(br);
            for (int i = 0; i < HOSTS; i++) {
                add(hostNamespace(i));
            }
            must("ip", "-n", br, "link", "set", "lo", "up");
            must("ip", "-n", br, "link", "add", "br0", "type", "bridge");
            for (int i = 0; i < HOSTS; i++) {
                String ns = hostNamespace(i);
                must("ip", "-n", br, "link", "add", veth(i), "type", "veth", "peer", "name", "eth0", "netns", ns);
                must("ip", "-n", br, "link", "set", veth(i), "master", "br0");
                must("ip", "-n", br, "link", "set", veth(i), "up");
                must("ip", "-n", ns, "addr", "add", address(i) + "/24", "dev", "eth0");
                must("ip", "-n", ns, "link", "set", "lo", "up");
                must("ip", "-n", ns, "link", "set", "eth0", "up");
            }
            must("ip", "-n", br, "link", "set", "br0", "up");
        }

        private void add(String ns) throws IOException {
            must("ip", "netns", "add", ns);
            created.add(ns);
        }

        /** Cuts a host off: its port on the bridge goes down, so its packets are dropped. */
        void cut(int host) {
            try {
                must("ip", "-n", bridgeNamespace(), "link", "set", veth(host), "down");
            } catch (IOException e) {
                throw new AssertionError("cannot cut host " + host, e);
            }
        }

        /** Undoes {@link #cut}; harmless if the link is up. */
        void restore(int host) {
            try {
                must("ip", "-n", bridgeNamespace(), "link", "set", veth(host), "up");
            } catch (IOException e) {
                throw new AssertionError("cannot restore host " + host, e);
            }
        }

        /**
         * Waits until every pair of hosts reaches each other: a TCP connect from one to a port
         * nobody listens on at the other is refused (a RST came back), which proves the path
         * in both directions. Fails after {@code timeout}.
         */
        void awaitConnectivity(Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            List<int[]> missing = new ArrayList<>();
            for (int i = 0; i < HOSTS; i++) {
                for (int j = i + 1; j < HOSTS; j++) {
                    missing.add(new int[] {i, j});
                }
            }
            String last = "";
            while (true) {
                for (Iterator<int[]> it = missing.iterator(); it.hasNext(); ) {
                    int[] pair = it.next();
                    Result r;
                    try {
                        r = run(PROBE_TIMEOUT, "ip", "netns", "exec", hostNamespace(pair[0]), "bash", "-c",
                            "exec 3<>/dev/tcp/" + address(pair[1]) + "/9");
                    } catch (IOException e) {
                        throw new AssertionError("cannot probe " + pair[0] + "->" + pair[1], e);
                    }
                    if (r.exit() == 0 || r.output().contains("Connection refused")) {
                        it.remove();
                    } else {
                        last = pair[0] + "->" + pair[1] + ": " + r;
                    }
                }
                if (missing.isEmpty()) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("hosts " + missing.stream().map(Arrays::toString).toList()
                        + " do not reach each other within " + timeout
                        + "; last probe " + last);
                }
                pause();
            }
        }

        /** Deletes every namespace this run created (with them the bridge and veths), then checks. */
        @Override
        public void close() throws IOException {
            List<String> failed = new ArrayList<>();
            for (int i = created.size() - 1; i >= 0; i--) {
                if (run(COMMAND_TIMEOUT, "ip", "netns", "delete", created.get(i)).exit() != 0) {
                    failed.add(created.get(i));
                }
            }
            created.clear();
            String left = run(COMMAND_TIMEOUT, "ip", "netns", "list").output();
            List<String> still = new ArrayList<>();
            for (String line : left.split("\n")) {
                if (line.startsWith(base + "-")) {
                    still.add(line);
                }
            }
            if (!still.isEmpty() || !failed.isEmpty()) {
                throw new AssertionError("namespaces left behind: " + still + " (delete failed for " + failed
                    + ")");
            }
        }

        /** A finished command: its exit code (-1 when it timed out and was killed) and output. */
        record Result(int exit, String output) {
            @Override
            public String toString() {
                return "exit " + exit + ": " + output.trim();
            }
        }

        private static void must(String... command) throws IOException {
            Result r = run(COMMAND_TIMEOUT, command);
            if (r.exit() != 0) {
                throw new IOException("'" + String.join(" ", command) + "' failed, " + r);
            }
        }

        /** Runs a command, kills it (only it) if it outlasts {@code timeout}, and returns its output. */
        private static Result run(Duration timeout, String... command) throws IOException {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            pb.environment().put("LC_ALL", "C"); // messages matched above are the C locale's
            Process p = pb.start();
            try {
                p.getOutputStream().close();
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly(); // this also closes our end of its output
                    p.waitFor(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                    return new Result(-1, "timed out after " + timeout.toMillis() + " ms");
                }
                // The output of these commands is small: it fits the pipe, so waiting first is safe.
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                return new Result(p.exitValue(), out);
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted running " + String.join(" ", command), e);
            }
        }
    }
}
