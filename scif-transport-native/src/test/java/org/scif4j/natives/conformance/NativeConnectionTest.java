package org.scif4j.natives.conformance;

import org.junit.jupiter.api.Test;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.tests.Async;
import org.scif4j.tests.ConnectionTest;
import org.scif4j.tests.TransportFixture;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link ConnectionTest} on the native transport over the emulated libscif (node 0 native, others shm). */
class NativeConnectionTest extends ConnectionTest {
    @Override
    protected TransportFixture newFixture() {
        return new NativeFixture();
    }

    /**
     * SCIF: a connect on an endpoint whose blocking connect is in progress fails at once with
     * EISCONN, and the first connect goes on. The native transport's blocking connect is a
     * non-blocking one and waits of its own, so it must say so itself. The first connect is in
     * progress once its request is queued at the listener (which reports POLLIN).
     */
    @Test
    void aSecondConnectDuringABlockingConnectIsEisconn() throws ScifException {
        try (Endpoint listener = listener(node1, 0, 4); Endpoint ep = open(node0)) {
            Async<Integer> first = async("connect", () -> ep.connect(listener.localPort()));
            awaitEvents(listener, Scif.POLLIN, Scif.POLLIN, "the first connect's request");
            assertErrno(Errno.EISCONN, () -> ep.connect(listener.localPort()), "a second connect meanwhile");
            try (Endpoint accepted = track(listener.accept(0))) {
                assertEquals(ep.localPort().port(), first.get(SOON), "the first connect completes");
                assertEquals(ep.localPort(), accepted.peerPort(), "accepted the first connect");
            }
        }
    }
}
