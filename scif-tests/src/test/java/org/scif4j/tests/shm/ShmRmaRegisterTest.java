package org.scif4j.tests.shm;

import org.scif4j.tests.RmaRegisterTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaRegisterTest} on the shared-memory transport. */
class ShmRmaRegisterTest extends RmaRegisterTest {
    @Override
    protected TransportFixture newFixture() {
        return new ShmFixture();
    }
}
