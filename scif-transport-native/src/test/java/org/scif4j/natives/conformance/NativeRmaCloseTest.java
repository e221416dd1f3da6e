package org.scif4j.natives.conformance;

import org.scif4j.tests.RmaCloseTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaCloseTest} on the native transport over the emulated libscif (node 0 native, others shm). */
class NativeRmaCloseTest extends RmaCloseTest {
    @Override
    protected TransportFixture newFixture() {
        return new NativeFixture();
    }
}
