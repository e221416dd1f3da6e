package org.scif4j.tcp.conformance;

import org.scif4j.tests.RmaFenceTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaFenceTest} on the tcp transport. */
class TcpRmaFenceTest extends RmaFenceTest {
    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture();
    }
}
