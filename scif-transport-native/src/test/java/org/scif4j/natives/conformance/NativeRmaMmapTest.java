package org.scif4j.natives.conformance;

import org.scif4j.tests.RmaMmapTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaMmapTest} on the native transport over the emulated libscif (node 0 native, others shm). */
class NativeRmaMmapTest extends RmaMmapTest {
    @Override
    protected TransportFixture newFixture() {
        return new NativeFixture();
    }
}
