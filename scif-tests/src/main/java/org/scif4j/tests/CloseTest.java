package org.scif4j.tests;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Closing (SCIF): the survivor of a peer's close drains the queued bytes
 * then gets ECONNRESET, its sends and RMA calls give ECONNRESET, poll reports POLLHUP; blocked
 * calls are woken; close works from either side and is idempotent; closing a
 * {@code ScifNode} closes its endpoints.
 */
@SuppressWarnings("try") // tests close resources mid-test on purpose
public abstract class CloseTest extends TwoNodeTestBase {
    @ParameterizedTest(name = "closing side: {0}")
    @ValueSource(strings = {"connector", "acceptor"})
    void survivorDrainsQueuedBytesThenGetsEconnreset(String closer) throws ScifException {
        try (Connection c = connect(node0, node1)) {
            Endpoint gone = closer.equals("connector") ? c.connector() : c.acceptor();
            Endpoint survivor = gone == c.connector() ? c.acceptor() : c.connector();
            byte[] data = randomBytes(5, 1000);
            sendFully(gone, data);
            gone.close();
            awaitEvents(survivor, Scif.POLLIN, Scif.POLLHUP | Scif.POLLIN,
                "survivor with unread bytes");
            assertErrno(Errno.ECONNRESET, () -> survivor.send(ByteBuffer.allocate(4), 0),
                "send after the peer closed");
            assertErrno(Errno.ECONNRESET, () -> survivor.send(ByteBuffer.allocate(4),
                Scif.SEND_BLOCK), "blocking send after the peer closed");
            ByteBuffer first = ByteBuffer.allocate(400);
            assertEquals(400, survivor.recv(first, 0), "queued bytes stay receivable");
            ByteBuffer rest = ByteBuffer.allocate(1000);
            assertEquals(600, survivor.recv(rest, Scif.RECV_BLOCK),
                "a blocking recv after the peer closed returns the partial count");
            byte[] got = new byte[1000];
            System.arraycopy(first.array(), 0, got, 0, 400);
            System.arraycopy(rest.array(), 0, got, 400, 600);
            assertArrayEquals(data, got, "the queued bytes arrive intact");
            assertErrno(Errno.ECONNRESET, () -> survivor.recv(ByteBuffer.allocate(10), 0),
                "recv once drained");
            assertErrno(Errno.ECONNRESET, () -> survivor.recv(ByteBuffer.allocate(10),
                Scif.RECV_BLOCK), "blocking recv once drained");
            assertErrno(Errno.ECONNRESET, () -> survivor.fenceMark(Scif.FENCE_INIT_SELF),
                "fenceMark after the peer closed");
            assertErrno(Errno.ECONNRESET, () -> survivor.vwriteTo(ByteBuffer.allocateDirect(8), 0,
                Scif.RMA_SYNC), "vwriteTo after the peer closed");
            survivor.close();
            survivor.close();
        }
    }

    @Test
    void blockedRecvAndSendAreWokenByPeerClose() throws ScifException {
        ScifNode a = attach(2, "ring=4096");
        ScifNode b = attach(3, "ring=4096");
        try (Connection r = connect(node0, node1); Connection s = connect(a, b)) {
            Async<Integer> recv = async("recv", () -> r.connector().recv(ByteBuffer.allocate(10),
                Scif.RECV_BLOCK));
            recv.awaitBlocked();
            r.acceptor().close();
            recv.awaitFailure(Errno.ECONNRESET, SOON, "blocked recv with nothing moved, peer closed");

            assertEquals(4095, s.connector().send(ByteBuffer.allocate(8192), 0), "fill the ring");
            Async<Integer> send = async("send", () -> s.connector().send(ByteBuffer.allocate(100),
                Scif.SEND_BLOCK));
            send.awaitBlocked();
            s.acceptor().close();
            send.awaitFailure(Errno.ECONNRESET, SOON, "blocked send with nothing moved, peer closed");
        }
    }

    @Test
    void blockedRecvWithPartialDataReturnsTheCount() throws ScifException {
        try (Connection c = connect(node0, node1)) {
            Async<Integer> recv = async("recv", () -> c.connector().recv(ByteBuffer.allocate(100),
                Scif.RECV_BLOCK));
            sendFully(c.acceptor(), new byte[30]);
            recv.awaitBlocked();
            c.acceptor().close();
            assertEquals(30, recv.get(SOON), "a blocking recv ended by the peer's close returns "
                + "the partial count");
            assertErrno(Errno.ECONNRESET, () -> c.connector().recv(ByteBuffer.allocate(1),
                Scif.RECV_BLOCK), "the next recv gets ECONNRESET");
        }
    }

    @Test
    void closeWakesOwnBlockedCalls() throws ScifException {
        try (Connection c = connect(node0, node1)) {
            Async<Integer> recv = async("recv", () -> c.connector().recv(ByteBuffer.allocate(10),
                Scif.RECV_BLOCK));
            recv.awaitBlocked();
            c.connector().close();
            ScifException e = assertThrowsWithin(recv);
            check(e.errno() == Errno.EBADF || e.errno() == Errno.EINTR
                    || e.errno() == Errno.ECONNRESET,
                "a recv blocked on an endpoint closed by another thread ends (EBADF, EINTR or "
                    + "ECONNRESET): " + e.getMessage());
            awaitEvents(c.acceptor(), Scif.POLLIN, Scif.POLLHUP, "the peer sees the close");
        }
    }

    /**
     * A fenceWait for a mark no RMA reaches, on an endpoint that has made no RMA yet, ends with
     * EINTR when another thread closes the endpoint (closing wakes every call blocked on it), not
     * with ETIMEDOUT at the watchdog.
     */
    @Test
    void closeWakesABlockedFenceWaitWithEintr() throws ScifException {
        try (Connection c = connect(node0, node1)) {
            Async<Void> wait = async("fenceWait", () -> {
                c.connector().fenceWait(1_000_000);
                return null;
            });
            wait.awaitBlocked();
            c.connector().close();
            wait.awaitFailure(Errno.EINTR, SOON, "a fenceWait on an endpoint closed by another thread");
        }
    }

    /**
     * A blocking connect whose request is queued on a listener that does not accept, and whose
     * endpoint another thread closes, ends with EINTR (decisions.md: closing an endpoint wakes
     * every call blocked on it with EINTR), and its request leaves the listener's queue.
     */
    @Test
    void closeWakesBlockedConnectWithEintr() throws ScifException {
        Endpoint listener = listener(node1, 0, 2);
        Endpoint ep = open(node0);
        Async<Integer> connect = async("connect", () -> ep.connect(listener.localPort()));
        awaitEvents(listener, Scif.POLLIN, Scif.POLLIN, "the connect request is queued");
        connect.awaitBlocked();
        ep.close();
        connect.awaitFailure(Errno.EINTR, SOON, "a blocking connect whose endpoint another thread closed");
        // The closed connector's request leaves the queue: at once on shm; on tcp its withdrawal
        // travels to the listener's node, and the listener stops reporting POLLIN when it lands.
        long deadline = System.nanoTime() + SOON.toNanos();
        while ((poll(listener, Scif.POLLIN, 0) & Scif.POLLIN) != 0) {
            check(System.nanoTime() - deadline < 0, "the closed connector's request left the queue within " + SOON);
            Thread.yield();
        }
        // The next request is then the oldest one.
        try (Endpoint next = open(node0)) {
            Async<Integer> c2 = async("connect-next", () -> next.connect(listener.localPort()));
            Endpoint accepted = track(listener.accept(Scif.ACCEPT_SYNC));
            int bound = c2.get(SOON);
            assertEquals(next.localPort().port(), bound, "the next connect is accepted");
            assertEquals(next.localPort(), accepted.peerPort(), "accept takes the live request, not the"
                + " closed connector's");
            accepted.close();
        }
        listener.close();
    }

    private static ScifException assertThrowsWithin(Async<?> call) {
        try {
            Object v = call.get(SOON);
            throw new AssertionError("expected the call to fail, it returned " + v);
        } catch (AssertionError e) {
            if (e.getCause() instanceof ScifException) {
                return (ScifException) e.getCause();
            }
            throw e;
        }
    }

    @Test
    void closeIsIdempotentInEveryState() throws ScifException {
        Endpoint unbound = open(node0);
        Endpoint bound = open(node0);
        bound.bind(0);
        Endpoint listening = listener(node0, 0, 1);
        Connection c = connect(node0, node1);
        for (Endpoint ep : new Endpoint[] {unbound, bound, listening, c.connector(),
            c.acceptor()}) {
            ep.close();
            ep.close();
            assertEquals(Scif.POLLNVAL, poll(ep, Scif.POLLIN, 0), "closed: POLLNVAL");
        }
    }

    @Test
    void toStringShowsNodePortPeerAndStateInEveryState() throws ScifException {
        Endpoint unbound = open(node0);
        assertDescribes(unbound, "node 0", "UNBOUND");
        Endpoint bound = open(node0);
        assertDescribes(bound, "port " + bound.bind(0), "BOUND");
        Endpoint listening = listener(node0, 0, 1);
        assertDescribes(listening, "port " + listening.localPort().port(), "LISTENING");
        Connection c = connect(node0, node1);
        Endpoint ep = c.connector();
        assertDescribes(ep, "port " + ep.localPort().port(), "CONNECTED", "peer " + ep.peerPort());
        c.acceptor().close();
        awaitEvents(ep, Scif.POLLIN, Scif.POLLHUP, "the peer's close");
        assertDescribes(ep, "DISCONNECTED", "peer " + ep.peerPort());
        ep.close();
        assertDescribes(ep, "CLOSED");
        check(node0.toString().contains("node 0"), "a node's toString names it: " + node0);
        unbound.close();
        bound.close();
        listening.close();
    }

    private static void assertDescribes(Endpoint ep, String... words) {
        for (String w : words) {
            check(ep.toString().contains(w), "toString must show '" + w + "': " + ep);
        }
    }

    @Test
    void closingTheNodeClosesItsEndpoints() throws ScifException {
        ScifNode node2 = attach(2);
        Connection c = connect(node2, node1);
        Endpoint l = listener(node2, 5000, 4);
        Endpoint u = open(node2);
        node2.close();
        for (Endpoint ep : new Endpoint[] {c.connector(), l, u}) {
            assertEquals(Scif.POLLNVAL, poll(ep, Scif.POLLIN, 0),
                "an endpoint of a closed node is closed: POLLNVAL");
            assertErrno(Errno.EBADF, () -> ep.bind(0), "bind on an endpoint of a closed node");
        }
        awaitEvents(c.acceptor(), Scif.POLLIN, Scif.POLLHUP, "the peer of a closed node's endpoint");
        assertErrno(Errno.ECONNRESET, () -> c.acceptor().recv(ByteBuffer.allocate(1), 0),
            "recv from a closed node's endpoint");
        assertErrno(Errno.EBADF, node2::open, "open on a closed node");
        node2.close();
        c.acceptor().close();
    }

    /**
     * A node closed while one of its listeners accepts leaves no accepted endpoint open: its
     * close walks the node's endpoints while accept adds one, and an endpoint added behind the
     * walk once stayed CONNECTED with its port held, its connector never seeing POLLHUP. Each
     * round closes the node after a different number of accepts (1..6) while two threads keep
     * connecting.
     */
    @Test
    void closingANodeWhileItAcceptsLeavesNoAcceptedEndpointOpen() throws Exception {
        for (int round = 0; round < 30; round++) {
            ScifNode acceptor = attach(2);
            Endpoint listener = acceptor.open();
            int port = listener.bind(0);
            listener.listen(64);
            AtomicBoolean stop = new AtomicBoolean();
            Queue<Endpoint> connected = new ConcurrentLinkedQueue<>();
            BlockingQueue<Endpoint> accepted = new LinkedBlockingQueue<>();
            List<Async<Integer>> connecting = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                connecting.add(async("connect-" + t, () -> {
                    int n = 0;
                    while (!stop.get()) {
                        Endpoint c = node1.open();
                        try {
                            c.connect(port(2, port));
                            connected.add(c);
                            n++;
                        } catch (ScifException e) {
                            c.close(); // refused, or the node went away: both expected here
                        }
                    }
                    return n;
                }));
            }
            Async<Integer> accepting = async("accept", () -> {
                int n = 0;
                while (true) {
                    try {
                        accepted.add(listener.accept(Scif.ACCEPT_SYNC));
                        n++;
                    } catch (ScifException e) {
                        return n; // the node closed: EINTR or EBADF
                    }
                }
            });
            int closeAfter = 1 + round % 6;
            List<Endpoint> seen = new ArrayList<>();
            for (int i = 0; i < closeAfter; i++) {
                Endpoint e = accepted.poll(SOON.toMillis(), TimeUnit.MILLISECONDS);
                check(e != null, "round " + round + ": accept " + i + " within " + SOON);
                seen.add(e);
            }
            acceptor.close();
            accepting.get(SOON);
            stop.set(true);
            for (Async<Integer> c : connecting) {
                c.get(SOON);
            }
            accepted.drainTo(seen);
            for (Endpoint e : seen) {
                assertErrno(Errno.EBADF, () -> e.send(ByteBuffer.allocate(1), 0),
                    "round " + round + ": send on an endpoint its closed node accepted");
            }
            for (Endpoint c : connected) {
                awaitEvents(c, Scif.POLLIN, Scif.POLLHUP, "round " + round + ": a connector of the closed node");
                c.close();
            }
        }
    }
}
