package org.scif4j.natives.conformance;

import org.scif4j.tests.EndpointStateTest;
import org.scif4j.tests.TransportFixture;

/** {@link EndpointStateTest} on the native transport over the emulated libscif (node 0 native, others shm). */
class NativeEndpointStateTest extends EndpointStateTest {
    @Override
    protected TransportFixture newFixture() {
        return new NativeFixture();
    }
}
