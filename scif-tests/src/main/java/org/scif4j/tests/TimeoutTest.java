package org.scif4j.tests;

import java.nio.ByteBuffer;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;
import org.scif4j.tests.process.PeerProcess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@link Duration} overloads of recv, send, accept, connect and fenceWait: ETIMEDOUT when
 * nothing happened in time, the count when some bytes moved, the whole transfer when the peer
 * keeps up, and how a wait ends when the endpoint closes or the peer closes or dies.
 */
public abstract class TimeoutTest extends ScifTestBase {
    private static final Duration SHORT = Duration.ofMillis(100);
    /** Longer than any test: a wait that ends early was woken, not timed out. */
    private static final Duration LONG = Duration.ofMinutes(5);

    @Test
    void recvWithNothingToReadEndsWithEtimedoutAndMovesNothing() throws ScifException {
        try (Connection c = connect(attach(0), attach(1))) {
            ByteBuffer dst = ByteBuffer.allocate(8);
            assertErrno(Errno.ETIMEDOUT, () -> c.connector().recv(dst, SHORT), "recv, peer silent");
            assertErrno(Errno.ETIMEDOUT, () -> c.connector().recv(dst, Duration.ZERO),
                "recv with a zero timeout, peer silent");
            assertEquals(0, dst.position(), "no byte taken");
        }
    }

    @Test
    void recvThatTimesOutAfterSomeBytesReturnsTheirCount() throws ScifException {
        try (Connection c = connect(attach(0), attach(1))) {
            sendFully(c.acceptor(), new byte[] {1, 2, 3});
            assertArrayEquals(new byte[] {1}, recvFully(c.connector(), 1), "first byte");
            ByteBuffer dst = ByteBuffer.allocate(8);
            assertEquals(2, c.connector().recv(dst, SHORT), "the two bytes that were there");
            assertArrayEquals(new byte[] {2, 3}, java.util.Arrays.copyOf(dst.array(), 2), "bytes");
            assertEquals(2, dst.position(), "position advanced by the count");
        }
    }

    @Test
    void recvAndSendMoveEverythingWhenThePeerKeepsUp() throws ScifException {
        try (Connection c = connect(attach(0), attach(1))) {
            byte[] data = randomBytes(3, 3 * 4096 + 17); // more than a ring: the loop must wait
            Async<Integer> sender = async("send", () -> c.acceptor().send(ByteBuffer.wrap(data), LONG));
            ByteBuffer dst = ByteBuffer.allocate(data.length);
            assertEquals(data.length, c.connector().recv(dst, LONG), "recv filled the buffer");
            assertEquals(data.length, sender.get(SOON), "send sent it all");
            assertArrayEquals(data, dst.array(), "bytes in order");
        }
    }

    @Test
    void sendToAPeerThatDoesNotReadReturnsWhatFittedThenTimesOut() throws ScifException {
        try (Connection c = connect(attach(0), attach(1))) {
            ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
            long sent = 0;
            int n = chunk.capacity();
            // A transport may buffer more than SCIF's ring (tcp does): send until one falls short.
            for (int i = 0; i < 4096 && n == chunk.capacity(); i++) {
                chunk.clear();
                try {
                    n = c.connector().send(chunk, SHORT);
                } catch (ScifException e) {
                    assertEquals(Errno.ETIMEDOUT, e.errno(), "a full ring: " + e.getMessage());
                    assertEquals(0, chunk.position(), "a send that timed out took nothing");
                    n = 0;
                    break; // the buffering ended exactly at a chunk's end
                }
                assertEquals(n, chunk.position(), "position advanced by the count");
                sent += n;
            }
            check(sent > 0 && n < chunk.capacity(), "the sends filled what the transport buffers"
                + " and the last one returned a short count or timed out: " + n + " after "
                + sent + " bytes");
            ByteBuffer one = ByteBuffer.allocate(1);
            assertErrno(Errno.ETIMEDOUT, () -> c.connector().send(one, SHORT), "send to a full ring");
            assertEquals(0, one.position(), "nothing taken");
        }
    }

    @Test
    void invalidTimeoutsAreEinval() throws ScifException {
        ScifNode n0 = attach(0);
        try (Connection c = connect(n0, attach(1))) {
            Endpoint ep = c.connector();
            Duration negative = Duration.ofMillis(-1);
            assertErrno(Errno.EINVAL, () -> ep.recv(ByteBuffer.allocate(1), negative), "recv");
            assertErrno(Errno.EINVAL, () -> ep.send(ByteBuffer.allocate(1), (Duration) null), "send");
            assertErrno(Errno.EINVAL, () -> ep.accept(negative), "accept");
            try (Endpoint fresh = open(n0)) {
                assertErrno(Errno.EINVAL, () -> fresh.connect(port(1, 2000), negative), "connect");
            }
            assertErrno(Errno.EINVAL, () -> ep.fenceWait(0, negative), "fenceWait");
        }
    }

    @Test
    void recvWaitingWhenThePeerClosesGetsEconnreset() throws ScifException {
        try (Connection c = connect(attach(0), attach(1))) {
            Async<Integer> recv = async("recv", () -> c.connector().recv(ByteBuffer.allocate(8), LONG));
            recv.awaitBlocked();
            c.acceptor().close();
            recv.awaitFailure(Errno.ECONNRESET, SOON, "recv when the peer closed");
        }
    }

    @Test
    void recvWithBytesPendingWhenThePeerClosesReturnsThemThenEconnreset() throws ScifException {
        try (Connection c = connect(attach(0), attach(1))) {
            sendFully(c.acceptor(), new byte[] {9, 8, 7});
            c.acceptor().close();
            ByteBuffer dst = ByteBuffer.allocate(8);
            assertEquals(3, c.connector().recv(dst, LONG), "the bytes sent before the close");
            assertErrno(Errno.ECONNRESET, () -> c.connector().recv(dst, LONG), "then the reset");
        }
    }

    @Test
    void waitsEndWithEbadfWhenTheEndpointCloses() throws ScifException {
        ScifNode n0 = attach(0);
        try (Connection c = connect(n0, attach(1))) {
            Async<Integer> recv = async("recv", () -> c.connector().recv(ByteBuffer.allocate(8), LONG));
            Endpoint listener = listener(n0, 0, 1);
            Async<Endpoint> accept = async("accept", () -> listener.accept(LONG));
            recv.awaitBlocked();
            accept.awaitBlocked();
            c.connector().close();
            listener.close();
            recv.awaitFailure(Errno.EBADF, SOON, "recv when its endpoint closed");
            accept.awaitFailure(Errno.EBADF, SOON, "accept when its listener closed");
            assertErrno(Errno.EBADF, () -> c.connector().send(ByteBuffer.allocate(1), LONG),
                "send on a closed endpoint");
        }
    }

    @Test
    void recvWaitingOnAKilledPeerGetsEconnreset() throws ScifException {
        ScifNode n0 = attach(0);
        PeerProcess peer = startPeer(1);
        int port = Integer.parseInt(peer.ok("sink 0").get("port"));
        Endpoint ep = open(n0);
        ep.connect(port(1, port), LONG);
        assertEquals("ACCEPTED peer=" + ep.localPort(), peer.awaitEvent(SOON), "the child accepted");
        Async<Integer> recv = async("recv", () -> ep.recv(ByteBuffer.allocate(8), LONG));
        recv.awaitBlocked();
        peer.kill();
        recv.awaitFailure(Errno.ECONNRESET, Duration.ofSeconds(60), "recv on a killed peer");
        ep.close();
    }

    @Test
    void acceptTimesOutThenAcceptsARequest() throws ScifException {
        ScifNode n0 = attach(0);
        ScifNode n1 = attach(1);
        Endpoint listener = listener(n1, 0, 4);
        assertErrno(Errno.ETIMEDOUT, () -> listener.accept(SHORT), "accept with no request");
        Endpoint client = open(n0);
        Async<Integer> connect = async("connect", () -> client.connect(listener.localPort()));
        Endpoint server = track(listener.accept(LONG));
        assertEquals(client.localPort().port(), (int) connect.get(SOON), "the connect's port");
        assertEquals(client.localPort(), server.peerPort(), "accepted the connector");
        closeAll(listener, client, server);
    }

    private static void closeAll(Endpoint... eps) {
        for (Endpoint ep : eps) {
            ep.close();
        }
    }

    @Test
    void connectTimesOutWhileTheRequestWaitsThenCollectsTheAcceptedConnection()
        throws ScifException {
        ScifNode n0 = attach(0);
        Endpoint listener = listener(attach(1), 0, 4);
        PortId to = listener.localPort();
        Endpoint client = open(n0);
        assertErrno(Errno.ETIMEDOUT, () -> client.connect(to, SHORT), "connect, nobody accepts");
        assertTrue(client.isBlocking(), "the blocking mode is the caller's again");
        Endpoint server = track(listener.accept(LONG));
        int local = client.connect(to, LONG);
        assertEquals(client.localPort().port(), local, "connect again collected the handshake");
        assertEquals(client.localPort(), server.peerPort(), "the same connection");
        sendFully(server, new byte[] {42});
        assertArrayEquals(new byte[] {42}, recvFully(client, 1), "bytes flow");
        closeAll(listener, client, server);
    }

    @Test
    void connectToAPortWithoutListenerIsRefusedBeforeTheTimeout() throws ScifException {
        Endpoint listener = listener(attach(1), 0, 4);
        PortId to = listener.localPort();
        listener.close();
        Endpoint client = open(attach(0));
        assertErrno(Errno.ECONNREFUSED, () -> client.connect(to, LONG), "connect, no listener");
        assertTrue(client.isBlocking(), "the blocking mode is the caller's again");
        client.close();
    }

    @Test
    void fenceWaitWithATimeoutReturnsForACompletedMarkAndReportsAClosedPeer()
        throws ScifException {
        try (Connection c = connect(attach(0), attach(1))) {
            int mark = c.connector().fenceMark(Scif.FENCE_INIT_SELF);
            c.connector().fenceWait(mark, LONG);
            c.acceptor().close();
            awaitEvents(c.connector(), Scif.POLLIN, Scif.POLLHUP, "the peer's close");
            assertErrno(Errno.ECONNRESET, () -> c.connector().fenceWait(mark, LONG),
                "fenceWait after the peer closed");
            c.connector().close();
            assertErrno(Errno.EBADF, () -> c.connector().fenceWait(mark, LONG),
                "fenceWait on a closed endpoint");
        }
    }
}
