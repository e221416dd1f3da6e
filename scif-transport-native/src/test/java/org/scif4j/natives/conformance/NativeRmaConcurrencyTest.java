package org.scif4j.natives.conformance;

import org.scif4j.tests.RmaConcurrencyTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaConcurrencyTest} on the native transport over the emulated libscif (node 0 native, others shm). */
class NativeRmaConcurrencyTest extends RmaConcurrencyTest {
    @Override
    protected TransportFixture newFixture() {
        return new NativeFixture();
    }
}
