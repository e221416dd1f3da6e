package org.scif4j.natives.conformance;

import org.scif4j.tests.CloseTest;
import org.scif4j.tests.TransportFixture;

/** {@link CloseTest} on the native transport over the emulated libscif (node 0 native, others shm). */
class NativeCloseTest extends CloseTest {
    @Override
    protected TransportFixture newFixture() {
        return new NativeFixture();
    }
}
