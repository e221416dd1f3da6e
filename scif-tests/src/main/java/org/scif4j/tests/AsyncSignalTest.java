package org.scif4j.tests;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifMemory;
import org.scif4j.tests.process.PeerProcess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * fenceSignalAsync: its future completes once the signalled words are stored (after the RMAs
 * the signal covers), for both INIT flags; a call the signal refuses gives a failed future; a
 * pending signal ends with ECONNRESET when the peer closes or its process is killed, and with
 * EBADF or EINTR when this endpoint closes. Also the ordering the future relies on: an
 * INIT_PEER mark taken after an INIT_PEER signal covers that signal.
 */
public abstract class AsyncSignalTest extends RmaTestBase {
    private static final int RW = Scif.PROT_READ | Scif.PROT_WRITE;
    private static final long L = 0x10_0000L;
    private static final long R = 0x400_0000L;
    /** Big enough that a writeTo of it goes to a DMA channel and takes a while. */
    private static final int BIG_PAGES = 2048;

    @Test
    void aSelfSignalCompletesAfterTheWriteItFollowsLanded() throws Exception {
        Windows mine = windows(local, node0, L, RW, BIG_PAGES);
        Windows theirs = windows(remote, node1, R, RW, BIG_PAGES, 1);
        mine.fill(11);
        long flag = theirs.end() - PAGE;
        local.writeTo(L, (long) BIG_PAGES * PAGE, R, 0);
        local.fenceSignalAsync(0, 0, flag, 0x5eed, Scif.FENCE_INIT_SELF | Scif.SIGNAL_REMOTE)
            .get(SOON.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(0x5eed, (long) LONGS.get(theirs.memory[1], 0), "the remote word is stored");
        assertSameBytes(mine.model, bytes(theirs.memory[0], 0, BIG_PAGES * PAGE),
            "the write the signal follows is complete");
    }

    @Test
    void aPeerSignalCompletesAfterThePeersWriteLanded() throws Exception {
        Windows mine = windows(local, node0, L, RW, BIG_PAGES, 1);
        Windows theirs = windows(remote, node1, R, RW, BIG_PAGES);
        theirs.fill(12);
        long flag = mine.end() - PAGE;
        remote.writeTo(R, (long) BIG_PAGES * PAGE, L, 0);
        local.fenceSignalAsync(flag, 77, 0, 0, Scif.FENCE_INIT_PEER | Scif.SIGNAL_LOCAL)
            .get(SOON.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(77, (long) LONGS.get(mine.memory[1], 0), "the local word is stored");
        assertSameBytes(theirs.model, bytes(mine.memory[0], 0, BIG_PAGES * PAGE),
            "the peer's write the signal waited for is complete");
    }

    @Test
    void bothWordsAreStoredWhenTheFutureCompletes() throws Exception {
        Windows mine = windows(local, node0, L, RW, 1);
        Windows theirs = windows(remote, node1, R, RW, 1);
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (int i = 1; i <= 32; i++) {
            int init = i % 2 == 0 ? Scif.FENCE_INIT_SELF : Scif.FENCE_INIT_PEER;
            futures.add(local.fenceSignalAsync(L + 8L * i, i, R + 8L * i, -i,
                init | Scif.SIGNAL_LOCAL | Scif.SIGNAL_REMOTE));
        }
        for (int i = 1; i <= 32; i++) {
            futures.get(i - 1).get(SOON.toMillis(), TimeUnit.MILLISECONDS);
            assertEquals(i, (long) LONGS.get(mine.memory[0], 8 * i), "local word " + i);
            assertEquals(-i, (long) LONGS.get(theirs.memory[0], 8 * i), "remote word " + i);
        }
    }

    @Test
    void anInitPeerMarkCoversTheInitPeerSignalsBeforeIt() throws Exception {
        Windows mine = windows(local, node0, L, RW, BIG_PAGES, 1);
        windows(remote, node1, R, RW, BIG_PAGES);
        mine.fill(13);
        long flag = mine.end() - PAGE;
        for (int round = 1; round <= 8; round++) {
            // Our own transfer first: a transport may run the signal behind it.
            local.writeTo(L, (long) BIG_PAGES * PAGE, R, 0);
            local.fenceSignal(flag, round, 0, 0, Scif.FENCE_INIT_PEER | Scif.SIGNAL_LOCAL);
            local.fenceWait(local.fenceMark(Scif.FENCE_INIT_PEER));
            assertEquals(round, (long) LONGS.get(mine.memory[1], 0),
                "the INIT_PEER signal before the INIT_PEER mark has stored its word, round " + round);
        }
    }

    @Test
    void aSignalTheCallRefusesGivesAFailedFuture() throws Exception {
        windows(local, node0, L, RW, 1);
        assertEquals(Errno.EINVAL, errnoOf(local.fenceSignalAsync(L, 1, 0, 0, Scif.SIGNAL_LOCAL)),
            "no INIT flag");
        assertEquals(Errno.EINVAL, errnoOf(local.fenceSignalAsync(L + 2, 1, 0, 0,
            Scif.FENCE_INIT_SELF | Scif.SIGNAL_LOCAL)), "an offset not 4-byte aligned");
        assertEquals(Errno.ENXIO, errnoOf(local.fenceSignalAsync(0, 0, R, 1,
            Scif.FENCE_INIT_PEER | Scif.SIGNAL_REMOTE)), "no window of the peer's there");
    }

    @Test
    void signalsEndWhenTheEndpointCloses() throws Exception {
        windows(local, node0, L, RW, 1);
        windows(remote, node1, R, RW, 1);
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            futures.add(local.fenceSignalAsync(L, i, R, i, (i % 2 == 0 ? Scif.FENCE_INIT_SELF
                : Scif.FENCE_INIT_PEER) | Scif.SIGNAL_LOCAL | Scif.SIGNAL_REMOTE));
        }
        local.close();
        for (CompletableFuture<Void> f : futures) {
            endsWithin(f, Errno.EBADF, Errno.EINTR);
        }
        assertEquals(Errno.EBADF, errnoOf(local.fenceSignalAsync(L, 1, R, 1,
            Scif.FENCE_INIT_SELF | Scif.SIGNAL_LOCAL)), "after close");
    }

    @Test
    void signalsEndWhenThePeerCloses() throws Exception {
        Windows mine = windows(local, node0, L, RW, BIG_PAGES);
        windows(remote, node1, R, RW, BIG_PAGES);
        mine.fill(14);
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            local.writeTo(L, (long) BIG_PAGES * PAGE, R, 0);
            futures.add(local.fenceSignalAsync(L, i, R, i, Scif.FENCE_INIT_SELF | Scif.SIGNAL_LOCAL));
        }
        remote.close();
        for (CompletableFuture<Void> f : futures) {
            endsWithin(f, Errno.ECONNRESET);
        }
        assertEquals(Errno.ECONNRESET, errnoOf(local.fenceSignalAsync(L, 1, 0, 0,
            Scif.FENCE_INIT_PEER | Scif.SIGNAL_LOCAL)), "a signal issued after the peer closed");
    }

    @Test
    void aPeerSignalPendingOnAKilledPeerEndsWithEconnreset() throws Exception {
        int size = 8 << 20;
        PeerProcess child = startPeer(2);
        int port = Integer.parseInt(child.ok("listen 0 4").get("port"));
        Endpoint ep = open(node0);
        Async<String> accept = async("child-accept", () -> child.call("accept"));
        ep.connect(port(2, port));
        check(accept.get(SOON).startsWith("OK"), "the child accepted");
        try (ScifMemory mine = node0.allocate(size)) {
            child.ok("reg-send " + size + " " + RW + " 31");
            ByteBuffer off = ByteBuffer.allocate(8);
            assertEquals(8, ep.recv(off, Scif.RECV_BLOCK), "the child's window offset");
            long theirs = off.getLong(0);
            long ours = ep.register(mine.buffer(), 0, RW, 0);
            child.ok("writeto-loop " + theirs + " " + size + " " + ours);
            assertEquals("LOOP n=1", child.awaitEvent(SOON), "the child's loop is running");
            List<CompletableFuture<Void>> futures = new ArrayList<>();
            for (int i = 0; i < 8; i++) { // each waits for the child's writes queued before it
                futures.add(ep.fenceSignalAsync(ours, i, 0, 0, Scif.FENCE_INIT_PEER | Scif.SIGNAL_LOCAL));
            }
            child.kill();
            for (CompletableFuture<Void> f : futures) {
                endsWithin(f, Errno.ECONNRESET);
            }
            awaitEvents(ep, Scif.POLLIN, Scif.POLLHUP, "the child's death is seen");
            assertEquals(Errno.ECONNRESET, errnoOf(ep.fenceSignalAsync(ours, 1, 0, 0,
                Scif.FENCE_INIT_PEER | Scif.SIGNAL_LOCAL)), "a signal issued after the child was killed");
        } finally {
            ep.close();
        }
    }

    /** The future ends in time: completed (it got through first), or failed with one of {@code allowed}. */
    private static void endsWithin(CompletableFuture<Void> f, Errno... allowed) throws InterruptedException {
        try {
            f.get(Duration.ofSeconds(30).toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            ScifException se = assertInstanceOf(ScifException.class, e.getCause(), "failed with a ScifException");
            assertTrue(List.of(allowed).contains(se.errno()), "failed with one of " + List.of(allowed) + ": " + se);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("the future neither completed nor failed in 30 s", e);
        }
    }

    private static Errno errnoOf(CompletableFuture<Void> f) {
        ExecutionException e = assertThrows(ExecutionException.class,
            () -> f.get(SOON.toMillis(), TimeUnit.MILLISECONDS), "the future failed");
        return assertInstanceOf(ScifException.class, e.getCause(), "with a ScifException").errno();
    }
}
