package org.scif4j;

/**
 * This process's attachment to one node of a fabric; the factory of endpoints. Obtained from
 * {@link Scif#attach(String)}. Closing it closes every endpoint it opened.
 */
public interface ScifNode extends AutoCloseable {
    /** @return the id of the node this attachment is (0 is the host) */
    int selfId();

    /**
     * {@code scif_get_nodeIDs}: the online nodes of the fabric.
     *
     * @return self and the online node ids, ascending
     * @throws ScifException if the fabric cannot be read
     */
    NodeIds nodeIds() throws ScifException;

    /**
     * {@code scif_open}: a new endpoint in state UNBOUND.
     *
     * @return the endpoint
     * @throws ScifException ENOMEM when no endpoint can be created, EBADF after close
     */
    Endpoint open() throws ScifException;

    /**
     * Page-aligned memory that {@link Endpoint#register} accepts; the zero-copy path.
     *
     * @param bytes the size, rounded up to whole pages
     * @return the memory
     * @throws ScifException EINVAL for a size that is not positive, ENOMEM when none is left
     */
    ScifMemory allocate(long bytes) throws ScifException;

    /**
     * Registers a listener told of other nodes going online and offline, within the transport's
     * liveness bound (README, "Node events"). It first hears ONLINE for each node online now,
     * then every change, in order, on this attachment's event thread. Closing the subscription
     * (or this node) stops delivery; with no subscription open no thread runs.
     *
     * <pre>{@code
     * try (ScifNode node = Scif.attach("shm:demo?node=0");
     *      NodeSubscription s = node.addNodeListener(e -> System.out.println(e))) {
     *     ... // prints "node 1 ONLINE at ..." when node 1 attaches
     * }
     * }</pre>
     *
     * <p>The default throws EOPNOTSUPP, for node implementations outside this project; every
     * scif4j transport overrides it.
     *
     * @param listener told of every change
     * @return the subscription; close it to stop delivery
     * @throws ScifException EINVAL for a null listener, EBADF after close, EOPNOTSUPP where
     *                       the implementation has no node events
     */
    default NodeSubscription addNodeListener(NodeListener listener) throws ScifException {
        throw ScifException.of("addNodeListener(" + listener + ")", Errno.EOPNOTSUPP,
            getClass().getName() + " does not report node events");
    }

    /**
     * A snapshot of this attachment's counters: endpoints opened and open, connects, accepts,
     * refused connects, lost peers, and the totals of every endpoint it opened or accepted
     * (closed ones included). Valid after close.
     *
     * <pre>{@code
     * NodeMetrics m = node.metrics();
     * System.out.println(m.peersLost() + " peers lost, " + m.totals().bytesReceived() + " B received");
     * }</pre>
     *
     * @return the counts now
     */
    NodeMetrics metrics();

    /** Closes every endpoint this attachment opened and detaches; idempotent. */
    @Override
    void close();
}
