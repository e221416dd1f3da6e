package org.scif4j.tcp.conformance;

import org.scif4j.tests.RmaOffloadExampleTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaOffloadExampleTest} on the tcp transport. */
class TcpRmaOffloadExampleTest extends RmaOffloadExampleTest {
    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture();
    }
}
