package org.scif4j.tests.shm;

import org.scif4j.tests.MessagingTest;
import org.scif4j.tests.TransportFixture;

/** {@link MessagingTest} on the shared-memory transport. */
class ShmMessagingTest extends MessagingTest {
    @Override
    protected TransportFixture newFixture() {
        return new ShmFixture();
    }
}
