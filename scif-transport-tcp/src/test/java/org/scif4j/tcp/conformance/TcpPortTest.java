package org.scif4j.tcp.conformance;

import org.scif4j.tests.PortTest;
import org.scif4j.tests.TransportFixture;

/** {@link PortTest} on the tcp transport. */
class TcpPortTest extends PortTest {
    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture();
    }
}
