package org.scif4j.natives.conformance;

import org.scif4j.tests.AsyncSignalTest;
import org.scif4j.tests.TransportFixture;

/** {@link AsyncSignalTest} on the native transport over the emulated libscif (node 0 native, others shm). */
class NativeAsyncSignalTest extends AsyncSignalTest {
    @Override
    protected TransportFixture newFixture() {
        return new NativeFixture();
    }
}
