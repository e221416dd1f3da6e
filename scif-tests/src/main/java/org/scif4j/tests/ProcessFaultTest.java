package org.scif4j.tests;

import java.nio.ByteBuffer;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.NodeIds;
import org.scif4j.PollItem;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;
import org.scif4j.tests.process.PeerProcess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults (SCIF; docs/decisions.md "peer process or node lost"): a peer
 * process killed with SIGKILL. Calls blocked on connections to it end with ECONNRESET or
 * POLLHUP (SCIF notices a lost peer within about 1 s; the tests only bound it at 10 s against
 * hangs); its node leaves {@code nodeIds()} when it was the only process attached; its ports
 * become free; a request it queued before dying is never accepted.
 */
@Tag("slow")
public abstract class ProcessFaultTest extends ScifTestBase {
    private static final Duration NOTICE = Duration.ofSeconds(10);
    /** More connections than one logged change of the shm fabric closes (a log holds 169 entries). */
    private static final int MANY_CONNECTIONS = 120;

    @Test
    void killedPeerWakesBlockedRecvSendAndPoll() throws ScifException {
        ScifNode node0 = attach(0);
        PeerProcess peer = startPeer(1);
        int port = Integer.parseInt(peer.ok("sink 0").get("port"));
        try (Endpoint forRecv = open(node0); Endpoint forSend = open(node0);
             Endpoint forPoll = open(node0)) {
            for (Endpoint ep : new Endpoint[] {forRecv, forSend, forPoll}) {
                ep.connect(port(1, port));
                String event = peer.awaitEvent(SOON);
                assertEquals("ACCEPTED peer=" + ep.localPort(), event, "the child accepted");
            }
            // fill forSend's ring: the child never reads
            ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
            long sent = 0;
            int n;
            do {
                chunk.clear();
                n = forSend.send(chunk, 0);
                sent += n;
            } while (n > 0);
            check(sent > 0, "some bytes fitted in the ring");
            Async<Integer> recv = async("recv", () -> forRecv.recv(ByteBuffer.allocate(8),
                Scif.RECV_BLOCK));
            Async<Integer> send = async("send", () -> forSend.send(ByteBuffer.allocate(4096),
                Scif.SEND_BLOCK));
            PollItem[] items = {new PollItem(forPoll, Scif.POLLIN)};
            Async<Integer> poll = async("poll", () -> Scif.poll(items, -1));
            recv.awaitBlocked();
            send.awaitBlocked();
            poll.awaitBlocked();
            check(!recv.isDone() && !send.isDone() && !poll.isDone(),
                "recv, send (full ring) and poll block while the child lives");
            peer.kill();
            assertTimeoutPreemptively(NOTICE, () -> {
                recv.awaitFailure(Errno.ECONNRESET, NOTICE, "recv blocked on a killed peer");
                send.awaitFailure(Errno.ECONNRESET, NOTICE,
                    "send blocked on a full ring to a killed peer");
                assertEquals(1, poll.get(NOTICE), "poll blocked on a killed peer returns");
            }, "notice of the killed peer");
            assertTrue((items[0].revents() & Scif.POLLHUP) != 0,
                "poll reports POLLHUP for a killed peer: 0x" + Integer.toHexString(items[0].revents()));
            assertErrno(Errno.ECONNRESET, () -> forPoll.send(ByteBuffer.allocate(1), 0),
                "send to a killed peer");
            assertErrno(Errno.ECONNRESET, () -> forPoll.fenceMark(Scif.FENCE_INIT_SELF),
                "fenceMark towards a killed peer");
        }
    }

    @Test
    void killedProcessNodeLeavesNodeIds() throws ScifException {
        ScifNode node0 = attach(0);
        PeerProcess peer = startPeer(2);
        int port = Integer.parseInt(peer.ok("listen 0 4").get("port"));
        assertEquals(new NodeIds(0, new int[] {0, 2}), node0.nodeIds(), "the child's node 2");
        peer.kill();
        assertTimeoutPreemptively(NOTICE, () -> MultiProcessTest.awaitNodeIds(node0,
            new int[] {0}, "node 2 after its only process was killed"));
        try (Endpoint ep = open(node0)) {
            assertErrno(Errno.ENODEV, () -> ep.connect(port(2, port)),
                "connect to the lost node");
        }
    }

    @Test
    void killedProcessPortsBecomeFree() throws ScifException {
        ScifNode node0 = attach(0);
        ScifNode node1 = attach(1);
        PeerProcess peer = startPeer(1);
        assertEquals(5000, Integer.parseInt(peer.ok("listen 5000 4").get("port")), "child port");
        try (Endpoint conn = open(node0); Endpoint probe = open(node1)) {
            Async<String> acc = async("child-accept", () -> peer.call("accept"));
            conn.connect(port(1, 5000));
            check(acc.get(SOON).startsWith("OK"), "the child accepted");
            assertErrno(Errno.EINVAL, () -> probe.bind(5000), "port 5000 is the child's");
            peer.kill();
            awaitEvents(conn, Scif.POLLIN, Scif.POLLHUP, "connection to the killed child");
            long deadline = System.nanoTime() + NOTICE.toNanos();
            int bound = 0;
            while (bound == 0) {
                try {
                    bound = probe.bind(5000);
                } catch (ScifException e) {
                    if (e.errno() != Errno.EINVAL || System.nanoTime() > deadline) {
                        throw new AssertionError("port 5000 of the killed child did not become "
                            + "free within " + NOTICE + ": " + e.getMessage(), e);
                    }
                    pause();
                }
            }
            assertEquals(5000, bound, "this process binds the killed child's port");
            assertEquals(new NodeIds(0, new int[] {0, 1}), node0.nodeIds(),
                "node 1 stays online: this process is still attached to it");
        }
        PeerProcess next = startPeer(1);
        assertEquals("OK port=5000", next.call("bind 5000"),
            "a new process binds the killed process's port");
    }

    /**
     * A process holding more connections than one logged change can close (on shm, reaping
     * them takes several changes of the control-plane lock): every one of them is reset.
     */
    @Test
    void killedPeerWithManyConnectionsResetsEveryOne() throws ScifException {
        ScifNode node0 = attach(0);
        PeerProcess peer = startPeer(1);
        int port = Integer.parseInt(peer.ok("sink 0").get("port"));
        Endpoint[] conns = new Endpoint[MANY_CONNECTIONS];
        try {
            for (int i = 0; i < conns.length; i++) {
                conns[i] = open(node0);
                conns[i].connect(port(1, port));
                assertEquals("ACCEPTED peer=" + conns[i].localPort(), peer.awaitEvent(SOON),
                    "the child accepted connection " + i);
            }
            peer.kill();
            assertTimeoutPreemptively(NOTICE, () -> {
                for (int i = 0; i < conns.length; i++) {
                    Endpoint ep = conns[i];
                    assertErrno(Errno.ECONNRESET, () -> ep.recv(ByteBuffer.allocate(1), Scif.RECV_BLOCK),
                        "recv on connection " + i + " of " + conns.length + " to the killed child");
                }
            }, "notice of the killed peer on every connection");
        } finally {
            for (Endpoint ep : conns) {
                if (ep != null) {
                    ep.close();
                }
            }
        }
    }

    @Test
    void requestOfAKilledConnectorIsNeverAccepted() throws ScifException {
        ScifNode node0 = attach(0);
        try (Endpoint listener = listener(node0, 2500, 4)) {
            PeerProcess peer = startPeer(1);
            async("child-connect", () -> peer.call("connect 0 2500"));
            awaitEvents(listener, Scif.POLLIN, Scif.POLLIN, "the child's request is queued");
            peer.kill();
            assertTimeoutPreemptively(NOTICE, () -> {
                while (poll(listener, Scif.POLLIN, 0) != 0) {
                    pause();
                }
            }, "the killed connector's request leaves the queue");
            assertErrno(Errno.EAGAIN, () -> listener.accept(0),
                "accept never returns a dead connector's request");
        }
    }

    @Test
    void peerKilledMidStreamEndsTheReceiverWithAnIntactPrefix() throws ScifException {
        ScifNode node0 = attach(0);
        try (Endpoint listener = listener(node0, 2600, 4)) {
            PeerProcess peer = startPeer(1);
            int total = 64 << 20; // far more than the ring: the child blocks in send
            async("child-stream", () -> peer.call("stream 0 2600 " + total + " 99"));
            try (Endpoint ep = track(listener.accept(Scif.ACCEPT_SYNC))) {
                ByteBuffer dst = ByteBuffer.allocate(total);
                dst.limit(1 << 20);
                assertEquals(1 << 20, ep.recv(dst, Scif.RECV_BLOCK), "the first MiB");
                peer.kill();
                dst.limit(total);
                ScifException end = assertTimeoutPreemptively(NOTICE, () -> {
                    while (true) {
                        try {
                            if (ep.recv(dst, 0) == 0) {
                                poll(ep, Scif.POLLIN, 100);
                            }
                        } catch (ScifException e) {
                            return e;
                        }
                        check(dst.hasRemaining(), "the whole 64 MiB arrived from a killed peer");
                    }
                }, "recv from a peer killed mid-stream must end");
                assertEquals(Errno.ECONNRESET, end.errno(), "the receiver's end: "
                    + end.getMessage());
                int got = dst.position();
                byte[] expected = org.scif4j.tests.process.PeerMain.randomBytes(99, total);
                assertEquals(crc(java.util.Arrays.copyOf(expected, got)),
                    crc(java.util.Arrays.copyOf(dst.array(), got)),
                    "the " + got + " bytes received (before and after the kill) are an intact "
                        + "prefix of the stream");
            }
        }
    }

    @Test
    void connectBlockedOnAKilledNodeEndsWithEnodev() throws ScifException {
        ScifNode node0 = attach(0);
        PeerProcess peer = startPeer(2);
        int port = Integer.parseInt(peer.ok("listen 0 4").get("port"));
        try (Endpoint ep = open(node0)) {
            Async<Integer> connect = async("connect", () -> ep.connect(port(2, port)));
            connect.awaitBlocked();
            check(!connect.isDone(), "connect waits: the child listens but never accepts");
            peer.kill();
            connect.awaitFailure(Errno.ENODEV, NOTICE,
                "connect whose target node was lost during the handshake");
        }
    }
}
