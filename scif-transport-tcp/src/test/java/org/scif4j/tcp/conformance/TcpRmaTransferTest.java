package org.scif4j.tcp.conformance;

import org.scif4j.tests.RmaTransferTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaTransferTest} on the tcp transport. */
class TcpRmaTransferTest extends RmaTransferTest {
    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture();
    }
}
