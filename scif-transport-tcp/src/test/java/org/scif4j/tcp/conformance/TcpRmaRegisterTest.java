package org.scif4j.tcp.conformance;

import org.scif4j.tests.RmaRegisterTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaRegisterTest} on the tcp transport. */
class TcpRmaRegisterTest extends RmaRegisterTest {
    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture();
    }
}
