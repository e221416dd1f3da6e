package org.scif4j.tests.shm;

import org.scif4j.tests.WindowTest;
import org.scif4j.tests.TransportFixture;

/** {@link WindowTest} on the shared-memory transport. */
class ShmWindowTest extends WindowTest {
    @Override
    protected TransportFixture newFixture() {
        return new ShmFixture();
    }
}
