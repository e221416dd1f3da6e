package org.scif4j.tcp.conformance;

import org.scif4j.tests.PollTest;
import org.scif4j.tests.TransportFixture;

/** {@link PollTest} on the tcp transport with Netty's native epoll (io=epoll). */
class TcpEpollPollTest extends PollTest {
    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture("epoll");
    }
}
