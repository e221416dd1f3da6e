package org.scif4j.tests.shm;

import org.scif4j.tests.AsyncSignalTest;
import org.scif4j.tests.TransportFixture;

/** {@link AsyncSignalTest} on the shared-memory transport. */
class ShmAsyncSignalTest extends AsyncSignalTest {
    @Override
    protected TransportFixture newFixture() {
        return new ShmFixture();
    }
}
