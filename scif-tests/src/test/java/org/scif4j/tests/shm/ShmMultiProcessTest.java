package org.scif4j.tests.shm;

import org.scif4j.tests.MultiProcessTest;
import org.scif4j.tests.TransportFixture;

/** {@link MultiProcessTest} on the shared-memory transport. */
class ShmMultiProcessTest extends MultiProcessTest {
    @Override
    protected TransportFixture newFixture() {
        return new ShmFixture();
    }
}
