package org.scif4j.tests.shm;

import org.scif4j.tests.PollTest;
import org.scif4j.tests.TransportFixture;

/** {@link PollTest} on the shared-memory transport. */
class ShmPollTest extends PollTest {
    @Override
    protected TransportFixture newFixture() {
        return new ShmFixture();
    }
}
