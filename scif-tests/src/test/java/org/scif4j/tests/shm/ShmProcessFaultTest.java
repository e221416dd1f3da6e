package org.scif4j.tests.shm;

import org.scif4j.tests.ProcessFaultTest;
import org.scif4j.tests.TransportFixture;

/** {@link ProcessFaultTest} on the shared-memory transport. */
class ShmProcessFaultTest extends ProcessFaultTest {
    @Override
    protected TransportFixture newFixture() {
        return new ShmFixture();
    }
}
