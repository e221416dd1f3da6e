package org.scif4j.tcp.conformance;

import org.scif4j.tests.EndpointStateTest;
import org.scif4j.tests.TransportFixture;

/** {@link EndpointStateTest} on the tcp transport with Netty's native epoll (io=epoll). */
class TcpEpollEndpointStateTest extends EndpointStateTest {
    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture("epoll");
    }
}
