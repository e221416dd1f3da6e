package org.scif4j.tests;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Every call in every endpoint state, with the errno of SCIF (the operation
 * validity matrix of the scif_bind, scif_listen, scif_connect and scif_accept man pages
 * and docs/decisions.md): UNBOUND, BOUND, LISTENING, CONNECTED,
 * DISCONNECTED, and closed ({@code EBADF}). RMA, fence and mmap semantics of a connected
 * endpoint are tested elsewhere; here only that they give no state error.
 */
@SuppressWarnings("try") // tests close resources mid-test on purpose
public abstract class EndpointStateTest extends TwoNodeTestBase {
    private static final Set<Errno> STATE_ERRORS =
        EnumSet.of(Errno.ENOTCONN, Errno.ECONNRESET, Errno.EBADF, Errno.EISCONN);

    private ByteBuffer page;

    @BeforeEach
    final void allocatePage() {
        page = ByteBuffer.allocateDirect(2 * 4096).alignedSlice(4096).limit(4096).slice();
    }

    /** register, unregister, the four RMAs, the three fence calls and mmap, with valid arguments. */
    private Map<String, Executable> windowCalls(Endpoint ep) {
        Map<String, Executable> calls = new LinkedHashMap<>();
        calls.put("register", () -> ep.register(page, 0, Scif.PROT_READ | Scif.PROT_WRITE, 0));
        calls.put("unregister", () -> ep.unregister(0, 4096));
        calls.put("readFrom", () -> ep.readFrom(0, 4096, 0, Scif.RMA_SYNC));
        calls.put("writeTo", () -> ep.writeTo(0, 4096, 0, Scif.RMA_SYNC));
        calls.put("vreadFrom", () -> ep.vreadFrom(ByteBuffer.allocateDirect(4096), 0,
            Scif.RMA_SYNC));
        calls.put("vwriteTo", () -> ep.vwriteTo(ByteBuffer.allocateDirect(4096), 0,
            Scif.RMA_SYNC));
        calls.put("fenceMark", () -> ep.fenceMark(Scif.FENCE_INIT_SELF));
        calls.put("fenceWait", () -> ep.fenceWait(0));
        calls.put("fenceSignal", () -> ep.fenceSignal(0, 1, 0, 1,
            Scif.FENCE_INIT_SELF | Scif.SIGNAL_LOCAL));
        calls.put("mmap", () -> ep.mmap(0, 4096, Scif.PROT_READ).close());
        return calls;
    }

    private Map<String, Executable> messageCalls(Endpoint ep) {
        Map<String, Executable> calls = new LinkedHashMap<>();
        calls.put("send(8 bytes, 0)", () -> ep.send(ByteBuffer.allocate(8), 0));
        calls.put("send(8 bytes, SEND_BLOCK)", () -> ep.send(ByteBuffer.allocate(8),
            Scif.SEND_BLOCK));
        calls.put("recv(8 bytes, 0)", () -> ep.recv(ByteBuffer.allocate(8), 0));
        calls.put("recv(8 bytes, RECV_BLOCK)", () -> ep.recv(ByteBuffer.allocate(8),
            Scif.RECV_BLOCK));
        return calls;
    }

    private static List<Executable> expect(String state, Errno errno, Map<String, Executable> calls) {
        List<Executable> checks = new ArrayList<>();
        calls.forEach((name, call) ->
            checks.add(() -> assertErrno(errno, call, name + " on a " + state + " endpoint")));
        return checks;
    }

    private static Executable zeroLength(String state, Endpoint ep) {
        return () -> {
            assertEquals(0, ep.send(ByteBuffer.allocate(0), Scif.SEND_BLOCK),
                "send of 0 bytes on a " + state + " endpoint returns 0 (quirk 17)");
            assertEquals(0, ep.recv(ByteBuffer.allocate(0), Scif.RECV_BLOCK),
                "recv of 0 bytes on a " + state + " endpoint returns 0 (quirk 17)");
            assertEquals(0, ep.send(ByteBuffer.allocate(0), 2),
                "send of 0 bytes returns 0 before the flags are checked, on a " + state
                    + " endpoint");
            assertEquals(0, ep.recv(ByteBuffer.allocate(0), 2),
                "recv of 0 bytes returns 0 before the flags are checked, on a " + state
                    + " endpoint");
            assertEquals(0, ep.recv(ByteBuffer.allocate(0).asReadOnlyBuffer(), Scif.RECV_BLOCK),
                "recv into a read-only buffer with no room returns 0 (len == 0 before any other"
                    + " check), on a " + state + " endpoint");
        };
    }

    private static Executable pollReports(String state, Endpoint ep, int events, int expected) {
        return () -> assertEquals(expected, poll(ep, events, 0),
            "poll(events=0x" + Integer.toHexString(events) + ") revents on a " + state
                + " endpoint");
    }

    @Test
    void unboundEndpoint() throws ScifException {
        try (Endpoint ep = open(node0)) {
            List<Executable> checks = new ArrayList<>();
            checks.add(() -> assertEquals(0, ep.localPort().port(), "an unbound endpoint's port"));
            checks.add(() -> assertEquals(0, ep.localPort().node(), "localPort().node() is self"));
            checks.add(() -> assertNull(ep.peerPort(), "peerPort() before any connection"));
            checks.add(() -> assertErrno(Errno.EINVAL, () -> ep.listen(1),
                "listen on an UNBOUND endpoint"));
            checks.add(() -> assertErrno(Errno.EINVAL, () -> ep.accept(0),
                "accept(0) on an UNBOUND endpoint"));
            checks.add(() -> assertErrno(Errno.EINVAL, () -> ep.accept(Scif.ACCEPT_SYNC),
                "accept(ACCEPT_SYNC) on an UNBOUND endpoint (must not block)"));
            checks.addAll(expect("UNBOUND", Errno.ENOTCONN, messageCalls(ep)));
            checks.addAll(expect("UNBOUND", Errno.ENOTCONN, windowCalls(ep)));
            checks.add(zeroLength("UNBOUND", ep));
            checks.add(pollReports("UNBOUND", ep, Scif.POLLIN | Scif.POLLOUT, Scif.POLLERR));
            checks.add(pollReports("UNBOUND", ep, Scif.POLLIN, Scif.POLLERR));
            assertAll("calls on an UNBOUND endpoint", checks);
            assertEquals(0, ep.localPort().port(), "failed calls left the endpoint unbound");
        }
    }

    @Test
    void boundEndpoint() throws ScifException {
        try (Endpoint ep = open(node0)) {
            int port = ep.bind(0);
            List<Executable> checks = new ArrayList<>();
            checks.add(() -> assertEquals(port, ep.localPort().port(), "localPort() after bind"));
            checks.add(() -> assertErrno(Errno.EINVAL, () -> ep.bind(0),
                "bind(0) on a BOUND endpoint"));
            checks.add(() -> assertErrno(Errno.EINVAL, () -> ep.bind(4000),
                "bind(4000) on a BOUND endpoint"));
            checks.add(() -> assertErrno(Errno.EINVAL, () -> ep.accept(0),
                "accept(0) on a BOUND endpoint"));
            checks.add(() -> assertErrno(Errno.EINVAL, () -> ep.accept(Scif.ACCEPT_SYNC),
                "accept(ACCEPT_SYNC) on a BOUND endpoint (must not block)"));
            checks.addAll(expect("BOUND", Errno.ENOTCONN, messageCalls(ep)));
            checks.addAll(expect("BOUND", Errno.ENOTCONN, windowCalls(ep)));
            checks.add(zeroLength("BOUND", ep));
            checks.add(pollReports("BOUND", ep, Scif.POLLIN | Scif.POLLOUT, Scif.POLLERR));
            assertAll("calls on a BOUND endpoint", checks);
            assertEquals(port, ep.localPort().port(), "failed calls kept the port");
        }
    }

    @Test
    void listeningEndpoint() throws ScifException {
        try (Endpoint ep = listener(node0, 0, 4)) {
            List<Executable> checks = new ArrayList<>();
            checks.add(() -> assertErrno(Errno.EISCONN, () -> ep.bind(0),
                "bind on a LISTENING endpoint"));
            checks.add(() -> assertErrno(Errno.EISCONN, () -> ep.listen(4),
                "listen on a LISTENING endpoint"));
            checks.add(() -> assertErrno(Errno.EOPNOTSUPP, () -> ep.connect(ep.localPort()),
                "connect on a LISTENING endpoint"));
            checks.add(() -> assertErrno(Errno.EAGAIN, () -> ep.accept(0),
                "accept(0) with no request queued"));
            checks.add(() -> assertErrno(Errno.EINVAL, () -> ep.accept(2),
                "accept with flags 2 (bits other than ACCEPT_SYNC)"));
            checks.addAll(expect("LISTENING", Errno.ENOTCONN, messageCalls(ep)));
            checks.addAll(expect("LISTENING", Errno.ENOTCONN, windowCalls(ep)));
            checks.add(zeroLength("LISTENING", ep));
            checks.add(pollReports("LISTENING (nothing queued)", ep, Scif.POLLIN | Scif.POLLOUT,
                0));
            assertAll("calls on a LISTENING endpoint", checks);
        }
    }

    @Test
    void connectedEndpoint() throws ScifException {
        try (Connection c = connect(node0, node1); Endpoint other = listener(node1, 0, 1)) {
            Endpoint ep = c.connector();
            List<Executable> checks = new ArrayList<>();
            checks.add(() -> assertErrno(Errno.EISCONN, () -> ep.bind(0),
                "bind on a CONNECTED endpoint"));
            checks.add(() -> assertErrno(Errno.EISCONN, () -> ep.listen(4),
                "listen on a CONNECTED endpoint"));
            checks.add(() -> assertErrno(Errno.EISCONN, () -> ep.connect(other.localPort()),
                "connect on a CONNECTED endpoint"));
            checks.add(() -> assertErrno(Errno.EINVAL, () -> ep.accept(0),
                "accept on a CONNECTED endpoint"));
            checks.add(() -> assertErrno(Errno.EINVAL, () -> ep.accept(Scif.ACCEPT_SYNC),
                "accept(ACCEPT_SYNC) on a CONNECTED endpoint (must not block)"));
            checks.add(() -> assertErrno(Errno.EINVAL, () -> ep.send(ByteBuffer.allocate(8), 2),
                "send with flags 2 (bit 0 clear)"));
            checks.add(() -> assertErrno(Errno.EINVAL, () -> ep.recv(ByteBuffer.allocate(8), 2),
                "recv with flags 2 (bit 0 clear)"));
            checks.add(() -> assertEquals(0, ep.recv(ByteBuffer.allocate(8), 0),
                "non-blocking recv with nothing queued returns 0"));
            checks.add(zeroLength("CONNECTED", ep));
            checks.add(pollReports("CONNECTED (nothing queued, ring empty)", ep,
                Scif.POLLIN | Scif.POLLOUT, Scif.POLLOUT));
            windowCalls(ep).forEach((name, call) -> checks.add(() -> {
                try {
                    call.execute();
                } catch (ScifException e) {
                    assertFalse(STATE_ERRORS.contains(e.errno()),
                        name + " on a CONNECTED endpoint must not fail with a state error: "
                            + e.getMessage());
                }
            }));
            assertAll("calls on a CONNECTED endpoint", checks);
            // The calls above failed without effect: the connection still works.
            sendFully(c.acceptor(), new byte[] {1, 2, 3});
            assertEquals(List.of((byte) 1, (byte) 2, (byte) 3), asList(recvFully(ep, 3)),
                "the connection still carries data after the failed calls");
        }
    }

    private static List<Byte> asList(byte[] b) {
        List<Byte> l = new ArrayList<>();
        for (byte x : b) {
            l.add(x);
        }
        return l;
    }

    @Test
    void disconnectedEndpoint() throws ScifException {
        try (Connection c = connect(node0, node1); Endpoint other = listener(node1, 0, 1)) {
            Endpoint ep = c.connector();
            c.acceptor().close();
            awaitEvents(ep, Scif.POLLIN, Scif.POLLHUP, "peer closed");
            List<Executable> checks = new ArrayList<>();
            checks.add(() -> assertErrno(Errno.EISCONN, () -> ep.bind(0),
                "bind on a DISCONNECTED endpoint"));
            checks.add(() -> {
                ScifException e = assertErrno(Errno.EINVAL, () -> ep.listen(4), "listen on a DISCONNECTED endpoint");
                assertFalse(e.getMessage().contains("bind it"), "the message must not advise a bind, which"
                    + " a DISCONNECTED endpoint refuses (EISCONN): " + e.getMessage());
            });
            checks.add(() -> assertErrno(Errno.EINVAL, () -> ep.connect(other.localPort()),
                "connect on a DISCONNECTED endpoint (never reusable)"));
            checks.add(() -> assertErrno(Errno.EINVAL, () -> ep.accept(0),
                "accept on a DISCONNECTED endpoint"));
            checks.addAll(expect("DISCONNECTED", Errno.ECONNRESET, messageCalls(ep)));
            checks.addAll(expect("DISCONNECTED", Errno.ECONNRESET, windowCalls(ep)));
            checks.add(zeroLength("DISCONNECTED", ep));
            checks.add(() -> {
                int revents = poll(ep, Scif.POLLIN, 0);
                assertEquals(Scif.POLLHUP, revents & (Scif.POLLHUP | Scif.POLLIN | Scif.POLLERR),
                    "poll(POLLIN) on a DISCONNECTED endpoint with nothing unread: POLLHUP only");
            });
            assertAll("calls on a DISCONNECTED endpoint", checks);
        }
    }

    @Test
    void closedEndpointGivesEbadf() throws ScifException {
        Connection c = connect(node0, node1);
        Endpoint listening = listener(node0, 0, 4);
        Endpoint unbound = open(node0);
        c.close();
        listening.close();
        unbound.close();
        List<Executable> checks = new ArrayList<>();
        for (Endpoint ep : List.of(c.connector(), c.acceptor(), listening, unbound)) {
            String state = "closed " + (ep == unbound ? "UNBOUND" : ep == listening ? "LISTENING"
                : "CONNECTED") + " endpoint";
            Map<String, Executable> calls = new LinkedHashMap<>();
            calls.put("bind(0)", () -> ep.bind(0));
            calls.put("listen", () -> ep.listen(1));
            calls.put("connect", () -> ep.connect(port(1, 3000)));
            calls.put("accept(0)", () -> ep.accept(0));
            calls.put("accept(ACCEPT_SYNC)", () -> ep.accept(Scif.ACCEPT_SYNC));
            calls.put("configureBlocking", () -> ep.configureBlocking(false));
            calls.putAll(messageCalls(ep));
            calls.putAll(windowCalls(ep));
            checks.addAll(expect(state, Errno.EBADF, calls));
            checks.add(pollReports(state, ep, Scif.POLLIN | Scif.POLLOUT, Scif.POLLNVAL));
            checks.add(() -> {
                ep.close();
                ep.close();
            });
        }
        assertAll("calls on closed endpoints: EBADF, poll POLLNVAL, close idempotent", checks);
    }

    @Test
    void listenBacklogMustBePositive() throws ScifException {
        try (Endpoint ep = open(node0)) {
            ep.bind(0);
            assertErrno(Errno.EINVAL, () -> ep.listen(0), "listen(backlog=0)");
            assertErrno(Errno.EINVAL, () -> ep.listen(-1), "listen(backlog=-1)");
            ep.listen(1);
            assertErrno(Errno.EAGAIN, () -> ep.accept(0),
                "after the refused backlogs, listen(1) made the endpoint LISTENING");
        }
    }

    @Test
    void failedListenAndConnectKeepState() throws ScifException {
        try (Endpoint ep = open(node0)) {
            assertErrno(Errno.ENODEV, () -> ep.connect(port(9, 2000)),
                "connect to a node that is not online");
            int port = ep.localPort().port();
            if (port != 0) {
                check(port > Scif.PORT_RSVD, "a port bound automatically is above PORT_RSVD: "
                    + port);
            }
            assertErrno(Errno.ECONNREFUSED, () -> ep.connect(port(1, 2000)),
                "connect to a port nobody listens on");
            int bound = ep.localPort().port();
            check(bound > Scif.PORT_RSVD, "the refused connect auto-bound the endpoint: " + bound);
            assertErrno(Errno.EINVAL, () -> ep.bind(0), "the refused endpoint is BOUND");
            ep.listen(1);
            assertErrno(Errno.EAGAIN, () -> ep.accept(0), "a refused, BOUND endpoint can listen");
            assertEquals(bound, ep.localPort().port(), "listen kept the port");
        }
    }
}
