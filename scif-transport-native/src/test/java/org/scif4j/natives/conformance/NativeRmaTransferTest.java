package org.scif4j.natives.conformance;

import org.scif4j.tests.RmaTransferTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaTransferTest} on the native transport over the emulated libscif (node 0 native, others shm). */
class NativeRmaTransferTest extends RmaTransferTest {
    @Override
    protected TransportFixture newFixture() {
        return new NativeFixture();
    }
}
