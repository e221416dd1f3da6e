package org.scif4j.tcp.conformance;

import org.scif4j.tests.MessagingTest;
import org.scif4j.tests.TransportFixture;

/** {@link MessagingTest} on the tcp transport. */
class TcpMessagingTest extends MessagingTest {
    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture();
    }
}
