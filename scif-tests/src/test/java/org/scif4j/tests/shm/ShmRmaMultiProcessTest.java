package org.scif4j.tests.shm;

import org.scif4j.tests.RmaMultiProcessTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaMultiProcessTest} on the shared-memory transport. */
class ShmRmaMultiProcessTest extends RmaMultiProcessTest {
    @Override
    protected TransportFixture newFixture() {
        return new ShmFixture();
    }
}
