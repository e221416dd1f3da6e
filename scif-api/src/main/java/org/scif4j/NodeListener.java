package org.scif4j;

/**
 * Told of nodes going online and offline; registered with {@link ScifNode#addNodeListener}.
 * A listener runs on the node attachment's event thread, one event at a time, in the order the
 * changes were noticed: for one node id, ONLINE and OFFLINE alternate. It should return soon
 * (the next events wait for it) and may call any SCIF method, including
 * {@link NodeSubscription#close()} of its own subscription. An exception it throws is logged
 * and does not stop later events.
 *
 * <pre>{@code
 * NodeListener reconnect = e -> {
 *     if (e.kind() == NodeEvent.Kind.ONLINE && e.node() == 1) {
 *         workQueue.add(() -> connectTo(e.node())); // hand the work to another thread
 *     }
 * };
 * NodeSubscription s = node.addNodeListener(reconnect);
 * }</pre>
 */
@FunctionalInterface
public interface NodeListener {
    /**
     * A node changed.
     *
     * @param event what changed, and when it was noticed
     */
    void onNodeEvent(NodeEvent event);
}
