package org.scif4j.tests.shm;

import org.scif4j.tests.ConnectionTest;
import org.scif4j.tests.TransportFixture;

/** {@link ConnectionTest} on the shared-memory transport. */
class ShmConnectionTest extends ConnectionTest {
    @Override
    protected TransportFixture newFixture() {
        return new ShmFixture();
    }
}
