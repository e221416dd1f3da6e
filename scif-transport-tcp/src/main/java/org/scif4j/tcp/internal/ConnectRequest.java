package org.scif4j.tcp.internal;

/**
 * A connection request queued on a listener until accepted.
 *
 * @param node          the connecting node
 * @param incarnation   that node's incarnation when it asked
 * @param connector     the connecting endpoint's wire id on that node
 * @param connectorPort the connecting endpoint's port
 * @param ring          the connector's window per direction
 */
record ConnectRequest(int node, long incarnation, long connector, int connectorPort, int ring) {
}
