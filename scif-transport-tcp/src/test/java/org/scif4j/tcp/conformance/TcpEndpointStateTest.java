package org.scif4j.tcp.conformance;

import org.scif4j.tests.EndpointStateTest;
import org.scif4j.tests.TransportFixture;

/** {@link EndpointStateTest} on the tcp transport. */
class TcpEndpointStateTest extends EndpointStateTest {
    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture();
    }
}
