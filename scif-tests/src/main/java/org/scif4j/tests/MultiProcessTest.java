package org.scif4j.tests;

import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.NodeIds;
import org.scif4j.PollItem;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;
import org.scif4j.tests.process.PeerMain;
import org.scif4j.tests.process.PeerProcess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * SCIF between separate JVM processes: echo through a child,
 * a child that connects and streams, a child blocked in recv that sees this side's close, a
 * blocked poll woken by a child's data, two processes sharing one node's port space, and
 * {@code nodeIds()} as children attach and leave.
 */
@Tag("slow")
@SuppressWarnings("try") // tests close resources mid-test on purpose
public abstract class MultiProcessTest extends ScifTestBase {

    private static int intField(Map<String, String> fields, String key) {
        return Integer.parseInt(fields.get(key));
    }

    @Test
    void echoThroughAChildProcess() throws ScifException {
        ScifNode node0 = attach(0);
        PeerProcess peer = startPeer(1);
        assertEquals(1, peer.selfId(), "the child attached as node 1");
        int port = intField(peer.ok("echo-server 0"), "port");
        assertEquals(1089, port, "the child's bind(0) on a fresh node 1");
        try (Endpoint ep = open(node0)) {
            int local = ep.connect(port(1, port));
            assertEquals(port(1, port), ep.peerPort(), "peerPort() of a connection to a child");
            assertEquals(1089, local, "auto-bound port on node 0");
            byte[] data = randomBytes(77, 1 << 20);
            Async<Void> sender = async("send", () -> {
                sendFully(ep, data);
                return null;
            });
            assertArrayEquals(data, recvFully(ep, data.length), "1 MiB echoed by the child");
            sender.get(SOON);
        }
    }

    @Test
    void childConnectsAndStreams() throws ScifException {
        ScifNode node0 = attach(0);
        try (Endpoint listener = listener(node0, 2000, 4)) {
            PeerProcess peer = startPeer(1);
            int bytes = 3 << 20;
            Async<String> stream = async("child-stream", () -> peer.call("stream 0 2000 " + bytes
                + " 42"));
            try (Endpoint ep = track(listener.accept(Scif.ACCEPT_SYNC))) {
                assertEquals(1, ep.peerPort().node(), "the request came from node 1");
                assertEquals(port(0, 2000), ep.localPort(), "accepted endpoint's port");
                byte[] got = recvFully(ep, bytes);
                Map<String, String> reply = PeerProcess.fields(stream.get(SOON));
                assertEquals(ep.peerPort().port(), intField(reply, "port"),
                    "the child's connect returned the port we see as peerPort()");
                assertEquals(Long.toString(PeerMain.crc(got, got.length)), reply.get("crc"),
                    "CRC32 of the 3 MiB matches the child's");
                assertArrayEquals(PeerMain.randomBytes(42, bytes), got, "bytes match");
            }
        }
    }

    @Test
    void childBlockedInRecvSeesThisSidesClose() throws ScifException {
        ScifNode node0 = attach(0);
        try (Endpoint listener = listener(node0, 0, 4)) {
            PeerProcess peer = startPeer(1);
            Async<Endpoint> acc = async("accept", () -> track(listener.accept(Scif.ACCEPT_SYNC)));
            peer.ok("connect 0 " + listener.localPort().port());
            Endpoint ep = acc.get(SOON);
            peer.ok("block-in-recv");
            sendFully(ep, new byte[] {5});
            assertEquals("RECV n=1", peer.awaitEvent(SOON), "the child's blocking recv got 1 byte");
            peer.ok("block-in-recv");
            ep.close();
            String event = peer.awaitEvent(SOON);
            check(event.startsWith("RECV-ERR ECONNRESET"),
                "the child's blocked recv ends with ECONNRESET when we close: " + event);
        }
    }

    @Test
    void blockedPollIsWokenByDataFromAnotherProcess() throws ScifException {
        ScifNode node0 = attach(0);
        try (Endpoint listener = listener(node0, 0, 4)) {
            PeerProcess peer = startPeer(2);
            Async<Endpoint> acc = async("accept", () -> track(listener.accept(Scif.ACCEPT_SYNC)));
            peer.ok("connect 0 " + listener.localPort().port());
            try (Endpoint ep = acc.get(SOON)) {
                PollItem[] items = {new PollItem(ep, Scif.POLLIN)};
                Async<Integer> poll = async("poll", () -> Scif.poll(items, -1));
                poll.awaitBlocked();
                Map<String, String> sent = peer.ok("send 10 3");
                assertEquals(1, poll.get(SOON), "poll(-1) woken by the child's data");
                assertEquals(Scif.POLLIN, items[0].revents(), "revents");
                assertEquals(sent.get("crc"), Long.toString(PeerMain.crc(recvFully(ep, 10), 10)),
                    "the child's 10 bytes");
            }
        }
    }

    @Test
    void twoProcessesShareOneNodesPorts() throws ScifException {
        ScifNode node0 = attach(0);
        try (Endpoint mine = open(node0); Endpoint fixed = open(node0)) {
            assertEquals(1089, mine.bind(0), "first port on node 0");
            PeerProcess peer = startPeer(0);
            assertEquals(0, peer.selfId(), "the child attached as node 0 too");
            assertEquals(1090, intField(peer.ok("bind 0"), "port"),
                "the child's bind(0) skips the port this process holds");
            assertEquals(5000, intField(peer.ok("bind 5000"), "port"), "child binds 5000");
            assertErrno(Errno.EINVAL, () -> fixed.bind(5000),
                "port 5000 of node 0 is held by the other process");
            assertEquals("ERR EINVAL", peer.call("bind 1089").substring(0, 10),
                "the child cannot bind a port this process holds");
            int listenPort = intField(peer.ok("listen 0 4"), "port");
            try (Endpoint ep = open(node0)) {
                Async<String> acc = async("child-accept", () -> peer.call("accept"));
                int local = ep.connect(port(0, listenPort));
                assertEquals("OK peer=0:" + local + " port=" + listenPort, acc.get(SOON),
                    "loopback connection between two processes of node 0");
                peer.close();
                awaitEvents(ep, Scif.POLLIN, Scif.POLLHUP, "the child exited");
            }
            assertEquals(5000, fixed.bind(5000), "the exited child's ports are free");
            assertEquals(new NodeIds(0, new int[] {0}), node0.nodeIds(),
                "node 0 stays online while this process is attached");
        }
    }

    @Test
    void nodeIdsFollowChildProcesses() throws ScifException {
        ScifNode node0 = attach(0);
        PeerProcess three = startPeer(3);
        assertEquals(new NodeIds(0, new int[] {0, 3}), node0.nodeIds(), "a child's node shows up");
        assertEquals("0,3", three.ok("nodeids").get("online"), "the child's view");
        assertEquals("3", three.ok("nodeids").get("self"), "the child's self");
        three.close();
        awaitNodeIds(node0, new int[] {0}, "after the child closed its node and exited");
    }

    /**
     * Polls {@code nodeIds()} until it equals {@code online}, or fails after {@link #SOON}.
     *
     * @param node   the viewer
     * @param online the expected online ids
     * @param what   for the message
     * @throws ScifException if nodeIds fails
     */
    static void awaitNodeIds(ScifNode node, int[] online, String what) throws ScifException {
        long deadline = System.nanoTime() + SOON.toNanos();
        NodeIds expected = new NodeIds(node.selfId(), online);
        NodeIds seen;
        do {
            seen = node.nodeIds();
            if (seen.equals(expected)) {
                return;
            }
            pause();
        } while (System.nanoTime() < deadline);
        assertEquals(expected, seen, what + " (waited " + SOON + ")");
    }

    /** @return what each child's call returned or failed with so far, for a failure message */
    private static String outcomes(java.util.List<Async<String>> calls, java.util.List<PeerProcess> children) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            Async<String> c = calls.get(i);
            String child = children.get(i).describe();
            if (!c.isDone()) {
                out.add(c + ": still running" + child);
                continue;
            }
            try {
                out.add(c + ": " + c.get(SOON) + child);
            } catch (Throwable e) {
                out.add(c + ": " + e + child);
            }
        }
        return String.join("; ", out);
    }

    @Test
    void manyProcessesStreamAtOnce() throws ScifException {
        ScifNode node0 = attach(0);
        int peers = 3;
        int bytes = 8 << 20;
        try (Endpoint listener = listener(node0, 2100, peers)) {
            // Every child JVM is started before any of them connects: a child's connect must not
            // wait on the start of the next JVM (seconds under load), which outlasted its
            // 5 s connect watchdog.
            java.util.List<PeerProcess> children = new java.util.ArrayList<>();
            for (int i = 1; i <= peers; i++) {
                children.add(startPeer(i));
            }
            // Then each child connects once, one at a time: that opens its link to node 0 (on tcp,
            // a cold JVM's first link took over the watchdog under load), which is not what this
            // test is about; the streams below then connect at once over open links.
            for (PeerProcess p : children) {
                Async<Endpoint> first = async("first-accept", () -> listener.accept(Scif.ACCEPT_SYNC));
                p.ok("connect 0 2100");
                first.get(SOON).close();
                p.ok("close");
            }
            java.util.List<Async<String>> streams = new java.util.ArrayList<>();
            for (int i = 1; i <= peers; i++) {
                PeerProcess p = children.get(i - 1);
                long seed = 1000 + i;
                streams.add(async("child-stream-" + i,
                    () -> p.call("stream 0 2100 " + bytes + " " + seed)));
            }
            // Every connection is accepted, and its receiver started, before anything slow (the
            // expected CRCs): a connector must not wait on the parent's CPU work either.
            java.util.List<Async<Long>> receivers = new java.util.ArrayList<>();
            for (int i = 0; i < peers; i++) {
                // A child whose connect failed never sends a request: say what the children
                // reported instead of blocking in accept until the test's timeout.
                PollItem[] request = {new PollItem(listener, Scif.POLLIN)};
                if (Scif.poll(request, SOON.multipliedBy(3).toMillis()) == 0) {
                    fail((peers - i) + " of " + peers + " connection requests did not come; the children: "
                        + outcomes(streams, children));
                }
                Endpoint ep = track(listener.accept(Scif.ACCEPT_SYNC));
                int node = ep.peerPort().node();
                receivers.add(async("recv-from-" + node, () -> {
                    try (ep) {
                        return (long) node << 40 | (crc(recvFully(ep, bytes)) & 0xFFFFFFFFL);
                    }
                }));
            }
            long[] expected = new long[peers + 1];
            for (int node = 1; node <= peers; node++) {
                expected[node] = crc(PeerMain.randomBytes(1000 + node, bytes));
            }
            for (Async<Long> r : receivers) {
                long v = r.get(SOON.multipliedBy(3));
                int node = (int) (v >>> 40);
                assertEquals(expected[node], v & 0xFFFFFFFFL, "CRC32 of node " + node + "'s 8 MiB");
            }
            for (int i = 0; i < peers; i++) {
                assertEquals(Long.toString(expected[i + 1]),
                    PeerProcess.fields(streams.get(i).get(SOON)).get("crc"),
                    "child " + (i + 1) + " reports the same CRC32");
            }
        }
    }
}
