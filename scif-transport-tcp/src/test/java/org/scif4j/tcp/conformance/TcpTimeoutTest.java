package org.scif4j.tcp.conformance;

import org.scif4j.tests.TimeoutTest;
import org.scif4j.tests.TransportFixture;

/** {@link TimeoutTest} on the tcp transport. */
class TcpTimeoutTest extends TimeoutTest {
    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture();
    }
}
