package org.scif4j.tests.shm;

import org.scif4j.tests.RmaOffloadExampleTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaOffloadExampleTest} on the shared-memory transport. */
class ShmRmaOffloadExampleTest extends RmaOffloadExampleTest {
    @Override
    protected TransportFixture newFixture() {
        return new ShmFixture();
    }
}
