package org.scif4j.natives.conformance;

import org.scif4j.tests.ConnectionTest;
import org.scif4j.tests.TransportFixture;

/** {@link ConnectionTest} on the native transport over the emulated libscif (node 0 native, others shm). */
class NativeConnectionTest extends ConnectionTest {
    @Override
    protected TransportFixture newFixture() {
        return new NativeFixture();
    }
}
