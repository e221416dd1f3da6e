package org.scif4j.natives.conformance;

import org.scif4j.tests.RmaRegisterTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaRegisterTest} on the native transport over the emulated libscif (node 0 native, others shm). */
class NativeRmaRegisterTest extends RmaRegisterTest {
    @Override
    protected TransportFixture newFixture() {
        return new NativeFixture();
    }
}
