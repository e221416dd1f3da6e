package org.scif4j;

/**
 * A snapshot of one node attachment's counters, from {@link ScifNode#metrics()}: its endpoints'
 * lives and connections, and the sum of every endpoint's {@link EndpointMetrics} it ever opened
 * or accepted (closed ones included, so the totals never go down).
 *
 * <pre>{@code
 * NodeMetrics m = node.metrics();
 * System.out.printf("%d endpoints open, %d connects refused, %d peers lost, %d B sent%n",
 *     m.endpointsOpen(), m.connectsRefused(), m.peersLost(), m.totals().bytesSent());
 * }</pre>
 *
 * @param endpointsOpened endpoints {@link ScifNode#open} created and {@link Endpoint#accept}
 *                        returned, since the attachment
 * @param endpointsOpen   of those, the ones not yet closed
 * @param connects        connect calls that connected
 * @param accepts         accept calls that returned a connected endpoint
 * @param connectsRefused connect calls that ended with {@link Errno#ECONNREFUSED}
 * @param peersLost       connections of this node's endpoints whose peer went away first (closed
 *                        its end, or its process or node was lost), each counted once, when the
 *                        endpoint first learned of it
 * @param totals          the sum of the counters of every endpoint of this node
 */
public record NodeMetrics(long endpointsOpened, long endpointsOpen, long connects, long accepts,
                          long connectsRefused, long peersLost, EndpointMetrics totals) {
    /** A node that has done nothing yet. */
    public static final NodeMetrics ZERO = new NodeMetrics(0, 0, 0, 0, 0, 0, EndpointMetrics.ZERO);
}
