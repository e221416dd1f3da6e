package org.scif4j.tests.shm;

import org.scif4j.tests.RmaHostLoopbackTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaHostLoopbackTest} on the shared-memory transport. */
class ShmRmaHostLoopbackTest extends RmaHostLoopbackTest {
    @Override
    protected TransportFixture newFixture() {
        return new ShmFixture();
    }
}
