package org.scif4j.tcp.conformance;

import org.scif4j.tests.ConnectionTest;
import org.scif4j.tests.TransportFixture;

/** {@link ConnectionTest} on the tcp transport with Netty's native epoll (io=epoll). */
class TcpEpollConnectionTest extends ConnectionTest {
    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture("epoll");
    }
}
