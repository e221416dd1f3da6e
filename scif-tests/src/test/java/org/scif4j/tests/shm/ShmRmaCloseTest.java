package org.scif4j.tests.shm;

import org.scif4j.tests.RmaCloseTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaCloseTest} on the shared-memory transport. */
class ShmRmaCloseTest extends RmaCloseTest {
    @Override
    protected TransportFixture newFixture() {
        return new ShmFixture();
    }
}
