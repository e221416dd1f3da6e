package org.scif4j.tests.shm;

import org.scif4j.tests.HotPathAllocationTest;
import org.scif4j.tests.TransportFixture;

/** {@link HotPathAllocationTest} on the shm transport. */
class ShmHotPathAllocationTest extends HotPathAllocationTest {
    @Override
    protected TransportFixture newFixture() {
        return new ShmFixture();
    }
}
