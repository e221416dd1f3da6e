package org.scif4j.tcp.conformance;

import org.scif4j.tests.MessagingTest;
import org.scif4j.tests.TransportFixture;

/** {@link MessagingTest} on the tcp transport with Netty's native epoll (io=epoll). */
class TcpEpollMessagingTest extends MessagingTest {
    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture("epoll");
    }
}
