package org.scif4j.tests.shm;

import org.scif4j.tests.EndpointStateTest;
import org.scif4j.tests.TransportFixture;

/** {@link EndpointStateTest} on the shared-memory transport. */
class ShmEndpointStateTest extends EndpointStateTest {
    @Override
    protected TransportFixture newFixture() {
        return new ShmFixture();
    }
}
