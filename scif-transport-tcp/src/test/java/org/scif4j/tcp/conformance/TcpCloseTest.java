package org.scif4j.tcp.conformance;

import org.scif4j.tests.CloseTest;
import org.scif4j.tests.TransportFixture;

/** {@link CloseTest} on the tcp transport. */
class TcpCloseTest extends CloseTest {
    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture();
    }
}
