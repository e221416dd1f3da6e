package org.scif4j;

/**
 * A SCIF port address, {@code struct scif_portID}: a node id and a 16-bit port on that
 * node.
 *
 * @param node the node id (0 is the host)
 * @param port the port number on that node
 */
public record PortId(int node, int port) {
    @Override
    public String toString() {
        return node + ":" + port;
    }
}
