package org.scif4j.tests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.PollItem;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;
import org.scif4j.tests.process.PeerProcess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The base of every conformance test, in the manner of Chronicle's {@code BytesTestCommon}:
 * gives each test its own fabric through the transport's {@link TransportFixture}, tracks the
 * nodes, endpoints, threads and child processes the test makes, and after the test fails it if
 * it left an endpoint open, a thread running, or anything of the fabric behind once all its
 * nodes were closed. Subclasses only say which transport to use.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
public abstract class ScifTestBase {
    /** Upper bound for anything that must happen "soon"; only against hangs, never a timing. */
    protected static final Duration SOON = Duration.ofSeconds(10);

    /**
     * Thread names of the JVM, the test runner and JVM-wide library singletons (JNA's and
     * Chronicle's cleaners, started once per JVM on first use), which are not a node's to end.
     */
    private static final List<String> FOREIGN_THREADS = List.of("junit", "surefire",
        "process reaper", "ForkJoinPool", "Common-Cleaner", "Attach Listener", "Reference Handler",
        "Finalizer", "Signal Dispatcher", "Notification Thread", "RMI", "JMX", "Keep-Alive",
        "JNA Cleaner", "background~resource~releaser");

    /** This test's fabric. */
    protected TransportFixture fixture;
    private String testName;
    private final List<ScifNode> nodes = new CopyOnWriteArrayList<>();
    private final List<Endpoint> endpoints = new CopyOnWriteArrayList<>();
    private final List<PeerProcess> peers = new CopyOnWriteArrayList<>();
    private final List<Async<?>> asyncs = new CopyOnWriteArrayList<>();
    private Set<Thread> threadsBefore;

    /**
     * The transport under test; called once per test.
     *
     * @return a fresh fixture with a fabric name no other test uses
     */
    protected abstract TransportFixture newFixture();

    @BeforeEach
    final void setUpFabric(TestInfo info) {
        testName = info.getTestClass().map(Class::getSimpleName).orElse("?") + "."
            + info.getDisplayName();
        threadsBefore = new HashSet<>(Thread.getAllStackTraces().keySet());
        fixture = newFixture();
    }

    @AfterEach
    final void checkForLeaks() throws InterruptedException {
        List<String> problems = new ArrayList<>();
        for (Endpoint ep : endpoints) {
            if (!isClosed(ep)) {
                problems.add("endpoint left open (poll does not report POLLNVAL): " + ep);
            }
        }
        for (Endpoint ep : endpoints) {
            ep.close();
        }
        for (ScifNode node : nodes) {
            node.close();
        }
        for (Async<?> a : asyncs) {
            a.stop(SOON);
            if (a.thread().isAlive()) {
                problems.add("thread still blocked after its endpoints and nodes were closed: "
                    + a.thread().getName());
            }
        }
        for (PeerProcess p : peers) {
            p.close();
        }
        try {
            fixture.assertNoLeftovers();
        } catch (AssertionError e) {
            problems.add(e.getMessage());
            fixture.removeLeftovers();
        }
        List<String> threads = leakedThreads();
        if (!threads.isEmpty()) {
            problems.add("threads still running after every node was closed: " + threads);
        }
        if (!problems.isEmpty()) {
            fail(testName + " (" + fixture.transportName() + ") left things behind:\n  "
                + String.join("\n  ", problems));
        }
    }

    private List<String> leakedThreads() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            List<String> leaked = new ArrayList<>();
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.isAlive() && !threadsBefore.contains(t) && t != Thread.currentThread()
                    && FOREIGN_THREADS.stream().noneMatch(t.getName()::startsWith)
                    && fixture.jvmWideThreadPrefixes().stream().noneMatch(t.getName()::startsWith)) {
                    leaked.add(t.getName() + (t.isDaemon() ? " (daemon)" : ""));
                }
            }
            if (leaked.isEmpty() || System.nanoTime() > deadline) {
                return leaked;
            }
            TimeUnit.MILLISECONDS.sleep(20); // polling a condition with a deadline
        }
    }

    /**
     * Whether poll reports the endpoint as closed.
     *
     * @param ep the endpoint
     * @return true if poll reports POLLNVAL
     */
    protected static boolean isClosed(Endpoint ep) {
        PollItem[] items = {new PollItem(ep, Scif.POLLIN)};
        try {
            Scif.poll(items, 0);
            return (items[0].revents() & Scif.POLLNVAL) != 0;
        } catch (ScifException e) {
            return true; // cannot tell; the transport's poll is tested elsewhere
        }
    }

    // ---- fabric, nodes and endpoints -----------------------------------------------------

    /**
     * Attaches node {@code node} of this test's fabric; closed after the test.
     *
     * @param node the node id
     * @return the attachment
     * @throws ScifException if the transport cannot attach
     */
    protected ScifNode attach(int node) throws ScifException {
        return attach(node, "");
    }

    /**
     * Attaches node {@code node} of this test's fabric with extra URI options.
     *
     * @param node    the node id
     * @param options e.g. {@code ring=4096}
     * @return the attachment
     * @throws ScifException if the transport cannot attach
     */
    protected ScifNode attach(int node, String options) throws ScifException {
        ScifNode n = Scif.attach(fixture.fabricUri(node, options));
        nodes.add(n);
        assertEquals(node, n.selfId(), "selfId() of a node attached as " + node);
        return n;
    }

    /**
     * Opens an endpoint; the test must close it (the leak check fails the test otherwise).
     *
     * @param node the node
     * @return a new UNBOUND endpoint
     * @throws ScifException if open fails
     */
    protected Endpoint open(ScifNode node) throws ScifException {
        return track(node.open());
    }

    /**
     * Puts an endpoint (e.g. one returned by accept) under the leak check.
     *
     * @param ep the endpoint
     * @return {@code ep}
     */
    protected Endpoint track(Endpoint ep) {
        endpoints.add(ep);
        return ep;
    }

    /**
     * Opens a LISTENING endpoint.
     *
     * @param node    the node
     * @param port    the port, 0 for any
     * @param backlog the backlog
     * @return the listener
     * @throws ScifException if bind or listen fails
     */
    protected Endpoint listener(ScifNode node, int port, int backlog) throws ScifException {
        Endpoint ep = open(node);
        ep.bind(port);
        ep.listen(backlog);
        return ep;
    }

    /**
     * Two connected endpoints, made with a blocking connect and an ACCEPT_SYNC accept.
     *
     * @param connector the connecting side
     * @param acceptor  the accepting side
     */
    public record Connection(Endpoint connector, Endpoint acceptor) implements AutoCloseable {
        /** Closes both ends. */
        @Override
        public void close() {
            connector.close();
            acceptor.close();
        }
    }

    /**
     * Connects an endpoint of {@code from} to a fresh listener on {@code to}; the listener is
     * closed again once it has accepted.
     *
     * @param from the connecting node
     * @param to   the accepting node (may be the same node: loopback)
     * @return the two ends
     * @throws ScifException if any step fails
     */
    protected Connection connect(ScifNode from, ScifNode to) throws ScifException {
        try (Endpoint listener = listener(to, 0, 4)) {
            Endpoint connector = open(from);
            Async<Endpoint> accept = async("accept", () -> track(listener.accept(Scif.ACCEPT_SYNC)));
            connector.connect(listener.localPort());
            return new Connection(connector, accept.get(SOON));
        }
    }

    /**
     * Runs a call in its own thread; the thread is interrupted and joined after the test.
     *
     * @param name for messages and the thread name
     * @param call the call
     * @param <T>  its result
     * @return the running call
     */
    protected <T> Async<T> async(String name, Callable<T> call) {
        Async<T> a = new Async<>(name, call);
        asyncs.add(a);
        return a.start();
    }

    /**
     * Starts a child process attached as {@code node} of this test's fabric; it is ended after
     * the test.
     *
     * @param node the node id it attaches as
     * @return the running peer
     */
    protected PeerProcess startPeer(int node) {
        return startPeer(node, "");
    }

    /**
     * Starts a child process attached as {@code node} of this test's fabric, with extra URI
     * options; it is ended after the test.
     *
     * @param node    the node id it attaches as
     * @param options e.g. {@code ring=4096}
     * @return the running peer
     */
    protected PeerProcess startPeer(int node, String options) {
        try {
            PeerProcess p = PeerProcess.start(fixture.fabricUri(node, options));
            peers.add(p);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start a peer JVM", e);
        }
    }

    // ---- assertions ------------------------------------------------------------------------

    /**
     * Asserts that a call fails with exactly {@code expected}.
     *
     * @param expected the errno
     * @param call     the call
     * @param what     what is being checked, for the message
     * @return the exception
     */
    protected static ScifException assertErrno(Errno expected, Executable call, String what) {
        ScifException e = assertThrows(ScifException.class, call,
            what + ": expected " + expected);
        assertEquals(expected, e.errno(), what + ": " + e.getMessage());
        return e;
    }

    /**
     * Polls one endpoint once.
     *
     * @param ep      the endpoint
     * @param events  the events asked for
     * @param timeout milliseconds
     * @return its revents
     * @throws ScifException if poll fails
     */
    protected static int poll(Endpoint ep, int events, long timeout) throws ScifException {
        PollItem[] items = {new PollItem(ep, events)};
        int n = Scif.poll(items, timeout);
        assertEquals(items[0].revents() != 0 ? 1 : 0, n,
            "poll's result counts the items with revents != 0");
        return items[0].revents();
    }

    /**
     * Polls until every bit of {@code wanted} is reported, or fails after {@link #SOON}.
     *
     * @param ep     the endpoint
     * @param events the events asked for
     * @param wanted the bits that must all appear
     * @param what   for the message
     * @return the revents that contained them
     * @throws ScifException if poll fails
     */
    protected static int awaitEvents(Endpoint ep, int events, int wanted, String what)
        throws ScifException {
        long deadline = System.nanoTime() + SOON.toNanos();
        int revents;
        do {
            long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
            revents = poll(ep, events, Math.min(left, 500));
            if ((revents & wanted) == wanted) {
                return revents;
            }
        } while (System.nanoTime() < deadline);
        return fail(what + ": poll did not report 0x" + Integer.toHexString(wanted) + " within "
            + SOON + "; last revents 0x" + Integer.toHexString(revents));
    }

    /**
     * Sends every byte with blocking sends.
     *
     * @param ep   a connected endpoint
     * @param data the bytes
     * @throws ScifException if send fails
     */
    protected static void sendFully(Endpoint ep, byte[] data) throws ScifException {
        ByteBuffer src = ByteBuffer.wrap(data);
        while (src.hasRemaining()) {
            int before = src.position();
            int n = ep.send(src, Scif.SEND_BLOCK);
            assertEquals(before + n, src.position(), "send advances the position by its result");
        }
    }

    /**
     * Receives exactly {@code n} bytes with blocking receives.
     *
     * @param ep a connected endpoint
     * @param n  how many
     * @return the bytes
     * @throws ScifException if recv fails
     */
    protected static byte[] recvFully(Endpoint ep, int n) throws ScifException {
        ByteBuffer dst = ByteBuffer.allocate(n);
        while (dst.hasRemaining()) {
            int before = dst.position();
            int got = ep.recv(dst, Scif.RECV_BLOCK);
            assertEquals(before + got, dst.position(), "recv advances the position by its result");
        }
        return dst.array();
    }

    /**
     * Deterministic pseudo-random bytes.
     *
     * @param seed the seed
     * @param n    how many
     * @return the bytes
     */
    protected static byte[] randomBytes(long seed, int n) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    /**
     * CRC32 of a whole array.
     *
     * @param data the bytes
     * @return the checksum
     */
    protected static long crc(byte[] data) {
        CRC32 c = new CRC32();
        c.update(data);
        return c.getValue();
    }

    /**
     * CRC32 of a buffer's bytes {@code [from, from + n)}, read with absolute gets.
     *
     * @param buf  the buffer
     * @param from the first index
     * @param n    how many
     * @return the checksum
     */
    protected static long crc(ByteBuffer buf, int from, int n) {
        CRC32 c = new CRC32();
        c.update(buf.duplicate().clear().position(from).limit(from + n));
        return c.getValue();
    }

    /**
     * A port id on a node.
     *
     * @param node the node
     * @param port the port
     * @return the port id
     */
    protected static PortId port(int node, int port) {
        return new PortId(node, port);
    }

    /** A short pause between two checks of a condition that has a deadline (never a wait for the other side). */
    protected static void pause() {
        try {
            TimeUnit.MILLISECONDS.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /**
     * Asserts a condition, for tests that read better that way.
     *
     * @param condition the condition
     * @param message   what it means
     */
    protected static void check(boolean condition, String message) {
        assertTrue(condition, message);
    }
}
