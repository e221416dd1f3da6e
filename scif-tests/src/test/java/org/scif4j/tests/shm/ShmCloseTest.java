package org.scif4j.tests.shm;

import org.scif4j.tests.CloseTest;
import org.scif4j.tests.TransportFixture;

/** {@link CloseTest} on the shared-memory transport. */
class ShmCloseTest extends CloseTest {
    @Override
    protected TransportFixture newFixture() {
        return new ShmFixture();
    }
}
