package org.scif4j.natives.conformance;

import org.scif4j.tests.PortTest;
import org.scif4j.tests.TransportFixture;

/** {@link PortTest} on the native transport over the emulated libscif (node 0 native, others shm). */
class NativePortTest extends PortTest {
    @Override
    protected TransportFixture newFixture() {
        return new NativeFixture();
    }
}
