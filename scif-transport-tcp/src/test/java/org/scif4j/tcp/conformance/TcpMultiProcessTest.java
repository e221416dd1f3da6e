package org.scif4j.tcp.conformance;

import org.junit.jupiter.api.extension.ExtendWith;
import org.scif4j.tests.MultiProcessTest;
import org.scif4j.tests.TransportFixture;

/** {@link MultiProcessTest} on the tcp transport. */
@ExtendWith(OneProcessPerNode.class)
class TcpMultiProcessTest extends MultiProcessTest {
    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture();
    }
}
