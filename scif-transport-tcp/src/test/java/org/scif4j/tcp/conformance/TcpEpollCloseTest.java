package org.scif4j.tcp.conformance;

import org.scif4j.tests.CloseTest;
import org.scif4j.tests.TransportFixture;

/** {@link CloseTest} on the tcp transport with Netty's native epoll (io=epoll). */
class TcpEpollCloseTest extends CloseTest {
    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture("epoll");
    }
}
