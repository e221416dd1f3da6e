package org.scif4j.tcp.conformance;

import org.junit.jupiter.api.extension.ExtendWith;
import org.scif4j.tests.ProcessFaultTest;
import org.scif4j.tests.TransportFixture;

/** {@link ProcessFaultTest} on the tcp transport. */
@ExtendWith(OneProcessPerNode.class)
class TcpProcessFaultTest extends ProcessFaultTest {
    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture();
    }
}
