package org.scif4j.tcp.conformance;

import org.scif4j.tests.WindowTest;
import org.scif4j.tests.TransportFixture;

/** {@link WindowTest} on the tcp transport. */
class TcpWindowTest extends WindowTest {
    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture();
    }
}
