package org.scif4j.natives.conformance;

import org.scif4j.tests.MessagingTest;
import org.scif4j.tests.TransportFixture;

/** {@link MessagingTest} on the native transport over the emulated libscif (node 0 native, others shm). */
class NativeMessagingTest extends MessagingTest {
    @Override
    protected TransportFixture newFixture() {
        return new NativeFixture();
    }
}
