package org.scif4j.tcp.conformance;

import org.scif4j.tests.NodeEventTest;
import org.scif4j.tests.TransportFixture;

/** {@link NodeEventTest} on the tcp transport. */
class TcpNodeEventTest extends NodeEventTest {
    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture();
    }
}
