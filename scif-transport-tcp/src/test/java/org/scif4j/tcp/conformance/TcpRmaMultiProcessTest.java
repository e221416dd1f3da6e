package org.scif4j.tcp.conformance;

import org.scif4j.tests.RmaMultiProcessTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaMultiProcessTest} on the tcp transport. */
class TcpRmaMultiProcessTest extends RmaMultiProcessTest {
    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture();
    }
}
