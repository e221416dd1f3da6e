package org.scif4j.tests.shm;

import org.scif4j.tests.AdapterTest;
import org.scif4j.tests.TransportFixture;

/** {@link AdapterTest} on the shared-memory transport. */
class ShmAdapterTest extends AdapterTest {
    @Override
    protected TransportFixture newFixture() {
        return new ShmFixture();
    }
}
