package org.scif4j.tcp.conformance;

import org.scif4j.tests.RmaTransferTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaTransferTest} on the tcp transport with Netty's native epoll (io=epoll). */
class TcpEpollRmaTransferTest extends RmaTransferTest {
    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture("epoll");
    }
}
