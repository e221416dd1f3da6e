package org.scif4j.tests;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * writeToAsync, readFromAsync, vwriteToAsync and vreadFromAsync: each future completes once
 * its data has arrived, many pending futures all complete, a call the RMA itself refuses gives
 * a failed future, and pending or later futures fail when the endpoint or its peer closes.
 */
public abstract class AsyncRmaTest extends RmaTestBase {
    private static final int RW = Scif.PROT_READ | Scif.PROT_WRITE;
    private static final long L = 0x10_0000L;
    private static final long R = 0x20_0000L;
    private static final int PAGES = 16;

    @Test
    void writeToAsyncCompletesWhenThePeerHasTheBytes() throws Exception {
        Windows mine = windows(local, node0, L, RW, PAGES);
        Windows theirs = windows(remote, node1, R, RW, PAGES);
        mine.fill(1);
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (int i = 0; i < PAGES; i++) {
            futures.add(local.writeToAsync(L + (long) i * PAGE, PAGE, R + (long) i * PAGE, 0));
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
            .get(SOON.toMillis(), TimeUnit.MILLISECONDS);
        assertSameBytes(mine.model, bytes(theirs.memory[0], 0, PAGES * PAGE),
            "every page written once every future completed");
    }

    @Test
    void readFromAsyncCompletesWhenTheLocalWindowHasTheBytes() throws Exception {
        Windows mine = windows(local, node0, L, RW, PAGES);
        Windows theirs = windows(remote, node1, R, RW, PAGES);
        theirs.fill(2);
        local.readFromAsync(L, (long) PAGES * PAGE, R, 0).get(SOON.toMillis(), TimeUnit.MILLISECONDS);
        assertSameBytes(theirs.model, bytes(mine.memory[0], 0, PAGES * PAGE), "read");
    }

    @Test
    void vAsyncVariantsMoveTheBuffersBytes() throws Exception {
        Windows theirs = windows(remote, node1, R, RW, 2);
        byte[] data = randomBytes(3, 2 * PAGE);
        local.vwriteToAsync(direct(data), R, 0).get(SOON.toMillis(), TimeUnit.MILLISECONDS);
        assertSameBytes(data, bytes(theirs.memory[0], 0, 2 * PAGE), "vwriteToAsync");
        ByteBuffer back = ByteBuffer.allocateDirect(2 * PAGE);
        local.vreadFromAsync(back, R, 0).get(SOON.toMillis(), TimeUnit.MILLISECONDS);
        assertSameBytes(data, bytes(back, 0, 2 * PAGE), "vreadFromAsync");
    }

    @Test
    void aCallTheRmaRefusesGivesAFailedFuture() {
        CompletableFuture<Void> f = local.writeToAsync(L, PAGE, R, 0); // no windows at all
        assertTrue(f.isCompletedExceptionally(), "failed at once: the call itself failed");
        assertEquals(Errno.ENXIO, errnoOf(f), "the RMA's own errno");
        assertEquals(Errno.ENXIO, errnoOf(local.vreadFromAsync(ByteBuffer.allocate(8), R, 0)),
            "a v-call naming no window of the peer's");
    }

    @Test
    void futuresFailWithEbadfOnceTheEndpointClosed() throws Exception {
        windows(local, node0, L, RW, 1);
        windows(remote, node1, R, RW, 1);
        local.close();
        assertEquals(Errno.EBADF, errnoOf(local.writeToAsync(L, PAGE, R, 0)), "after close");
    }

    @Test
    void futuresEndWhenThePeerClosesWhileTheyArePending() throws Exception {
        Windows mine = windows(local, node0, L, RW, PAGES);
        windows(remote, node1, R, RW, PAGES);
        mine.fill(4);
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            futures.add(local.writeToAsync(L, (long) PAGES * PAGE, R, 0));
        }
        remote.close();
        CompletableFuture<Void> after = local.writeToAsync(L, PAGE, R, 0);
        for (CompletableFuture<Void> f : futures) {
            // Each completed before the close took effect, or failed with the peer's loss.
            try {
                f.get(SOON.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                ScifException se = assertInstanceOf(ScifException.class, e.getCause());
                assertEquals(Errno.ECONNRESET, se.errno(), se.getMessage());
            }
        }
        assertEquals(Errno.ECONNRESET, errnoOf(after), "an RMA issued after the peer closed");
    }

    private static Errno errnoOf(CompletableFuture<Void> f) {
        ExecutionException e = assertThrows(ExecutionException.class,
            () -> f.get(SOON.toMillis(), TimeUnit.MILLISECONDS), "the future failed");
        return assertInstanceOf(ScifException.class, e.getCause(), "with a ScifException").errno();
    }
}
