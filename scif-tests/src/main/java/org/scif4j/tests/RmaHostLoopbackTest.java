package org.scif4j.tests;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Host loopback (SCIF): on a connection whose both ends are on
 * node 0, the host, every RMA is a synchronous CPU copy whatever its flags, so its bytes are in
 * place when the call returns; every fence mark is the constant 0xdead; fenceWait accepts only
 * that mark (any other: EINVAL); and fenceSignal stores its words before it returns. A loopback
 * connection on a card keeps the DMA engine and real marks.
 */
public abstract class RmaHostLoopbackTest extends RmaTestBase {
    private static final int RW = Scif.PROT_READ | Scif.PROT_WRITE;
    private static final int MARK = 0xdead;
    private static final int BYTES = 8 << 20;
    private static final long DATA = 1L << 32;
    private static final long WORDS = 1L << 33;

    /** A connection of node 0 with itself, and its two ends. */
    private Connection loop;
    private Endpoint a;
    private Endpoint b;
    private ByteBuffer aData;
    private ByteBuffer bData;
    private ByteBuffer aWords;
    private ByteBuffer bWords;

    @BeforeEach
    final void hostLoopback() throws ScifException {
        loop = connect(node0, node0);
        a = loop.connector();
        b = loop.acceptor();
        aData = windowAt(a, DATA, BYTES);
        bData = windowAt(b, DATA, BYTES);
        aWords = windowAt(a, WORDS, PAGE);
        bWords = windowAt(b, WORDS, PAGE);
    }

    @AfterEach
    final void closeLoopback() {
        if (loop != null) {
            loop.close();
        }
    }

    private ByteBuffer windowAt(Endpoint ep, long offset, int bytes) throws ScifException {
        ByteBuffer m = memory(node0, bytes);
        assertEquals(offset, ep.register(m, offset, RW, Scif.MAP_FIXED), "window at " + offset);
        return m;
    }

    @Test
    void everyFenceMarkIsTheLoopbackConstant() throws ScifException {
        assertEquals(MARK, a.fenceMark(Scif.FENCE_INIT_SELF), "INIT_SELF mark with nothing pending");
        aData.put(0, randomBytes(1, BYTES));
        a.writeTo(DATA, BYTES, DATA, 0);
        assertEquals(MARK, a.fenceMark(Scif.FENCE_INIT_SELF), "INIT_SELF mark behind a writeTo");
        b.readFrom(DATA, BYTES, DATA, 0);
        assertEquals(MARK, a.fenceMark(Scif.FENCE_INIT_PEER), "INIT_PEER mark behind the peer's readFrom");
        assertEquals(MARK, b.fenceMark(Scif.FENCE_INIT_PEER), "the other end's INIT_PEER mark");
        a.fenceWait(MARK);
        b.fenceWait(MARK);
        a.fenceWait(MARK); // a mark may be waited on more than once
    }

    @ParameterizedTest(name = "mark {0}")
    @ValueSource(ints = {0, 1, 5, 0xdeae, -1, Integer.MIN_VALUE | 0xdead})
    void fenceWaitRefusesAnyOtherMark(int mark) {
        assertErrno(Errno.EINVAL, () -> a.fenceWait(mark), "fenceWait(" + mark + ") on host loopback");
    }

    @ParameterizedTest(name = "flags {0}")
    @ValueSource(ints = {0, Scif.RMA_ORDERED, Scif.RMA_USECPU, Scif.RMA_SYNC})
    void rmaBytesAreInPlaceWhenTheCallReturns(int flags) throws ScifException {
        byte[] out = randomBytes(flags + 10, BYTES);
        aData.put(0, out);
        a.writeTo(DATA, BYTES, DATA, flags);
        assertSameBytes(out, bytes(bData, 0, BYTES), "writeTo's bytes on return");

        byte[] back = randomBytes(flags + 20, BYTES);
        bData.put(0, back);
        a.readFrom(DATA, BYTES, DATA, flags);
        assertSameBytes(back, bytes(aData, 0, BYTES), "readFrom's bytes on return");

        byte[] v = randomBytes(flags + 30, PAGE * 3 + 17);
        a.vwriteTo(ByteBuffer.wrap(v), DATA + 5, flags);
        assertSameBytes(v, bytes(bData, 5, v.length), "vwriteTo's bytes on return");
        ByteBuffer in = ByteBuffer.allocate(v.length);
        a.vreadFrom(in, DATA + 5, flags);
        assertSameBytes(v, in.array(), "vreadFrom's bytes on return");
    }

    @ParameterizedTest(name = "init {0}")
    @ValueSource(ints = {Scif.FENCE_INIT_SELF, Scif.FENCE_INIT_PEER})
    void fenceSignalStoresBothWordsBeforeItReturns(int init) throws ScifException {
        aData.put(0, randomBytes(3, BYTES));
        a.writeTo(DATA, BYTES, DATA, 0);
        a.fenceSignal(WORDS + 8, 0x1111L, WORDS + 16, 0x2222L, init | Scif.SIGNAL_LOCAL | Scif.SIGNAL_REMOTE);
        assertEquals(0x1111L, word(aWords, 8), "SIGNAL_LOCAL word on return");
        assertEquals(0x2222L, word(bWords, 16), "SIGNAL_REMOTE word on return");
        b.fenceSignal(WORDS + 24, 0x3333L, 0, 0, init | Scif.SIGNAL_LOCAL);
        assertEquals(0x3333L, word(bWords, 24), "the other end's SIGNAL_LOCAL word on return");
    }

    @Test
    void aCardLoopbackKeepsRealMarks() throws ScifException {
        Connection card = connect(node1, node1);
        try {
            cardLoopback(card);
        } finally {
            card.close();
        }
    }

    private void cardLoopback(Connection card) throws ScifException {
        Endpoint c = card.connector();
        ByteBuffer cData = memory(node1, BYTES);
        ByteBuffer dData = memory(node1, BYTES);
        assertEquals(DATA, c.register(cData, DATA, RW, Scif.MAP_FIXED), "card window");
        assertEquals(DATA, card.acceptor().register(dData, DATA, RW, Scif.MAP_FIXED), "card peer window");
        byte[] out = randomBytes(4, BYTES);
        cData.put(0, out);
        c.writeTo(DATA, BYTES, DATA, 0);
        int mark = c.fenceMark(Scif.FENCE_INIT_SELF);
        check(mark != MARK && mark >= 0, "a card's loopback mark is a real INIT_SELF mark: " + mark);
        c.fenceWait(mark);
        assertSameBytes(out, bytes(dData, 0, BYTES), "the card's writeTo after its fence");
    }
}
