package org.scif4j.tests.shm;

import org.scif4j.tests.MetricsTest;
import org.scif4j.tests.TransportFixture;

/** {@link MetricsTest} on the shared-memory transport. */
class ShmMetricsTest extends MetricsTest {
    @Override
    protected TransportFixture newFixture() {
        return new ShmFixture();
    }
}
