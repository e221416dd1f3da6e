package org.scif4j.tests;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.NodeIds;
import org.scif4j.PollItem;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Connection set-up (SCIF; docs/decisions.md): listen backlog,
 * blocking and non-blocking connect and accept, refusal, offline nodes, loopback, listener close
 * with queued requests and with a blocked accept, interruption of blocked calls, and
 * {@code nodeIds()}.
 */
@SuppressWarnings("try") // tests close resources mid-test on purpose
public abstract class ConnectionTest extends TwoNodeTestBase {
    @Test
    void backlogFullRefusesFurtherRequests() throws ScifException {
        try (Endpoint listener = listener(node1, 3000, 1);
             Endpoint first = open(node0); Endpoint second = open(node0)) {
            Async<Integer> queued = async("connect-first", () -> first.connect(port(1, 3000)));
            awaitEvents(listener, Scif.POLLIN, Scif.POLLIN, "listener with one request queued");
            assertErrno(Errno.ECONNREFUSED, () -> second.connect(port(1, 3000)),
                "connect while the backlog (1) is full");
            int secondPort = second.localPort().port();
            check(secondPort > Scif.PORT_RSVD, "the refused endpoint stays bound: " + secondPort);
            try (Endpoint accepted = track(listener.accept(0))) {
                assertEquals(first.localPort(), accepted.peerPort(), "accept took the queued one");
                assertEquals(first.localPort().port(), queued.get(SOON),
                    "the queued connect returns its local port once accepted");
            }
            Async<Endpoint> acc = async("accept", () -> track(listener.accept(Scif.ACCEPT_SYNC)));
            assertEquals(secondPort, second.connect(port(1, 3000)),
                "a refused endpoint retries on the same port once there is room");
            acc.get(SOON).close();
        }
    }

    @Test
    void backlogWithNonBlockingConnects() throws ScifException {
        List<Endpoint> eps = new ArrayList<>();
        try (Endpoint listener = listener(node1, 3001, 2)) {
            for (int i = 0; i < 3; i++) {
                Endpoint ep = open(node0);
                eps.add(ep);
                ep.configureBlocking(false);
                assertFalse(ep.isBlocking(), "configureBlocking(false)");
                assertErrno(Errno.EINPROGRESS, () -> ep.connect(port(1, 3001)),
                    "non-blocking connect #" + i);
            }
            PollItem[] items = eps.stream().map(e -> new PollItem(e, Scif.POLLOUT))
                .toArray(PollItem[]::new);
            long deadline = System.nanoTime() + SOON.toNanos();
            int done;
            do {
                done = Scif.poll(items, 200);
            } while (done == 0 && System.nanoTime() < deadline);
            assertEquals(1, done, "with backlog 2 and 3 requests, exactly one request finishes "
                + "(refused) before any accept; revents " + revents(items));
            int refused = items[0].revents() != 0 ? 0 : items[1].revents() != 0 ? 1 : 2;
            assertErrno(Errno.ECONNREFUSED, () -> eps.get(refused).connect(port(1, 3001)),
                "the request beyond the backlog");
            for (int i = 0; i < 2; i++) {
                track(listener.accept(0)).close();
            }
            assertErrno(Errno.EAGAIN, () -> listener.accept(0), "only two requests were queued");
            for (int i = 0; i < 3; i++) {
                if (i != refused) {
                    Endpoint ep = eps.get(i);
                    awaitEvents(ep, Scif.POLLOUT, Scif.POLLOUT, "accepted non-blocking connect");
                    int port = ep.connect(port(1, 3001));
                    assertEquals(ep.localPort().port(), port, "second connect returns the port");
                }
            }
        } finally {
            eps.forEach(Endpoint::close);
        }
    }

    private static String revents(PollItem[] items) {
        StringBuilder sb = new StringBuilder();
        for (PollItem i : items) {
            sb.append(" 0x").append(Integer.toHexString(i.revents()));
        }
        return sb.toString();
    }

    @Test
    void nonBlockingConnect() throws ScifException {
        try (Endpoint listener = listener(node1, 3002, 4); Endpoint ep = open(node0)) {
            assertTrue(ep.isBlocking(), "a new endpoint connects blocking");
            ep.configureBlocking(false);
            assertErrno(Errno.EINPROGRESS, () -> ep.connect(port(1, 3002)),
                "first non-blocking connect");
            assertErrno(Errno.EINPROGRESS, () -> ep.connect(port(1, 3002)),
                "connect again before the handshake finished");
            assertEquals(0, poll(ep, Scif.POLLOUT, 0),
                "no POLLOUT while the request waits for accept");
            try (Endpoint accepted = track(listener.accept(Scif.ACCEPT_SYNC))) {
                awaitEvents(ep, Scif.POLLOUT, Scif.POLLOUT, "handshake finished");
                int port = secondConnectCollects(ep, accepted, port(1, 3002), "");
                check(port > Scif.PORT_RSVD, "auto-bound port " + port);
            }
        }
    }

    /**
     * As in the driver (scif_connect(3), SCIF_ACCEPT_SYNC), the handshake of a non-blocking connect runs on its own and POLLOUT says it has
     * finished; from then on the endpoint is CONNECTED, as in the driver, so it moves bytes and
     * knows its peer before any second connect. The second connect only reports the result.
     */
    @Test
    void nonBlockingConnectIsUsableOnceAcceptedBeforeTheSecondConnect() throws ScifException {
        try (Endpoint listener = listener(node1, 3010, 4); Endpoint ep = open(node0)) {
            ep.configureBlocking(false);
            assertErrno(Errno.EINPROGRESS, () -> ep.connect(port(1, 3010)),
                "first non-blocking connect");
            try (Endpoint accepted = track(listener.accept(Scif.ACCEPT_SYNC))) {
                int revents = awaitEvents(ep, Scif.POLLIN | Scif.POLLOUT, Scif.POLLOUT,
                    "handshake finished");
                assertEquals(0, revents & Scif.POLLIN, "no POLLIN before the acceptor sent anything");
                assertEquals(port(1, 3010), ep.peerPort(), "peerPort() once accepted, before the"
                    + " second connect");
                byte[] out = {1, 2, 3, 4, 5};
                assertEquals(out.length, ep.send(ByteBuffer.wrap(out), 0),
                    "a non-blocking send once accepted, before the second connect, takes every byte");
                assertArrayEquals(out, recvFully(accepted, out.length), "the acceptor receives them");
                byte[] back = {9, 8, 7};
                sendFully(accepted, back);
                awaitEvents(ep, Scif.POLLIN, Scif.POLLIN, "the acceptor's bytes are readable");
                assertArrayEquals(back, recvFully(ep, back.length),
                    "recv once accepted, before the second connect");
                secondConnectCollects(ep, accepted, port(1, 3010), " after the connection was used");
            }
        }
    }

    /**
     * The second connect of a non-blocking connect that {@code accepted} answered returns the
     * port, a third gives EISCONN, and the connection carries data.
     *
     * @return the port the second connect returned
     */
    private static int secondConnectCollects(Endpoint ep, Endpoint accepted, PortId to, String when)
        throws ScifException {
        int port = ep.connect(to);
        assertEquals(ep.localPort().port(), port, "the second connect returns the port" + when);
        assertEquals(ep.localPort(), accepted.peerPort(), "accepted side's peerPort()");
        assertErrno(Errno.EISCONN, () -> ep.connect(to), "connect once the result was collected");
        sendFully(ep, new byte[] {42});
        assertEquals(42, recvFully(accepted, 1)[0], "the connection carries data" + when);
        return port;
    }

    /**
     * Right after POLLOUT of a non-blocking connect, one thread sends while another receives,
     * neither having called connect again: both must find the connection set up, and no byte
     * may be lost whichever of them finishes the connector's side first.
     */
    @Test
    void nonBlockingConnectSendAndRecvAtOnceBeforeTheSecondConnect() throws Exception {
        try (Endpoint listener = listener(node1, 3011, 4)) {
            for (int round = 0; round < 10; round++) {
                String what = "round " + round + ": ";
                try (Endpoint ep = open(node0)) {
                    ep.configureBlocking(false);
                    assertErrno(Errno.EINPROGRESS, () -> ep.connect(port(1, 3011)),
                        what + "first non-blocking connect");
                    try (Endpoint accepted = track(listener.accept(Scif.ACCEPT_SYNC))) {
                        awaitEvents(ep, Scif.POLLOUT, Scif.POLLOUT, what + "handshake finished");
                        byte[] out = randomBytes(round, 64);
                        byte[] back = randomBytes(100 + round, 48);
                        CyclicBarrier start = new CyclicBarrier(2);
                        Async<byte[]> reader = async("recv-" + round, () -> {
                            start.await(SOON.toMillis(), TimeUnit.MILLISECONDS);
                            return recvFully(ep, back.length);
                        });
                        Async<Integer> writer = async("send-" + round, () -> {
                            start.await(SOON.toMillis(), TimeUnit.MILLISECONDS);
                            return ep.send(ByteBuffer.wrap(out), Scif.SEND_BLOCK);
                        });
                        assertEquals(out.length, writer.get(SOON), what + "send before the second connect");
                        assertArrayEquals(out, recvFully(accepted, out.length), what + "the acceptor receives");
                        sendFully(accepted, back);
                        assertArrayEquals(back, reader.get(SOON), what + "recv before the second connect");
                        assertEquals(accepted.localPort(), ep.peerPort(), what + "peerPort()");
                        assertEquals(ep.localPort().port(), ep.connect(port(1, 3011)),
                            what + "the second connect returns the port");
                    }
                }
            }
        }
    }

    /** As above, for RMA: the first call after POLLOUT is a vwriteTo, with no second connect. */
    @Test
    void nonBlockingConnectDoesRmaOnceAcceptedBeforeTheSecondConnect() throws ScifException {
        try (Endpoint listener = listener(node1, 3012, 4); Endpoint ep = open(node0)) {
            ep.configureBlocking(false);
            assertErrno(Errno.EINPROGRESS, () -> ep.connect(port(1, 3012)),
                "first non-blocking connect");
            try (Endpoint accepted = track(listener.accept(Scif.ACCEPT_SYNC))) {
                awaitEvents(ep, Scif.POLLOUT, Scif.POLLOUT, "handshake finished");
                int page = 4096;
                ByteBuffer window = ByteBuffer.allocateDirect(2 * page).alignedSlice(page).slice(0, page);
                assertEquals(0, accepted.register(window, 0, Scif.PROT_READ | Scif.PROT_WRITE, Scif.MAP_FIXED),
                    "the acceptor's window");
                byte[] data = randomBytes(3012, page);
                ep.vwriteTo(ByteBuffer.allocateDirect(page).put(data).flip(), 0, Scif.RMA_SYNC);
                byte[] got = new byte[page];
                window.duplicate().get(got);
                assertArrayEquals(data, got, "vwriteTo once accepted, before the second connect");
                assertEquals(ep.localPort().port(), ep.connect(port(1, 3012)),
                    "the second connect returns the port");
            }
        }
    }

    @Test
    void nonBlockingConnectRefused() throws ScifException {
        try (Endpoint ep = open(node0)) {
            ep.configureBlocking(false);
            assertErrno(Errno.EINPROGRESS, () -> ep.connect(port(1, 3003)),
                "first non-blocking connect");
            awaitEvents(ep, Scif.POLLOUT, Scif.POLLOUT, "POLLOUT when a refused handshake ends");
            assertNull(ep.peerPort(), "no peerPort() after a refused handshake");
            assertErrno(Errno.ENOTCONN, () -> ep.send(ByteBuffer.wrap(new byte[] {1}), 0),
                "send after a refused handshake, before the second connect");
            assertErrno(Errno.ECONNREFUSED, () -> ep.connect(port(1, 3003)),
                "the second connect reports the refusal");
            check(ep.localPort().port() > Scif.PORT_RSVD, "the endpoint stays bound");
        }
    }

    @Test
    void refusedWhenNobodyListensThenRetryWorks() throws ScifException {
        try (Endpoint bound = open(node1); Endpoint ep = open(node0)) {
            bound.bind(3004);
            assertErrno(Errno.ECONNREFUSED, () -> ep.connect(port(1, 3004)),
                "connect to a port that is bound but not listening");
            assertErrno(Errno.ECONNREFUSED, () -> ep.connect(port(1, 3005)),
                "connect to a port nobody holds");
            assertErrno(Errno.ECONNREFUSED, () -> ep.connect(port(1, 0)),
                "connect to port 0 (docs/decisions.md)");
            int port = ep.localPort().port();
            bound.listen(1);
            Async<Endpoint> acc = async("accept", () -> track(bound.accept(Scif.ACCEPT_SYNC)));
            assertEquals(port, ep.connect(port(1, 3004)), "the retry after listen connects");
            acc.get(SOON).close();
        }
    }

    @Test
    void aConnectNobodyAcceptsIsRefusedByTheWatchdogAndStaysBound() throws ScifException {
        // A listener that never accepts: the request waits in its queue until the connecting
        // side's watchdog (option timeout=, shortened here) gives up with ECONNREFUSED.
        ScifNode n2 = attach(2, "timeout=300");
        ScifNode n3 = attach(3, "timeout=300");
        try (Endpoint listener = listener(n3, 3010, 1); Endpoint ep = open(n2)) {
            ep.bind(3011);
            assertErrno(Errno.ECONNREFUSED, () -> ep.connect(port(3, 3010)),
                "a connect the listener never accepts, at the watchdog period");
            assertEquals(port(2, 3011), ep.localPort(), "the refused endpoint keeps its port");
            ep.listen(1); // legal only in BOUND: the failed connect left it there
            assertEquals(port(2, 3011), ep.localPort(), "and listens on it");
        }
    }

    /**
     * A node that detaches closes its endpoints first: a connect queued on one of its
     * listeners is refused, as a listener's close refuses it, not failed as a node lost.
     */
    @Test
    void aConnectQueuedOnANodeThatDetachesIsRefused() throws ScifException {
        ScifNode node2 = attach(2);
        Endpoint l = listener(node2, 3001, 1); // closed with its node
        try (Endpoint ep = open(node0)) {
            Async<Integer> connect = async("connect", () -> ep.connect(port(2, 3001)));
            PollItem[] queued = {new PollItem(l, Scif.POLLIN)};
            check(Scif.poll(queued, SOON.toMillis()) == 1, "the request is queued on node 2's listener");
            check(!connect.isDone(), "the connect waits: node 2 listens but never accepts");
            node2.close();
            connect.awaitFailure(Errno.ECONNREFUSED, SOON, "a connect queued on a listener whose node detached");
        }
    }

    @Test
    void connectToNodeThatIsNotOnline() throws ScifException {
        try (Endpoint ep = open(node0)) {
            assertErrno(Errno.ENODEV, () -> ep.connect(port(5, 3000)), "node 5 is not attached");
            assertEquals(0, ep.localPort().port(), "SCIF fails the connect before it binds: the endpoint stays unbound");
            assertErrno(Errno.ENODEV, () -> ep.connect(port(65535, 3000)), "node 65535");
            assertErrno(Errno.ENODEV, () -> ep.connect(port(65536, 3000)), "node 65536, beyond any node id");
            assertErrno(Errno.ENODEV, () -> ep.connect(port(-1, 3000)), "node -1, below any node id");
        }
        ScifNode node2 = attach(2);
        try (Endpoint l = listener(node2, 3000, 1); Endpoint ep = open(node0)) {
            Async<Endpoint> acc = async("accept", () -> track(l.accept(Scif.ACCEPT_SYNC)));
            ep.connect(port(2, 3000));
            acc.get(SOON).close();
        }
        node2.close();
        try (Endpoint ep = open(node0)) {
            assertErrno(Errno.ENODEV, () -> ep.connect(port(2, 3000)),
                "node 2 after its only attachment closed");
            assertEquals(0, ep.localPort().port(), "node 2 gone: the endpoint stays unbound");
            assertTrue(ep.bind(0) > Scif.PORT_RSVD, "bind(0) still takes a port (EINVAL once bound)");
        }
    }

    @Test
    void loopbackToOwnNode() throws ScifException {
        try (Connection c = connect(node0, node0)) {
            assertEquals(0, c.connector().peerPort().node(), "loopback peer node");
            assertEquals(c.acceptor().localPort(), c.connector().peerPort(), "peerPort()");
            assertEquals(c.connector().localPort(), c.acceptor().peerPort(), "peerPort()");
            sendFully(c.connector(), "ping".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            assertEquals("ping", new String(recvFully(c.acceptor(), 4),
                java.nio.charset.StandardCharsets.US_ASCII), "loopback data");
            sendFully(c.acceptor(), "pong".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            assertEquals("pong", new String(recvFully(c.connector(), 4),
                java.nio.charset.StandardCharsets.US_ASCII), "loopback data back");
        }
    }

    @Test
    void acceptSyncWaitsForARequestAndTakesThemInOrder() throws ScifException {
        try (Endpoint listener = listener(node1, 3006, 4);
             Endpoint a = open(node0); Endpoint b = open(node0)) {
            Async<Endpoint> acc = async("accept", () -> track(listener.accept(Scif.ACCEPT_SYNC)));
            acc.awaitBlocked();
            assertFalse(acc.isDone(), "accept(ACCEPT_SYNC) waits while nothing is queued");
            a.bind(4001);
            b.bind(4002);
            Async<Integer> ca = async("connect-a", () -> a.connect(port(1, 3006)));
            try (Endpoint first = acc.get(SOON)) {
                assertEquals(port(0, 4001), first.peerPort(), "accepted the only request");
                assertEquals(4001, ca.get(SOON), "connect returns the bound port");
            }
            // queue two requests, a (again, new endpoint) first, then b
            try (Endpoint a2 = open(node0)) {
                a2.bind(4003);
                Async<Integer> c1 = async("connect-a2", () -> a2.connect(port(1, 3006)));
                awaitEvents(listener, Scif.POLLIN, Scif.POLLIN, "first request queued");
                Async<Integer> c2 = async("connect-b", () -> b.connect(port(1, 3006)));
                Endpoint x = track(listener.accept(Scif.ACCEPT_SYNC));
                Endpoint y = track(listener.accept(Scif.ACCEPT_SYNC));
                assertEquals(port(0, 4003), x.peerPort(), "accept takes the oldest request first");
                assertEquals(port(0, 4002), y.peerPort(), "then the next");
                assertEquals(4003, c1.get(SOON), "connect result");
                assertEquals(4002, c2.get(SOON), "connect result");
                x.close();
                y.close();
            }
        }
    }

    @Test
    void listenerCloseRefusesQueuedRequests() throws ScifException {
        Endpoint listener = listener(node1, 3007, 4);
        try (Endpoint a = open(node0); Endpoint b = open(node0)) {
            Async<Integer> ca = async("connect-a", () -> a.connect(port(1, 3007)));
            Async<Integer> cb = async("connect-b", () -> b.connect(port(1, 3007)));
            awaitEvents(listener, Scif.POLLIN, Scif.POLLIN, "requests queued");
            listener.close();
            ca.awaitFailure(Errno.ECONNREFUSED, SOON, "queued connect when the listener closes");
            cb.awaitFailure(Errno.ECONNREFUSED, SOON, "queued connect when the listener closes");
            check(a.localPort().port() > Scif.PORT_RSVD, "refused endpoint stays bound");
        }
    }

    @Test
    void listenerCloseWakesBlockedAcceptWithEintr() throws ScifException {
        Endpoint listener = listener(node1, 3008, 4);
        Async<Endpoint> acc = async("accept", () -> track(listener.accept(Scif.ACCEPT_SYNC)));
        acc.awaitBlocked();
        listener.close();
        acc.awaitFailure(Errno.EINTR, SOON, "accept(ACCEPT_SYNC) whose listener was closed");
        try (Endpoint again = open(node1)) {
            assertEquals(3008, again.bind(3008), "the listener's port is free after close");
        }
    }

    @Test
    void interruptingBlockedAcceptGivesEintrAndKeepsInterruptStatus() throws ScifException {
        try (Endpoint listener = listener(node1, 3009, 4)) {
            Async<Endpoint> acc = async("accept", () -> track(listener.accept(Scif.ACCEPT_SYNC)));
            acc.awaitBlocked();
            acc.thread().interrupt();
            acc.awaitFailure(Errno.EINTR, SOON, "interrupted accept(ACCEPT_SYNC)");
            assertTrue(acc.interruptedAtEnd(), "the interrupt status is kept after EINTR");
            assertErrno(Errno.EAGAIN, () -> listener.accept(0), "the listener still listens");
        }
    }

    /**
     * An interrupted blocking connect ends with EINTR having withdrawn its request, as G3's
     * interruptible connect tells the peer to abandon it: the listener has nothing to accept,
     * the endpoint is BOUND to its port (poll: POLLERR), and it may connect again.
     */
    @Test
    void interruptingBlockedConnectWithdrawsTheRequestAndKeepsThePort() throws ScifException {
        try (Endpoint listener = listener(node1, 3010, 4); Endpoint ep = open(node0)) {
            Async<Integer> conn = async("connect", () -> ep.connect(listener.localPort()));
            awaitEvents(listener, Scif.POLLIN, Scif.POLLIN, "the connect's request is queued");
            conn.thread().interrupt();
            conn.awaitFailure(Errno.EINTR, SOON, "interrupted blocking connect");
            assertTrue(conn.interruptedAtEnd(), "the interrupt status is kept after EINTR");
            assertWithdrawn(listener);
            int port = ep.localPort().port();
            check(port > Scif.PORT_RSVD, "the endpoint keeps the port it was bound to: " + port);
            assertEquals(Scif.POLLERR, poll(ep, Scif.POLLIN | Scif.POLLOUT, 0), "the endpoint is BOUND");
            assertErrno(Errno.EINVAL, () -> ep.bind(0), "the endpoint is BOUND");
            Async<Endpoint> acc = async("accept", () -> track(listener.accept(Scif.ACCEPT_SYNC)));
            assertEquals(port, ep.connect(listener.localPort()), "a second connect uses the same port");
            try (Endpoint accepted = acc.get(SOON)) {
                assertEquals(port(0, port), accepted.peerPort(), "the acceptor sees the kept port");
            }
        }
    }

    /**
     * The listener no longer hands out a withdrawn request as a connection: it has none queued,
     * or (where the withdrawal crosses a link, tcp) one it took before the withdrawal arrived
     * ends DISCONNECTED at once.
     */
    private void assertWithdrawn(Endpoint listener) throws ScifException {
        try {
            try (Endpoint taken = track(listener.accept(0))) {
                awaitEvents(taken, Scif.POLLIN, Scif.POLLHUP, "a connection of a withdrawn request is disconnected");
            }
        } catch (ScifException e) {
            assertEquals(Errno.EAGAIN, e.errno(), "accept after the withdrawal: " + e.getMessage());
        }
        assertEquals(0, poll(listener, Scif.POLLIN, 0), "the listener has no request queued");
    }

    /**
     * Calls that need not wait complete with the interrupt status set, and keep it: an accept
     * that finds a request queued takes it (the request is not lost), allocate succeeds, and so
     * does register where it need not wait for the peer (shm, which makes files for both). A
     * set status ends only a call's wait, with EINTR.
     */
    @Test
    void acceptRegisterAndAllocateCompleteWithTheInterruptStatusSet() throws ScifException {
        try (Endpoint listener = listener(node1, 3010, 4); Endpoint a = open(node0)) {
            Async<Integer> ca = async("connect", () -> a.connect(port(1, 3010)));
            awaitEvents(listener, Scif.POLLIN, Scif.POLLIN, "the request is queued");
            Endpoint accepted;
            org.scif4j.ScifMemory memory;
            long offset = -1;
            Thread.currentThread().interrupt();
            try {
                accepted = listener.accept(0);
                memory = node1.allocate(4096);
                try {
                    offset = accepted.register(memory.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
                } catch (ScifException e) {
                    // where register waits for the peer (tcp), the set status ends that wait
                    assertEquals(Errno.EINTR, e.errno(), "register with the status set: done, or EINTR if it waited");
                }
                assertTrue(Thread.currentThread().isInterrupted(), "the calls keep the status");
            } finally {
                Thread.interrupted(); // clear it: the fixture's own waits come next
            }
            if (offset < 0) {
                offset = accepted.register(memory.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
            }
            try (memory; accepted) {
                assertEquals(port(0, a.localPort().port()), accepted.peerPort(), "accepted the queued request");
                assertTrue(ca.get(SOON) > 0, "the connect was accepted, not refused");
                sendFully(a, new byte[] {9});
                assertArrayEquals(new byte[] {9}, recvFully(accepted, 1), "the accepted endpoint is connected");
                ByteBuffer data = ByteBuffer.allocateDirect(8).putLong(0, 0x5c1f4a11L);
                a.vwriteTo(data, offset, Scif.RMA_SYNC);
                assertEquals(0x5c1f4a11L, memory.buffer().order(java.nio.ByteOrder.BIG_ENDIAN).getLong(0),
                    "the window registered with the status set is usable");
                accepted.unregister(offset, 4096);
            }
        }
    }

    /**
     * A connect on an endpoint whose blocking connect is in progress fails at once with
     * EISCONN, and the first connect goes on (the native transport's blocking connect is a
     * non-blocking one of the library's and a wait of its own, so it must say so itself). The
     * first connect is in progress once its request is queued at the listener (POLLIN).
     */
    @Test
    void aSecondConnectDuringABlockingConnectIsEisconn() throws ScifException {
        try (Endpoint listener = listener(node1, 0, 4); Endpoint ep = open(node0)) {
            Async<Integer> first = async("connect", () -> ep.connect(listener.localPort()));
            awaitEvents(listener, Scif.POLLIN, Scif.POLLIN, "the first connect's request");
            assertErrno(Errno.EISCONN, () -> ep.connect(listener.localPort()), "a second connect meanwhile");
            try (Endpoint accepted = track(listener.accept(0))) {
                assertEquals(ep.localPort().port(), first.get(SOON), "the first connect completes");
                assertEquals(ep.localPort(), accepted.peerPort(), "accepted the first connect");
            }
        }
    }

    @Test
    void interruptingBlockedRecvGivesEintrAndKeepsInterruptStatus() throws ScifException {
        try (Connection c = connect(node0, node1)) {
            Async<Integer> recv = async("recv", () -> c.connector().recv(ByteBuffer.allocate(16),
                Scif.RECV_BLOCK));
            recv.awaitBlocked();
            recv.thread().interrupt();
            recv.awaitFailure(Errno.EINTR, SOON, "interrupted blocking recv with nothing moved");
            assertTrue(recv.interruptedAtEnd(), "the interrupt status is kept after EINTR");
            sendFully(c.acceptor(), new byte[] {7, 8});
            assertArrayEquals(new byte[] {7, 8}, recvFully(c.connector(), 2),
                "the endpoint stays connected after an interrupted recv");
        }
    }

    @Test
    void interruptingBlockedPollGivesEintr() throws ScifException {
        try (Connection c = connect(node0, node1)) {
            Async<Integer> p = async("poll", () -> poll(c.connector(), Scif.POLLIN, -1));
            p.awaitBlocked();
            p.thread().interrupt();
            p.awaitFailure(Errno.EINTR, SOON, "interrupted poll with infinite timeout");
            assertTrue(p.interruptedAtEnd(), "the interrupt status is kept after EINTR");
        }
    }

    @Test
    void nodeIdsListsOnlineNodesAscending() throws ScifException {
        assertEquals(new NodeIds(0, new int[] {0, 1}), node0.nodeIds(), "node 0's view");
        assertEquals(new NodeIds(1, new int[] {0, 1}), node1.nodeIds(), "node 1's view");
        ScifNode node3 = attach(3);
        assertEquals(new NodeIds(0, new int[] {0, 1, 3}), node0.nodeIds(),
            "node 3 attached in the same JVM shows up");
        assertEquals(new NodeIds(3, new int[] {0, 1, 3}), node3.nodeIds(), "node 3's own view");
        ScifNode node2 = attach(2);
        assertEquals(new NodeIds(1, new int[] {0, 1, 2, 3}), node1.nodeIds(), "ascending order");
        node3.close();
        node2.close();
        assertEquals(new NodeIds(0, new int[] {0, 1}), node0.nodeIds(),
            "closed nodes disappear from nodeIds()");
        node1.close();
        assertEquals(new NodeIds(0, new int[] {0}), node0.nodeIds(), "only self is left");
    }

    /**
     * scif_get_node_ids has no EINTR: asked with the interrupt status set, nodeIds() still
     * lists every online node (a node attached just now included, which tcp must first reach)
     * and leaves the status set; attaching that node with the status set works and keeps it.
     */
    @Test
    void nodeIdsWithTheInterruptStatusSetListsEveryOnlineNode() throws ScifException {
        Thread.currentThread().interrupt();
        ScifNode node2;
        try {
            node2 = attach(2);
        } finally {
            assertTrue(Thread.interrupted(), "attach keeps the interrupt status (cleared here)");
        }
        Thread.currentThread().interrupt();
        try {
            assertEquals(new NodeIds(0, new int[] {0, 1, 2}), node0.nodeIds(), "node 0's view, status set");
            assertTrue(Thread.currentThread().isInterrupted(), "nodeIds() keeps the interrupt status");
        } finally {
            Thread.interrupted();
            node2.close();
        }
    }
}
