package org.scif4j.tests.shm;

import org.scif4j.tests.NodeEventTest;
import org.scif4j.tests.TransportFixture;

/** {@link NodeEventTest} on the shared-memory transport. */
class ShmNodeEventTest extends NodeEventTest {
    @Override
    protected TransportFixture newFixture() {
        return new ShmFixture();
    }
}
