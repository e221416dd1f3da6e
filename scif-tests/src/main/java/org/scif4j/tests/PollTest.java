package org.scif4j.tests;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.PollItem;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code Scif.poll} (SCIF): POLLIN, POLLOUT, POLLHUP, POLLERR and POLLNVAL
 * over many endpoints at once, the count it returns, timeouts of 0 and of a finite time that
 * expires, a blocked poll woken by another thread, and a listener's POLLIN for a queued request.
 */
public abstract class PollTest extends TwoNodeTestBase {
    @Test
    void endpointsOfTwoNodesOfOneFabricPollTogetherButTwoFabricsAreRefused() throws ScifException {
        Endpoint a = open(node0);
        Endpoint b = open(node1);
        PollItem[] items = {new PollItem(a, Scif.POLLIN), new PollItem(b, Scif.POLLIN)};
        assertEquals(2, Scif.poll(items, 0), "nodes of one fabric in this process: both unbound, POLLERR");
        TransportFixture otherFabric = newFixture();
        try (ScifNode elsewhere = Scif.attach(otherFabric.fabricUri(0))) {
            Endpoint c = elsewhere.open();
            PollItem[] mixed = {new PollItem(a, Scif.POLLIN), new PollItem(c, Scif.POLLIN)};
            if (fixture.pollsAcrossFabrics()) {
                assertEquals(2, Scif.poll(mixed, 0), "endpoints of two fabrics of this transport poll together");
            } else {
                ScifException e = assertErrno(Errno.EINVAL, () -> Scif.poll(mixed, 0), "poll over two fabrics");
                assertTrue(e.getMessage().contains("items[1]"), "the message names the item: " + e.getMessage());
            }
            c.close();
        } finally {
            otherFabric.removeLeftovers();
        }
        otherFabric.assertNoLeftovers();
        a.close();
        b.close();
    }

    /**
     * scif_poll(3): an array that cannot be read is EFAULT. A null array, or a null entry in it,
     * is Java's unreadable array, as a null or read-only buffer is send's and recv's EFAULT.
     */
    @Test
    void aNullArrayOrANullItemIsEfault() throws ScifException {
        try (Endpoint ep = open(node0)) {
            assertErrno(Errno.EFAULT, () -> Scif.poll(null, 0), "poll(null, 0)");
            assertErrno(Errno.EFAULT, () -> Scif.poll(null, 10), "poll(null, 10)");
            ScifException e = assertErrno(Errno.EFAULT,
                () -> Scif.poll(new PollItem[] {new PollItem(ep, Scif.POLLIN), null}, 0), "poll with items[1] null");
            assertTrue(e.getMessage().contains("items[1]"), "the message names the item: " + e.getMessage());
            // an item without an endpoint: the same EFAULT from poll, not an NPE from PollItem
            e = assertErrno(Errno.EFAULT, () -> Scif.poll(new PollItem[] {new PollItem(null, Scif.POLLIN)}, 0),
                "poll with items[0] holding a null endpoint");
            assertTrue(e.getMessage().contains("items[0]"), "the message names the item: " + e.getMessage());
        }
    }

    @Test
    void manyEndpointsWithEveryKindOfEvent() throws ScifException {
        List<Connection> cs = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            cs.add(connect(node1, node0));
        }
        Endpoint unbound = open(node0);
        Endpoint bound = open(node0);
        bound.bind(0);
        Endpoint closed = open(node0);
        closed.close();
        Endpoint idleListener = listener(node0, 0, 2);
        // data for receivers 1 and 4; receiver 5's peer closes
        sendFully(cs.get(1).connector(), new byte[] {1});
        sendFully(cs.get(4).connector(), new byte[] {4, 4});
        cs.get(5).connector().close();
        List<PollItem> items = new ArrayList<>();
        for (Connection c : cs) {
            items.add(new PollItem(c.acceptor(), Scif.POLLIN));
        }
        items.add(new PollItem(cs.get(0).acceptor(), Scif.POLLOUT)); // 6: same endpoint, POLLOUT
        items.add(new PollItem(unbound, Scif.POLLIN));               // 7
        items.add(new PollItem(bound, Scif.POLLIN | Scif.POLLOUT));  // 8
        items.add(new PollItem(closed, Scif.POLLIN));                // 9
        items.add(new PollItem(idleListener, Scif.POLLIN));          // 10
        PollItem[] array = items.toArray(new PollItem[0]);
        long deadline = System.nanoTime() + SOON.toNanos();
        int ready;
        do {
            ready = Scif.poll(array, 100);
        } while ((array[1].revents() == 0 || array[4].revents() == 0 || array[5].revents() == 0)
            && System.nanoTime() < deadline);
        int[] expected = {0, Scif.POLLIN, 0, 0, Scif.POLLIN, Scif.POLLHUP, Scif.POLLOUT,
            Scif.POLLERR, Scif.POLLERR, Scif.POLLNVAL, 0};
        String[] what = {"idle connection", "1 byte queued", "idle", "idle", "2 bytes queued",
            "peer closed, nothing unread (POLLHUP is reported unasked)",
            "POLLOUT asked on a connection with an empty ring (POLLIN not reported unasked)",
            "unbound endpoint", "bound endpoint", "closed endpoint", "listener with no request"};
        int nonZero = 0;
        for (int i = 0; i < array.length; i++) {
            int mask = i == 5 ? (Scif.POLLHUP | Scif.POLLIN | Scif.POLLERR)
                : i == 7 || i == 8 ? (Scif.POLLERR | Scif.POLLIN | Scif.POLLOUT | Scif.POLLHUP)
                : ~0;
            assertEquals(expected[i], array[i].revents() & mask,
                "item " + i + " (" + what[i] + "): revents 0x"
                    + Integer.toHexString(array[i].revents()));
            nonZero += array[i].revents() != 0 ? 1 : 0;
        }
        assertEquals(nonZero, ready, "poll returns how many items have revents != 0");
        for (Connection c : cs) {
            c.close();
        }
        unbound.close();
        bound.close();
        idleListener.close();
    }

    @Test
    void hangupWithUnreadDataReportsPollinToo() throws ScifException {
        try (Connection c = connect(node0, node1)) {
            sendFully(c.connector(), new byte[] {1, 2, 3});
            c.connector().close();
            int revents = awaitEvents(c.acceptor(), Scif.POLLIN, Scif.POLLHUP | Scif.POLLIN,
                "peer closed with 3 bytes unread");
            assertEquals(Scif.POLLHUP | Scif.POLLIN, revents & ~Scif.POLLOUT,
                "POLLHUP and POLLIN while unread data remain");
            recvFully(c.acceptor(), 3);
            assertEquals(Scif.POLLHUP, poll(c.acceptor(), Scif.POLLIN, 0),
                "POLLHUP only once drained");
        }
    }

    @Test
    void timeoutZeroReturnsAtOnceAndFiniteTimeoutExpires() throws ScifException {
        try (Connection c = connect(node0, node1)) {
            PollItem[] items = {new PollItem(c.connector(), Scif.POLLIN),
                new PollItem(c.acceptor(), Scif.POLLIN)};
            assertEquals(0, Scif.poll(items, 0), "timeout 0 with nothing ready");
            long t0 = System.nanoTime();
            assertEquals(0, Scif.poll(items, 300), "a finite timeout that expires returns 0");
            long waitedMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(waitedMs >= 250, "poll(300 ms) waited the timeout, not " + waitedMs + " ms");
            assertEquals(0, items[0].revents() | items[1].revents(), "no revents on timeout");
            assertEquals(0, Scif.poll(new PollItem[0], 0), "an empty array, timeout 0");
        }
    }

    /**
     * A poll with timeout 0 never waits, so the interrupt status does not end it: with nothing
     * ready it returns 0, and the status stays set for the next call that waits.
     */
    @Test
    void timeoutZeroWithTheInterruptStatusSetReturnsZero() throws ScifException {
        try (Connection c = connect(node0, node1)) {
            PollItem[] items = {new PollItem(c.connector(), Scif.POLLIN)};
            Thread.currentThread().interrupt();
            try {
                assertEquals(0, Scif.poll(items, 0), "timeout 0, nothing ready, interrupt status set");
                assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status stays set");
            } finally {
                Thread.interrupted(); // clear it: the fixture's own waits come next
            }
        }
    }

    /**
     * SCIF: an endpoint in a blocking connect polls POLLERR, as an unbound or bound one does
     * (only a non-blocking connect in progress waits for POLLOUT). Nobody accepts, so the
     * connect stays in progress once its request is queued at the listener (POLLIN).
     */
    @Test
    void anEndpointInABlockingConnectPollsPollerr() throws ScifException {
        try (Endpoint listener = listener(node1, 0, 4); Endpoint ep = open(node0)) {
            Async<Integer> conn = async("connect", () -> ep.connect(listener.localPort()));
            awaitEvents(listener, Scif.POLLIN, Scif.POLLIN, "the connect's request");
            assertEquals(Scif.POLLERR, poll(ep, Scif.POLLIN | Scif.POLLOUT, 0) & ~Scif.POLLHUP,
                "a blocking connect in progress");
            try (Endpoint accepted = track(listener.accept(Scif.ACCEPT_SYNC))) {
                assertEquals(ep.localPort().port(), conn.get(SOON), "the connect completes once accepted");
                assertEquals(ep.localPort(), accepted.peerPort(), "accepted this connect");
                assertEquals(Scif.POLLOUT, poll(ep, Scif.POLLIN | Scif.POLLOUT, 0), "connected: POLLOUT");
            }
        }
    }

    @Test
    void blockedPollIsWokenByDataFromAnotherThread() throws ScifException {
        try (Connection c = connect(node0, node1)) {
            PollItem[] items = {new PollItem(c.acceptor(), Scif.POLLIN)};
            Async<Integer> p = async("poll", () -> Scif.poll(items, -1));
            p.awaitBlocked();
            sendFully(c.connector(), new byte[] {9});
            assertEquals(1, p.get(SOON), "poll(-1) returns once data arrive");
            assertEquals(Scif.POLLIN, items[0].revents(), "revents POLLIN");
            Async<Integer> q = async("poll", () -> poll(c.connector(), Scif.POLLIN, 60_000));
            q.awaitBlocked();
            sendFully(c.acceptor(), new byte[] {8});
            assertEquals(Scif.POLLIN, q.get(SOON), "poll(60 s) returns once data arrive");
        }
    }

    /**
     * A timeout too long to count down in nanoseconds (Long.MAX_VALUE ms) is a wait of centuries,
     * not an overflow into a deadline already past: poll waits until the data arrive.
     */
    @Test
    void theLongestTimeoutWaitsForTheEvent() throws ScifException {
        try (Connection c = connect(node0, node1)) {
            PollItem[] items = {new PollItem(c.acceptor(), Scif.POLLIN)};
            Async<Integer> p = async("poll", () -> Scif.poll(items, Long.MAX_VALUE));
            p.awaitBlocked();
            sendFully(c.connector(), new byte[] {7});
            assertEquals(1, p.get(SOON), "poll(Long.MAX_VALUE) returns once data arrive, not at once with 0");
            assertEquals(Scif.POLLIN, items[0].revents(), "revents POLLIN");
        }
    }

    @Test
    void listenerReportsPollinForAQueuedRequest() throws ScifException {
        try (Endpoint listener = listener(node1, 0, 4); Endpoint ep = open(node0)) {
            assertEquals(0, poll(listener, Scif.POLLIN, 0), "no request queued");
            PollItem[] items = {new PollItem(listener, Scif.POLLIN)};
            Async<Integer> p = async("poll", () -> Scif.poll(items, -1));
            p.awaitBlocked();
            Async<Integer> conn = async("connect", () -> ep.connect(listener.localPort()));
            assertEquals(1, p.get(SOON), "a blocked poll on a listener wakes for a request");
            assertEquals(Scif.POLLIN, items[0].revents(), "listener revents");
            try (Endpoint accepted = track(listener.accept(0))) {
                assertEquals(ep.localPort().port(), conn.get(SOON), "connect completes");
                assertEquals(ep.localPort(), accepted.peerPort(), "accepted the request");
            }
            assertEquals(0, poll(listener, Scif.POLLIN, 0), "no request left");
        }
    }

    @Test
    void pollOutFollowsRingSpace() throws ScifException {
        ScifNode a = attach(2, "ring=4096");
        ScifNode b = attach(3, "ring=4096");
        try (Connection c = connect(a, b)) {
            assertEquals(Scif.POLLOUT, poll(c.connector(), Scif.POLLOUT | Scif.POLLIN, 0),
                "empty ring: POLLOUT");
            assertEquals(4095, c.connector().send(ByteBuffer.allocate(5000), 0), "fill the ring");
            assertEquals(0, poll(c.connector(), Scif.POLLOUT, 0), "full ring: no POLLOUT");
            PollItem[] items = {new PollItem(c.connector(), Scif.POLLOUT)};
            Async<Integer> p = async("poll", () -> Scif.poll(items, -1));
            p.awaitBlocked();
            recvFully(c.acceptor(), 100);
            assertEquals(1, p.get(SOON), "a blocked poll(POLLOUT) wakes when the peer reads");
            assertEquals(Scif.POLLOUT, items[0].revents(), "revents POLLOUT");
        }
    }
}
