package org.scif4j.tcp.conformance;

import org.scif4j.tests.RmaFenceTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaFenceTest} on the tcp transport with Netty's native epoll (io=epoll). */
class TcpEpollRmaFenceTest extends RmaFenceTest {
    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture("epoll");
    }
}
