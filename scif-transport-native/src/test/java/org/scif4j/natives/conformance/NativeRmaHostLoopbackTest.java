package org.scif4j.natives.conformance;

import org.scif4j.tests.RmaHostLoopbackTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaHostLoopbackTest} on the native transport over the emulated libscif (node 0 native, others shm). */
class NativeRmaHostLoopbackTest extends RmaHostLoopbackTest {
    @Override
    protected TransportFixture newFixture() {
        return new NativeFixture();
    }
}
