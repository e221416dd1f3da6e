package org.scif4j.natives.conformance;

import org.scif4j.tests.ProcessFaultTest;
import org.scif4j.tests.TransportFixture;

/** {@link ProcessFaultTest} on the native transport over the emulated libscif (node 0 native, others shm). */
class NativeProcessFaultTest extends ProcessFaultTest {
    @Override
    protected TransportFixture newFixture() {
        return new NativeFixture();
    }
}
