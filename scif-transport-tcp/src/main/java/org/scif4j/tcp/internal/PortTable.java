package org.scif4j.tcp.internal;

import java.util.HashMap;
import java.util.Map;
import org.scif4j.Scif;

/**
 * The ports of one node: which are held, by how many endpoints (a listener and the endpoints
 * it accepted share one port, as in SCIF), and which endpoint listens on each. A port is free
 * again the moment its last holder releases it.
 */
final class PortTable {
    private static final int LAST_PORT = 65535;
    private final Map<Integer, Integer> holders = new HashMap<>();
    private final Map<Integer, TcpEndpoint> listeners = new HashMap<>();

    /** @return the lowest free port above {@link Scif#PORT_RSVD}, now held once, or -1 if none is free */
    synchronized int holdAny() {
        for (int p = Scif.PORT_RSVD + 1; p <= LAST_PORT; p++) {
            if (!holders.containsKey(p)) {
                holders.put(p, 1);
                return p;
            }
        }
        return -1;
    }

    /** @param port a port @return whether it was free and is now held once */
    synchronized boolean hold(int port) {
        return holders.putIfAbsent(port, 1) == null;
    }

    /** @param port a held port, which one more endpoint now shares */
    synchronized void share(int port) {
        holders.merge(port, 1, Integer::sum);
    }

    /** @param port a port one holder gives up; free once nobody holds it */
    synchronized void release(int port) {
        holders.computeIfPresent(port, (p, n) -> n > 1 ? n - 1 : null);
    }

    synchronized void listen(int port, TcpEndpoint listener) {
        listeners.put(port, listener);
    }

    synchronized void unlisten(int port, TcpEndpoint listener) {
        listeners.remove(port, listener);
    }

    /** @param port a port @return the endpoint listening on it, or null */
    synchronized TcpEndpoint listener(int port) {
        return listeners.get(port);
    }
}
