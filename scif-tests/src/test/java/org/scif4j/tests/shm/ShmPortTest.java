package org.scif4j.tests.shm;

import org.scif4j.tests.PortTest;
import org.scif4j.tests.TransportFixture;

/** {@link PortTest} on the shared-memory transport. */
class ShmPortTest extends PortTest {
    @Override
    protected TransportFixture newFixture() {
        return new ShmFixture();
    }
}
