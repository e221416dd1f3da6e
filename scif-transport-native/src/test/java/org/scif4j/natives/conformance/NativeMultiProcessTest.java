package org.scif4j.natives.conformance;

import org.scif4j.tests.MultiProcessTest;
import org.scif4j.tests.TransportFixture;

/** {@link MultiProcessTest} on the native transport over the emulated libscif (node 0 native, others shm). */
class NativeMultiProcessTest extends MultiProcessTest {
    @Override
    protected TransportFixture newFixture() {
        return new NativeFixture();
    }
}
