package org.scif4j.natives.conformance;

import org.scif4j.tests.RmaFenceTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaFenceTest} on the native transport over the emulated libscif (node 0 native, others shm). */
class NativeRmaFenceTest extends RmaFenceTest {
    @Override
    protected TransportFixture newFixture() {
        return new NativeFixture();
    }
}
