package org.scif4j.examples;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.scif4j.NodeEvent;
import org.scif4j.NodeSubscription;
import org.scif4j.Scif;
import org.scif4j.ScifNode;

/**
 * Watching nodes come and go: the host subscribes to node events, then a card attaches and
 * detaches, and the host is told ONLINE then OFFLINE. A program that serves cards would start
 * or stop its work for a card from such events instead of polling {@code nodeIds()}.
 *
 * <p>The listener runs on the host node's event thread and should return quickly, so here it
 * only hands each event to the main thread through a queue. A node whose process dies is
 * reported the same way (within the transport's liveness bound: see the README's "Node
 * events").
 *
 * <p>Run: {@code java ... org.scif4j.examples.NodeWatch [HOST-URI CARD-URI]}, by default two
 * nodes of a fresh shm fabric. Works on tcp too.
 */
public final class NodeWatch {
    /** How long the example waits for an event before it gives up (against hangs only). */
    private static final long PATIENCE_SECONDS = 30;

    private NodeWatch() {
    }

    /**
     * Runs the host and attaches and detaches the card.
     *
     * @param args none, or the host's and the card's fabric URI
     * @throws Exception if a SCIF call fails or an event does not come
     */
    public static void main(String[] args) throws Exception {
        String[] uris = Fabrics.hostAndCard(args, "nodewatch");
        BlockingQueue<NodeEvent> events = new LinkedBlockingQueue<>();
        try (ScifNode host = Scif.attach(uris[0])) {
            NodeSubscription watch = host.addNodeListener(events::add); // first: the nodes online now
            try {
                System.out.println("host: node " + host.selfId() + " watches the fabric");
                int card;
                try (ScifNode cardNode = Scif.attach(uris[1])) {
                    card = cardNode.selfId();
                    report(await(events, card, NodeEvent.Kind.ONLINE));
                }                                  // the card detaches here
                report(await(events, card, NodeEvent.Kind.OFFLINE));
            } finally {
                watch.close();                     // no event after this; the event thread has ended
            }
        }
    }

    /** Waits for {@code kind} of node {@code node}, skipping events of other nodes. */
    private static NodeEvent await(BlockingQueue<NodeEvent> events, int node, NodeEvent.Kind kind)
        throws InterruptedException {
        while (true) {
            NodeEvent e = events.poll(PATIENCE_SECONDS, TimeUnit.SECONDS);
            if (e == null) {
                throw new IllegalStateException("no " + kind + " event for node " + node + " within "
                    + PATIENCE_SECONDS + " s");
            }
            if (e.node() == node && e.kind() == kind) {
                return e;
            }
        }
    }

    private static void report(NodeEvent e) {
        System.out.println("host: node " + e.node() + " is " + e.kind().name().toLowerCase(java.util.Locale.ROOT)
            + " (noticed at " + e.time() + ")");
    }
}
