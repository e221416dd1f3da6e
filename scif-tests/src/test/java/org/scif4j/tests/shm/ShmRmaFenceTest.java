package org.scif4j.tests.shm;

import org.scif4j.tests.RmaFenceTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaFenceTest} on the shared-memory transport. */
class ShmRmaFenceTest extends RmaFenceTest {
    @Override
    protected TransportFixture newFixture() {
        return new ShmFixture();
    }
}
