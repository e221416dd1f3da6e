package org.scif4j.tests.shm;

import org.scif4j.tests.RmaTransferTest;
import org.scif4j.tests.TransportFixture;

/** {@link RmaTransferTest} on the shared-memory transport. */
class ShmRmaTransferTest extends RmaTransferTest {
    @Override
    protected TransportFixture newFixture() {
        return new ShmFixture();
    }

    /** Four DMA threads: large RMAs are split across them. */
    @Override
    protected String parallelDmaOptions() {
        return "dma=4";
    }
}
