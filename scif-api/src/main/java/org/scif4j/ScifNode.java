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
