package org.scif4j.tests;

import org.scif4j.natives.conformance.NativeFixture;

/**
 * {@link RmaFenceTest} on the native transport over the emulated libscif, beside shm: nodes of
 * the same process (whose memory files share libscif's mem-PID-SEQ names: libscif skips the
 * names they hold).
 */
class NativeRmaFenceTest extends RmaFenceTest {
    @Override
    protected TransportFixture newFixture() {
        return new NativeFixture();
    }
}
