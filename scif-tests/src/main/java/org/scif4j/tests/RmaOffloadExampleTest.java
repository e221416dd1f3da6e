package org.scif4j.tests;

import java.util.stream.LongStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.scif4j.Endpoint;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;
import org.scif4j.tests.examples.OffloadExample;
import org.scif4j.tests.process.PeerProcess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@link OffloadExample} works: in one JVM (its {@code run}), and across two processes,
 * this one the host (node 0) and a child JVM the card (node 1), where the card's readFrom,
 * writeTo and fenceSignal(INIT_SELF|SIGNAL_REMOTE) cross the process boundary (SCIF).
 */
@Tag("slow")
public abstract class RmaOffloadExampleTest extends ScifTestBase {
    @Test
    void runsInOneJvm() throws Exception {
        assertTrue(OffloadExample.run(fixture.fabricUri(0), fixture.fabricUri(1), 100_000),
            "every square right");
    }

    @Test
    void runsAcrossTwoProcesses() throws ScifException {
        ScifNode host = attach(0);
        PeerProcess card = startPeer(1);
        try (Endpoint listener = listener(host, 0, 1)) {
            int port = listener.localPort().port();
            Async<String> cardSide = async("card", () -> card.call("offload-card 0 " + port));
            long[] input = LongStream.range(0, 300_000).map(i -> i * 7 - 1_000_000).toArray();
            long[] squares = OffloadExample.host(host, listener, input);
            assertEquals("OK", cardSide.get(PeerProcess.REPLY_TIMEOUT), "the card side finished");
            assertArrayEquals(LongStream.of(input).map(v -> v * v).toArray(), squares,
                "the squares computed by the other process");
        }
    }
}
