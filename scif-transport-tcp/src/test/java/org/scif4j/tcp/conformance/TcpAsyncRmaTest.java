package org.scif4j.tcp.conformance;

import org.scif4j.tests.AsyncRmaTest;
import org.scif4j.tests.TransportFixture;

/** {@link AsyncRmaTest} on the tcp transport. */
class TcpAsyncRmaTest extends AsyncRmaTest {
    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture();
    }
}
