package org.scif4j.tests;

import org.junit.jupiter.api.Test;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Ports (SCIF; docs/decisions.md): automatic allocation from 1089 upward,
 * lowest free first; explicit binds; EINVAL for a busy port; EACCES below 1024 before the state
 * check; immediate reuse after close; the port shared by a listener and the endpoints it
 * accepted; the automatic bind of connect.
 */
@SuppressWarnings("try") // tests close resources mid-test on purpose
public abstract class PortTest extends TwoNodeTestBase {
    @Test
    void bindZeroHandsOutLowestFreePortFrom1089() throws ScifException {
        try (Endpoint a = open(node0); Endpoint b = open(node0); Endpoint c = open(node0)) {
            assertEquals(Scif.PORT_RSVD + 1, a.bind(0), "first bind(0) on a fresh node");
            assertEquals(1090, b.bind(0), "second bind(0)");
            assertEquals(new org.scif4j.PortId(0, 1090), b.localPort(), "localPort() after bind(0)");
            a.close();
            assertEquals(1089, c.bind(0), "bind(0) reuses the lowest port freed by close at once");
        }
        try (Endpoint other = open(node1)) {
            assertEquals(1089, other.bind(0), "ports are per node: node 1 starts at 1089 too");
        }
    }

    @Test
    void explicitBindAndBusyPort() throws ScifException {
        try (Endpoint a = open(node0); Endpoint b = open(node0); Endpoint c = open(node1)) {
            assertEquals(5000, a.bind(5000), "bind(5000) returns the port");
            assertEquals(new org.scif4j.PortId(0, 5000), a.localPort(), "localPort() after bind");
            assertErrno(Errno.EINVAL, () -> b.bind(5000), "bind to a port in use on the node "
                + "(EINVAL, never EADDRINUSE: quirk 2)");
            assertEquals(0, b.localPort().port(), "a failed bind leaves the endpoint unbound");
            assertEquals(5000, c.bind(5000), "the same port on another node is free");
            assertEquals(1024, b.bind(1024), "the reserved range 1024..1088 is bindable");
        }
        try (Endpoint d = open(node0)) {
            assertEquals(1088, d.bind(1088), "PORT_RSVD itself is bindable explicitly");
        }
    }

    @Test
    void bindZeroSkipsPortsInUse() throws ScifException {
        try (Endpoint a = open(node0); Endpoint b = open(node0)) {
            a.bind(1089);
            assertEquals(1090, b.bind(0), "bind(0) skips a port bound explicitly");
        }
    }

    @Test
    void portsOutOfRange() throws ScifException {
        try (Endpoint a = open(node0)) {
            assertErrno(Errno.EINVAL, () -> a.bind(65536), "bind(65536)");
            assertErrno(Errno.EINVAL, () -> a.bind(-1), "bind(-1)");
            assertEquals(65535, a.bind(65535), "65535 is a valid port");
        }
    }

    @Test
    void privilegedPortsNeedPrivilegeInEveryState() throws ScifException {
        try (Endpoint unbound = open(node0); Endpoint bound = open(node0);
             Endpoint listening = listener(node0, 0, 1)) {
            bound.bind(0);
            assertErrno(Errno.EACCES, () -> unbound.bind(80), "bind(80) without privilege");
            assertErrno(Errno.EACCES, () -> unbound.bind(1), "bind(1) without privilege");
            assertErrno(Errno.EACCES, () -> unbound.bind(1023), "bind(1023) without privilege");
            assertErrno(Errno.EACCES, () -> bound.bind(80),
                "bind(80) on a BOUND endpoint: the privilege check comes before the state check");
            assertErrno(Errno.EACCES, () -> listening.bind(80),
                "bind(80) on a LISTENING endpoint: privilege is checked before state");
            check(unbound.bind(0) > Scif.PORT_RSVD, "after EACCES the endpoint was still unbound");
        }
    }

    @Test
    void portIsFreeImmediatelyAfterClose() throws ScifException {
        for (int i = 0; i < 3; i++) {
            try (Endpoint ep = open(node0)) {
                assertEquals(6000, ep.bind(6000), "bind(6000), round " + i);
            }
        }
        try (Endpoint l = listener(node0, 6001, 4)) {
            assertEquals(6001, l.localPort().port(), "listener port");
        }
        try (Endpoint again = open(node0)) {
            assertEquals(6001, again.bind(6001), "a closed listener's port is free at once");
        }
    }

    @Test
    void acceptedEndpointsShareTheListenersPort() throws ScifException {
        Endpoint listener = listener(node1, 7000, 4);
        Endpoint[] connectors = {open(node0), open(node0)};
        Endpoint[] accepted = new Endpoint[2];
        for (int i = 0; i < 2; i++) {
            Async<Endpoint> a = async("accept", () -> track(listener.accept(Scif.ACCEPT_SYNC)));
            int local = connectors[i].connect(port(1, 7000));
            accepted[i] = a.get(SOON);
            assertEquals(1089 + i, local, "connect auto-binds the lowest free port and returns it");
            assertEquals(port(0, local), connectors[i].localPort(), "connector's localPort()");
            assertEquals(port(1, 7000), accepted[i].localPort(),
                "an accepted endpoint reports the listener's port");
            assertEquals(port(1, 7000), connectors[i].peerPort(), "connector's peerPort()");
            assertEquals(connectors[i].localPort(), accepted[i].peerPort(),
                "accepted endpoint's peerPort() is the connector's port");
        }
        listener.close();
        try (Endpoint probe = open(node1)) {
            assertErrno(Errno.EINVAL, () -> probe.bind(7000),
                "the port stays busy while accepted endpoints are open");
            accepted[0].close();
            assertErrno(Errno.EINVAL, () -> probe.bind(7000),
                "the port stays busy while one accepted endpoint is open");
            accepted[1].close();
            assertEquals(7000, probe.bind(7000),
                "the port is free once the listener and all its accepted endpoints are closed");
        }
        for (Endpoint c : connectors) {
            c.close();
        }
    }

    @Test
    void disconnectedEndpointReleasesItsPort() throws ScifException {
        try (Connection c = connect(node0, node1)) {
            int port = c.connector().localPort().port();
            c.acceptor().close();
            awaitEvents(c.connector(), Scif.POLLIN, Scif.POLLHUP, "peer closed");
            try (Endpoint probe = open(node0)) {
                assertEquals(port, probe.bind(port), "a DISCONNECTED endpoint no longer owns its "
                    + "port (LNX rule, docs/decisions.md)");
            }
        }
    }

    @Test
    void connectAutoBindsAndKeepsPortAfterRefusal() throws ScifException {
        try (Endpoint busy = open(node0); Endpoint ep = open(node0)) {
            busy.bind(0);
            assertErrno(Errno.ECONNREFUSED, () -> ep.connect(port(1, 2050)),
                "connect with nobody listening");
            assertEquals(1090, ep.localPort().port(),
                "the refused connect bound the lowest free port and kept it");
            try (Endpoint l = listener(node1, 2050, 1)) {
                Async<Endpoint> a = async("accept", () -> track(l.accept(Scif.ACCEPT_SYNC)));
                assertEquals(1090, ep.connect(port(1, 2050)),
                    "the retry on the same endpoint returns the same local port");
                a.get(SOON).close();
            }
        }
    }
}
