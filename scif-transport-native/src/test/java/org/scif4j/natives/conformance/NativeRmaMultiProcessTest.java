package org.scif4j.natives.conformance;

import org.scif4j.tests.RmaMultiProcessTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaMultiProcessTest} on the native transport over the emulated libscif (node 0 native, others shm). */
class NativeRmaMultiProcessTest extends RmaMultiProcessTest {
    @Override
    protected TransportFixture newFixture() {
        return new NativeFixture();
    }
}
