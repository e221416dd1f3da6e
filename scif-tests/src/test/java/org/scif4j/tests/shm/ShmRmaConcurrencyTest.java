package org.scif4j.tests.shm;

import org.scif4j.tests.RmaConcurrencyTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaConcurrencyTest} on the shared-memory transport. */
class ShmRmaConcurrencyTest extends RmaConcurrencyTest {
    @Override
    protected TransportFixture newFixture() {
        return new ShmFixture();
    }
}
