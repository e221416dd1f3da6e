package org.scif4j.natives.conformance;

import org.scif4j.tests.HotPathAllocationTest;
import org.scif4j.tests.TransportFixture;

/**
 * {@link HotPathAllocationTest} on the native transport over the emulated libscif: the calling
 * side (node 0) is native, so every measured call crosses into libscif; the peer is shm.
 */
class NativeHotPathAllocationTest extends HotPathAllocationTest {
    @Override
    protected TransportFixture newFixture() {
        return new NativeFixture();
    }
}
