package org.scif4j.bench.cli;

import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.PollItem;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifException;

/**
 * Connects two endpoints of two nodes attached in this JVM, from one thread (non-blocking connect,
 * accept, collect): for the commands and the JMH benchmarks.
 */
public final class LocalPair {
    /** How long the connector's side of an accepted handshake may take to arrive. */
    private static final long HANDSHAKE_MILLIS = 10_000;

    private LocalPair() {
    }

    /**
     * @param connector an unbound endpoint of one node
     * @param listener  a listening endpoint of another node (or the same)
     * @return the endpoint {@code listener} accepted; {@code connector} is then connected to it
     * @throws ScifException if a SCIF call fails
     */
    public static Endpoint connect(Endpoint connector, Endpoint listener) throws ScifException {
        PortId to = listener.localPort();
        connector.configureBlocking(false);
        try {
            connector.connect(to);
        } catch (ScifException e) {
            if (e.errno() != Errno.EINPROGRESS) {
                throw e;
            }
        }
        Endpoint accepted = listener.accept(Scif.ACCEPT_SYNC);
        // On shm the accept completes the handshake at once; on tcp its answer is still on the
        // wire: wait for POLLOUT, as a non-blocking connect is meant to, before collecting it.
        Scif.poll(new PollItem[] {new PollItem(connector, Scif.POLLOUT)}, HANDSHAKE_MILLIS);
        connector.connect(to);
        connector.configureBlocking(true);
        return accepted;
    }
}
