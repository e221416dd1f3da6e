package org.scif4j.tests.shm;

import org.scif4j.tests.TimeoutTest;
import org.scif4j.tests.TransportFixture;

/** {@link TimeoutTest} on the shared-memory transport. */
class ShmTimeoutTest extends TimeoutTest {
    @Override
    protected TransportFixture newFixture() {
        return new ShmFixture();
    }
}
