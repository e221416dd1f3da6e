package org.scif4j.tcp.conformance;

import org.scif4j.tests.RmaCloseTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaCloseTest} on the tcp transport. */
class TcpRmaCloseTest extends RmaCloseTest {
    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture();
    }
}
