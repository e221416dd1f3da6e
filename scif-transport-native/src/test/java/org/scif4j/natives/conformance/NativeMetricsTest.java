package org.scif4j.natives.conformance;

import org.scif4j.tests.MetricsTest;
import org.scif4j.tests.TransportFixture;

/** {@link MetricsTest} on the native transport over the emulated libscif (node 0 native, others shm). */
class NativeMetricsTest extends MetricsTest {
    @Override
    protected TransportFixture newFixture() {
        return new NativeFixture();
    }
}
