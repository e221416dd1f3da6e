package org.scif4j.tcp.conformance;

import org.scif4j.tests.AdapterTest;
import org.scif4j.tests.TransportFixture;

/** {@link AdapterTest} on the tcp transport. */
class TcpAdapterTest extends AdapterTest {
    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture();
    }
}
