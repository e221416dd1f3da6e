package org.scif4j.tcp.conformance;

import org.scif4j.tests.RmaConcurrencyTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaConcurrencyTest} on the tcp transport. */
class TcpRmaConcurrencyTest extends RmaConcurrencyTest {
    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture();
    }
}
