package org.scif4j.tests.shm;

import org.scif4j.tests.RmaTransferTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaTransferTest} on the shared-memory transport. */
class ShmRmaTransferTest extends RmaTransferTest {
    @Override
    protected TransportFixture newFixture() {
        return new ShmFixture();
    }
}
