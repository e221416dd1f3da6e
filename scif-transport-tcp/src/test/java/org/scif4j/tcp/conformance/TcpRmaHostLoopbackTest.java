package org.scif4j.tcp.conformance;

import org.scif4j.tests.RmaHostLoopbackTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaHostLoopbackTest} on the tcp transport. */
class TcpRmaHostLoopbackTest extends RmaHostLoopbackTest {
    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture();
    }
}
