package org.scif4j.tests;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.scif4j.Errno;
import org.scif4j.NodeEvent;
import org.scif4j.NodeListener;
import org.scif4j.NodeSubscription;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;
import org.scif4j.tests.process.PeerProcess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Node events ({@code ScifNode.addNodeListener}): a node that attaches is reported ONLINE, one
 * that detaches or whose process is killed with SIGKILL OFFLINE, within the transport's liveness
 * bound (the tests bound it at {@link #NOTICE} only against hangs); a closed subscription hears
 * nothing more; a listener that throws still hears later events; no event thread is left once
 * the subscriptions or the node are closed.
 */
@Tag("slow")
public abstract class NodeEventTest extends ScifTestBase {
    /** Against hangs only: every transport's bound is a few seconds at most. */
    private static final Duration NOTICE = Duration.ofSeconds(20);
    private static final String EVENT_THREAD = "scif4j-node-events";

    /** Records the events a listener is told, in order. */
    private static final class Recorder implements NodeListener {
        final BlockingQueue<NodeEvent> events = new LinkedBlockingQueue<>();
        final List<NodeEvent> seen = new ArrayList<>();

        @Override
        public void onNodeEvent(NodeEvent event) {
            events.add(event);
        }

        /** Waits for {@code kind} of {@code node}; fails on any other event of that node first. */
        NodeEvent await(int node, NodeEvent.Kind kind, Duration timeout, String what) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                NodeEvent e = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (e == null) {
                    fail(what + ": no " + kind + " event for node " + node + " within " + timeout + "; saw " + seen);
                }
                seen.add(e);
                if (e.node() == node) {
                    assertEquals(kind, e.kind(), what + ": the next event for node " + node + " (saw " + seen + ")");
                    return e;
                }
            }
        }
    }

    @Test
    void processAttachingIsOnlineAndKilledIsOffline() throws Exception {
        ScifNode node0 = attach(0);
        Recorder r = new Recorder();
        try (NodeSubscription s = node0.addNodeListener(r)) {
            PeerProcess peer = startPeer(2);
            NodeEvent online = r.await(2, NodeEvent.Kind.ONLINE, NOTICE, "a peer process attached as node 2");
            peer.kill(); // SIGKILL to the child this test started, by its pid
            NodeEvent offline = r.await(2, NodeEvent.Kind.OFFLINE, NOTICE, "node 2's only process was killed");
            assertFalse(offline.time().isBefore(online.time()), "OFFLINE is noticed after ONLINE: " + r.seen);
            assertTrue(s.isOpen(), "the subscription stays open across events");
        }
    }

    @Test
    void nodesOnlineAtSubscriptionComeFirstThenDetachIsOffline() throws Exception {
        ScifNode node0 = attach(0);
        ScifNode node1 = attach(1);
        Recorder r = new Recorder();
        try (NodeSubscription s = node0.addNodeListener(r)) {
            r.await(1, NodeEvent.Kind.ONLINE, NOTICE, "node 1, attached before the subscription");
            node1.close();
            r.await(1, NodeEvent.Kind.OFFLINE, NOTICE, "node 1 closed");
            ScifNode again = attach(1);
            r.await(1, NodeEvent.Kind.ONLINE, NOTICE, "node 1 attached again");
            again.close();
            r.await(1, NodeEvent.Kind.OFFLINE, NOTICE, "node 1 closed again");
            assertTrue(r.seen.stream().noneMatch(e -> e.node() == 0), "self is never reported: " + r.seen);
            assertTrue(s.isOpen(), "the subscription outlives the nodes it reported");
        }
    }

    @Test
    void closedSubscriptionHearsNothingMore() throws Exception {
        ScifNode node0 = attach(0);
        ScifNode node1 = attach(1);
        Recorder closed = new Recorder();
        Recorder open = new Recorder();
        NodeSubscription first = node0.addNodeListener(closed);
        try (NodeSubscription second = node0.addNodeListener(open)) {
            closed.await(1, NodeEvent.Kind.ONLINE, NOTICE, "the first subscription, while open");
            open.await(1, NodeEvent.Kind.ONLINE, NOTICE, "the second subscription");
            first.close();
            assertFalse(first.isOpen(), "closed subscription");
            node1.close();
            open.await(1, NodeEvent.Kind.OFFLINE, NOTICE, "the open subscription");
            // The event thread tells every open subscription of a change before the next one:
            // the closed one would have been told by now.
            assertNull(closed.events.poll(), "an event reached a closed subscription");
            first.close(); // idempotent
            assertTrue(second.isOpen(), "closing one subscription leaves the other open");
        }
    }

    @Test
    void throwingListenerStillHearsLaterEvents() throws Exception {
        ScifNode node0 = attach(0);
        Recorder r = new Recorder();
        NodeListener throwing = e -> {
            r.onNodeEvent(e);
            throw new IllegalStateException("a listener's own bug, on " + e);
        };
        try (NodeSubscription s = node0.addNodeListener(throwing)) {
            ScifNode node1 = attach(1);
            r.await(1, NodeEvent.Kind.ONLINE, NOTICE, "first event, which the listener throws on");
            node1.close();
            r.await(1, NodeEvent.Kind.OFFLINE, NOTICE, "the event after a listener threw");
            assertTrue(s.isOpen(), "a throwing listener stays subscribed");
        }
    }

    @Test
    void listenerMayCloseItsOwnSubscription() throws Exception {
        ScifNode node0 = attach(0);
        attach(1);
        BlockingQueue<NodeEvent> got = new LinkedBlockingQueue<>();
        NodeSubscription[] self = new NodeSubscription[1];
        java.util.concurrent.CountDownLatch subscribed = new java.util.concurrent.CountDownLatch(1);
        self[0] = node0.addNodeListener(e -> {
            try {
                subscribed.await();
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            got.add(e);
            self[0].close();
        });
        subscribed.countDown();
        assertEquals(1, got.poll(NOTICE.toMillis(), TimeUnit.MILLISECONDS).node(), "node 1 online");
        awaitNoEventThread("after the only listener closed its own subscription");
        assertFalse(self[0].isOpen(), "closed by its listener");
    }

    @Test
    void noEventThreadOnceSubscriptionsOrNodeClose() throws Exception {
        ScifNode node0 = attach(0);
        assertFalse(eventThreadRunning(), "no event thread before any subscription");
        NodeSubscription a = node0.addNodeListener(e -> { });
        NodeSubscription b = node0.addNodeListener(e -> { });
        assertTrue(eventThreadRunning(), "an event thread while subscriptions are open");
        a.close();
        assertTrue(eventThreadRunning(), "the thread stays while one subscription is open");
        b.close();
        assertFalse(eventThreadRunning(), "the last close ends the event thread before it returns");

        NodeSubscription c = node0.addNodeListener(e -> { });
        assertTrue(eventThreadRunning(), "a new subscription starts a thread again");
        node0.close();
        assertFalse(eventThreadRunning(), "node close ends the event thread before it returns");
        assertFalse(c.isOpen(), "node close closes its subscriptions");
        assertErrno(Errno.EBADF, () -> node0.addNodeListener(e -> { }), "addNodeListener after close");
    }

    @Test
    void nullListenerIsRefused() throws ScifException {
        ScifNode node0 = attach(0);
        assertErrno(Errno.EINVAL, () -> node0.addNodeListener(null), "addNodeListener(null)");
        assertFalse(eventThreadRunning(), "a refused listener starts nothing");
    }

    private static boolean eventThreadRunning() {
        return Thread.getAllStackTraces().keySet().stream()
            .anyMatch(t -> t.isAlive() && t.getName().startsWith(EVENT_THREAD));
    }

    /** A listener that closes itself cannot wait for its own thread: the thread ends just after. */
    private static void awaitNoEventThread(String what) throws InterruptedException {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith(EVENT_THREAD)) {
                t.join(NOTICE.toMillis());
                assertFalse(t.isAlive(), "event thread still running " + what);
            }
        }
    }
}
