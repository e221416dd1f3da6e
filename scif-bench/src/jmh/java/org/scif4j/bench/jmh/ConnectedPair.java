package org.scif4j.bench.jmh;

import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;

/**
 * A connected pair of endpoints made in one thread, for the benchmarks' set-up: the connecting
 * side starts a non-blocking connect, the listening side accepts it, and the connect is then
 * completed blocking (one thread cannot block in both connect and accept).
 */
final class ConnectedPair {
    /** The connecting node's endpoint. */
    final Endpoint connected;
    /** The listening node's endpoint, returned by accept. */
    final Endpoint accepted;

    private ConnectedPair(Endpoint connected, Endpoint accepted) {
        this.connected = connected;
        this.accepted = accepted;
    }

    /**
     * Connects an endpoint of {@code connecting} to a new listener of {@code listening}, and
     * closes the listener.
     *
     * @param listening the node that listens and accepts
     * @param connecting the node that connects (may be the same node)
     * @return the pair, both ends connected and blocking
     * @throws ScifException if a SCIF call fails
     */
    static ConnectedPair open(ScifNode listening, ScifNode connecting) throws ScifException {
        try (Endpoint listener = listening.open()) {
            int port = listener.bind(0);
            listener.listen(1);
            PortId to = new PortId(listening.nodeIds().self(), port);
            Endpoint connected = connecting.open();
            connected.configureBlocking(false);
            try {
                connected.connect(to);
            } catch (ScifException e) {
                if (e.errno() != Errno.EINPROGRESS) {
                    throw e;
                }
            }
            Endpoint accepted = listener.accept(Scif.ACCEPT_SYNC);
            connected.configureBlocking(true);
            connected.connect(to);
            return new ConnectedPair(connected, accepted);
        }
    }
}
