package org.scif4j.tcp.conformance;

import org.scif4j.tests.RmaConcurrencyTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaConcurrencyTest} on the tcp transport with Netty's native epoll (io=epoll). */
class TcpEpollRmaConcurrencyTest extends RmaConcurrencyTest {
    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture("epoll");
    }
}
