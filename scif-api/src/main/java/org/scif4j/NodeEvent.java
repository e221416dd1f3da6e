package org.scif4j;

import java.time.Instant;
import java.util.Objects;

/**
 * A node of the fabric went online or offline, as seen by one node attachment: what a
 * {@link NodeListener} is told. {@code node} is the SCIF node id (as in {@link NodeIds}),
 * {@code time} when this attachment noticed the change, which is within the transport's
 * liveness bound of the change itself (see the README's "Node events").
 *
 * <pre>{@code
 * try (NodeSubscription s = node.addNodeListener(e -> {
 *     if (e.kind() == NodeEvent.Kind.OFFLINE) {
 *         System.out.println("lost node " + e.node() + " at " + e.time());
 *     }
 * })) {
 *     ... // work; the listener runs on the node's event thread
 * }
 * }</pre>
 *
 * @param node the node id that changed
 * @param kind whether it came online or went offline
 * @param time when this attachment noticed it
 */
public record NodeEvent(int node, Kind kind, Instant time) {
    /** What happened to the node. */
    public enum Kind {
        /** The node is online: it appears in {@link ScifNode#nodeIds()} and can be connected to. */
        ONLINE,
        /** The node is offline (detached, its process died, or unreachable): it left {@code nodeIds()}. */
        OFFLINE
    }

    /** Checks the fields. */
    public NodeEvent {
        if (node < 0) {
            throw new IllegalArgumentException("node id " + node + " is negative");
        }
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(time, "time");
    }

    @Override
    public String toString() {
        return "node " + node + " " + kind + " at " + time;
    }
}
