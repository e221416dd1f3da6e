package org.scif4j.tcp.conformance;

import org.scif4j.tests.MetricsTest;
import org.scif4j.tests.TransportFixture;

/** {@link MetricsTest} on the tcp transport. */
class TcpMetricsTest extends MetricsTest {
    @Override
    protected TransportFixture newFixture() {
        return new TcpFixture();
    }
}
