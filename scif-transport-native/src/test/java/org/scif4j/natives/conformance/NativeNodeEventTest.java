package org.scif4j.natives.conformance;

import org.scif4j.tests.NodeEventTest;
import org.scif4j.tests.TransportFixture;

/** {@link NodeEventTest} on the native transport over the emulated libscif (node 0 native, others shm). */
class NativeNodeEventTest extends NodeEventTest {
    @Override
    protected TransportFixture newFixture() {
        return new NativeFixture();
    }
}
