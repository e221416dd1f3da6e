package org.scif4j.natives.conformance;

import org.scif4j.tests.RmaOffloadExampleTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaOffloadExampleTest} on the native transport over the emulated libscif (node 0 native, others shm). */
class NativeRmaOffloadExampleTest extends RmaOffloadExampleTest {
    @Override
    protected TransportFixture newFixture() {
        return new NativeFixture();
    }
}
