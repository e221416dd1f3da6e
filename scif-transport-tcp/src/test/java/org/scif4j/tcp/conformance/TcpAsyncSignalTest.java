package org.scif4j.tcp.conformance;

import org.scif4j.tests.AsyncSignalTest;
import org.scif4j.tests.TransportFixture;

/** {@link AsyncSignalTest} on the tcp transport. */
class TcpAsyncSignalTest extends AsyncSignalTest {
    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture();
    }
}
