package org.scif4j.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.scif4j.Scif;
import org.scif4j.ScifMemory;
import org.scif4j.tcp.conformance.TcpFixture;

/**
 * writeTo and the owner's answer to readFrom send slices of the registered windows' memory
 * without copying it: the bytes that arrive are the window's at the right offsets, across
 * windows and frames, and a window the user rewrites once an RMA_SYNC call returned leaves
 * what arrived intact (the bytes left before the call completed).
 */
class ZeroCopyRmaTest {
    private static final int PORT = 3011;
    private static final int SMALL = 64 << 10;
    private static final int LARGE = 1 << 20;
    /** Crosses the two windows of the initiator and cuts 17 frames, the last one short. */
    private static final int LENGTH = LARGE + 5000;
    private static final int START = 4096 + 3;

    private final TcpFixture fabric = new TcpFixture();
    private Honest.Pair pair;
    private ScifMemory small;
    private ScifMemory large;
    private ScifMemory remote;

    @BeforeEach
    void connect() throws Exception {
        pair = new Honest.Pair(fabric, "", PORT);
        small = pair.node1.allocate(SMALL);
        large = pair.node1.allocate(LARGE);
        remote = pair.node0.allocate(2 * LARGE);
        int prot = Scif.PROT_READ | Scif.PROT_WRITE;
        pair.client.register(small.buffer(), 0, prot, Scif.MAP_FIXED);
        pair.client.register(large.buffer(), SMALL, prot, Scif.MAP_FIXED);
        pair.server.register(remote.buffer(), 0, prot, Scif.MAP_FIXED);
    }

    @AfterEach
    void close() throws Exception {
        if (pair != null) {
            pair.close();
        }
        fabric.assertNoLeftovers();
    }

    @Test
    void syncWriteToLeavesWhatArrivedWhenTheWindowIsRewritten() throws Exception {
        fill(1);
        pair.client.writeTo(START, LENGTH, 100, Scif.RMA_SYNC);
        fill(2); // after RMA_SYNC returned: the peer must keep the bytes of pattern 1
        ByteBuffer r = remote.buffer();
        for (int i = 0; i < LENGTH; i++) {
            assertEquals(pattern(1, START + i), r.get(100 + i), "byte " + i + " of the write");
        }
        assertEquals(0, r.get(99), "the byte before the write");
        assertEquals(0, r.get(100 + LENGTH), "the byte after the write");
    }

    @Test
    void readFromGetsTheOwnersWindowAtTheRightOffsets() throws Exception {
        ByteBuffer r = remote.buffer();
        for (int i = 0; i < r.capacity(); i++) {
            r.put(i, pattern(3, i));
        }
        pair.client.readFrom(START, LENGTH, 77, Scif.RMA_SYNC);
        for (int i = 0; i < LENGTH; i++) {
            assertEquals(pattern(3, 77 + i), local(START + i), "byte " + i + " of the read");
        }
    }

    @Test
    void framesAcrossMoreWindowsThanOneGatheringWriteTakes() throws Exception {
        // 80 one-page windows in a row on each side: a 64 KiB frame spans 16 or 17 of them,
        // so the 5 frames of an operation are more parts than one gathering write of
        // WindowCopy.send takes (64): it sends them in more than one.
        int page = 4096;
        int pages = 80;
        long at = 4L << 20;
        int prot = Scif.PROT_READ | Scif.PROT_WRITE;
        ScifMemory[] mine = new ScifMemory[pages];
        ScifMemory[] theirs = new ScifMemory[pages];
        for (int i = 0; i < pages; i++) {
            mine[i] = pair.node1.allocate(page);
            theirs[i] = pair.node0.allocate(page);
            pair.client.register(mine[i].buffer(), at + (long) i * page, prot, Scif.MAP_FIXED);
            pair.server.register(theirs[i].buffer(), at + (long) i * page, prot, Scif.MAP_FIXED);
            for (int j = 0; j < page; j++) {
                mine[i].buffer().put(j, pattern(4, i * page + j));
                theirs[i].buffer().put(j, pattern(5, i * page + j));
            }
        }
        int length = (pages - 2) * page - 100;
        // The owner answers from its 80 windows into our large window; we write from ours into its big one.
        pair.client.readFrom(SMALL, length, at + 50, Scif.RMA_SYNC);
        pair.client.writeTo(at + 50, length, 0, Scif.RMA_SYNC);
        ByteBuffer r = remote.buffer();
        for (int i = 0; i < length; i++) {
            if (large.buffer().get(i) != pattern(5, 50 + i)) {
                assertEquals(pattern(5, 50 + i), large.buffer().get(i), "byte " + i + " of the read");
            }
            if (r.get(i) != pattern(4, 50 + i)) {
                assertEquals(pattern(4, 50 + i), r.get(i), "byte " + i + " of the write");
            }
        }
    }

    /** Fills both initiator windows with pattern {@code p} of their RAS offsets. */
    private void fill(int p) {
        for (int i = 0; i < SMALL + LARGE; i++) {
            if (i < SMALL) {
                small.buffer().put(i, pattern(p, i));
            } else {
                large.buffer().put(i - SMALL, pattern(p, i));
            }
        }
    }

    private byte local(int rasOffset) {
        return rasOffset < SMALL ? small.buffer().get(rasOffset) : large.buffer().get(rasOffset - SMALL);
    }

    private static byte pattern(int p, int offset) {
        return (byte) (offset * 31 + offset / 65536 + p * 101 + 1);
    }
}
