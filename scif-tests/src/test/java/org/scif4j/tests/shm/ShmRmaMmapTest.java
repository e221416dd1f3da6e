package org.scif4j.tests.shm;

import org.scif4j.tests.RmaMmapTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaMmapTest} on the shared-memory transport. */
class ShmRmaMmapTest extends RmaMmapTest {
    @Override
    protected TransportFixture newFixture() {
        return new ShmFixture();
    }
}
