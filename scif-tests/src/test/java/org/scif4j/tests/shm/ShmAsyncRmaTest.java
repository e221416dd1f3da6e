package org.scif4j.tests.shm;

import org.scif4j.tests.AsyncRmaTest;
import org.scif4j.tests.TransportFixture;

/** {@link AsyncRmaTest} on the shared-memory transport. */
class ShmAsyncRmaTest extends AsyncRmaTest {
    @Override
    protected TransportFixture newFixture() {
        return new ShmFixture();
    }
}
