package org.scif4j.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The tcp wire format byte by byte (docs/tcp-protocol.md): each frame the flyweights build is
 * compared with its layout written out here by hand, field by field, so that any change to
 * the format, an offset, a size or a byte order, fails this test (and must go into the
 * document, with a new protocol version, first). Each frame is also read back through the
 * accessors, and its size checked against what a receiver requires of its type.
 */
class WireLayoutTest {
    private static final ByteBufAllocator A = UnpooledByteBufAllocator.DEFAULT;
    private static final long E = 0x0102030405060708L;
    private static final long OFFSET = 0x2122232425262728L;
    private static final long LENGTH = 0x3132333435363738L;
    private static final long VALUE = 0x6162636465666768L;
    private static final int SEQ = 0x41424344;
    private static final int REQUEST = 0x71727374;
    private static final int FLAGS = 0x51525354;

    /** Asserts the frame's bytes, then reads its body (after prefix and type) with {@code check}. */
    private static void assertFrame(String expectedHex, ByteBuf frame, Function<ByteBuf, Object> check) {
        try {
            assertEquals(expectedHex.replace(" ", ""), ByteBufUtil.hexDump(frame));
            byte type = frame.getByte(4);
            int body = frame.readableBytes() - Wire.FRAME_HEADER;
            assertEquals(body + 1, frame.getInt(0), "the length prefix counts the type and the body");
            int header = Wire.payloadHeader(type);
            if (header < 0) {
                assertEquals(Wire.bodySize(type), body, "the size a receiver requires of " + Wire.name(type));
            }
            if (check != null) {
                check.apply(frame.skipBytes(Wire.FRAME_HEADER));
            }
        } finally {
            frame.release();
        }
    }

    private static ByteBuf withPayload(ByteBuf b) {
        return b.writeInt(0xdeadbeef);
    }

    @Test
    void handshakeFrames() {
        byte[] nonce = new byte[32];
        byte[] proof = new byte[32];
        for (int i = 0; i < 32; i++) {
            nonce[i] = (byte) (0x20 + i);
            proof[i] = (byte) (0x40 + i);
        }
        String nonceHex = ByteBufUtil.hexDump(nonce);
        String proofHex = ByteBufUtil.hexDump(proof);
        String hello = "53434946 0002 0102 0304 0001 1112131415161718 " + nonceHex;
        assertFrame("00000035 01 " + hello, HandshakeWire.hello(A, 0x0102, 0x0304, 1, 0x1112131415161718L, nonce,
            null), b -> {
                assertEquals(HandshakeWire.MAGIC_VALUE, HandshakeWire.magic(b));
                assertEquals(2, HandshakeWire.version(b));
                assertEquals(0x0102, HandshakeWire.from(b));
                assertEquals(0x0304, HandshakeWire.to(b));
                assertEquals(HandshakeWire.FLAG_KEYED, HandshakeWire.flags(b));
                assertEquals(0x1112131415161718L, HandshakeWire.incarnation(b));
                assertArrayEquals(nonce, HandshakeWire.bytes(b, HandshakeWire.NONCE, HandshakeWire.NONCE_BYTES));
                return null;
            });
        assertFrame("00000055 02 " + hello + proofHex, HandshakeWire.hello(A, 0x0102, 0x0304, 1,
            0x1112131415161718L, nonce, proof), b -> {
                assertArrayEquals(proof, HandshakeWire.bytes(b, HandshakeWire.ACK_PROOF, HandshakeWire.PROOF_BYTES));
                return null;
            });
        assertFrame("00000021 03 " + proofHex, HandshakeWire.auth(A, proof), b -> {
            assertArrayEquals(proof, HandshakeWire.bytes(b, HandshakeWire.AUTH_PROOF, HandshakeWire.PROOF_BYTES));
            return null;
        });
        assertFrame("00000001 04", Wire.empty(A, Wire.HEARTBEAT), null);
        assertFrame("00000001 05", Wire.empty(A, Wire.BYE), null);
        assertFrame("00000001 06", Wire.empty(A, Wire.BYE_ACK), null);
    }

    @Test
    void connectionFrames() {
        assertFrame("00000011 10 0102030405060708 1234 5678 00010000",
            ConnectionWire.connectRequest(A, E, 0x1234, 0x5678, 0x10000), b -> {
                assertEquals(E, ConnectionWire.connector(b));
                assertEquals(0x1234, ConnectionWire.requestConnectorPort(b));
                assertEquals(0x5678, ConnectionWire.requestListenerPort(b));
                assertEquals(0x10000, ConnectionWire.requestRing(b));
                return null;
            });
        assertFrame("00000015 11 0102030405060708 0a0b0c0d0e0f1011 00020000",
            ConnectionWire.connectAck(A, E, 0x0a0b0c0d0e0f1011L, 0x20000), b -> {
                assertEquals(E, ConnectionWire.connector(b));
                assertEquals(0x0a0b0c0d0e0f1011L, ConnectionWire.ackAcceptor(b));
                assertEquals(0x20000, ConnectionWire.ackRing(b));
                return null;
            });
        assertFrame("0000000d 12 0102030405060708 0000006f", ConnectionWire.connectNak(A, E, 111), b -> {
            assertEquals(111, ConnectionWire.nakErrno(b));
            return null;
        });
        assertFrame("0000000b 13 0102030405060708 5678", ConnectionWire.connectCancel(A, E, 0x5678), b -> {
            assertEquals(E, ConnectionWire.connector(b));
            assertEquals(0x5678, ConnectionWire.cancelListenerPort(b));
            return null;
        });
        assertFrame("00000011 14 0102030405060708 00000400 deadbeef",
            withPayload(ConnectionWire.dataHeader(A.directBuffer(), E, 0x400, 4)), b -> {
                assertEquals(E, ConnectionWire.endpoint(b));
                assertEquals(0x400, ConnectionWire.dataCredit(b));
                assertEquals(ConnectionWire.DATA_HEADER, Wire.payloadHeader(Wire.DATA));
                return null;
            });
        assertFrame("0000000d 15 0102030405060708 00004000", ConnectionWire.credit(A, E, 0x4000), b -> {
            assertEquals(E, ConnectionWire.endpoint(b));
            assertEquals(0x4000, ConnectionWire.creditBytes(b));
            return null;
        });
        assertFrame("00000009 16 0102030405060708", ConnectionWire.endpointFrame(A, Wire.DISCONNECT, E), null);
        assertFrame("00000009 17 0102030405060708", ConnectionWire.endpointFrame(A, Wire.DISCONNECT_ACK, E), null);
    }

    @Test
    void windowFrames() {
        assertFrame("00000021 18 0102030405060708 11121314 2122232425262728 3132333435363738 00000003",
            RmaWire.windowAdd(A, E, 0x11121314, OFFSET, LENGTH, 3), b -> {
                assertEquals(E, RmaWire.endpoint(b));
                assertEquals(0x11121314, RmaWire.windowId(b));
                assertEquals(OFFSET, RmaWire.windowOffset(b));
                assertEquals(LENGTH, RmaWire.windowLength(b));
                assertEquals(3, RmaWire.windowProt(b));
                return null;
            });
        assertFrame("0000001d 19 0102030405060708 11121314 2122232425262728 3132333435363738",
            RmaWire.windowRemove(A, E, 0x11121314, OFFSET, LENGTH), b -> {
                assertEquals(OFFSET, RmaWire.windowOffset(b));
                assertEquals(LENGTH, RmaWire.windowLength(b));
                return null;
            });
        assertFrame("0000000d 1a 0102030405060708 11121314", RmaWire.endpointInt(A, Wire.WINDOW_ACK, E, 0x11121314),
            b -> {
                assertEquals(0x11121314, RmaWire.windowId(b));
                return null;
            });
    }

    @Test
    void operationFrames() {
        assertFrame("0000001a 1b 0102030405060708 41424344 2122232425262728 03 deadbeef",
            withPayload(RmaWire.writeHeader(A.directBuffer(), E, SEQ, OFFSET, 3, 4)), b -> {
                assertEquals(SEQ, RmaWire.seq(b));
                assertEquals(OFFSET, RmaWire.writeOffset(b));
                assertEquals(RmaWire.RMA_LAST | RmaWire.RMA_ORDERED, RmaWire.writeFlags(b));
                assertEquals(RmaWire.WRITE_HEADER, Wire.payloadHeader(Wire.RMA_WRITE));
                return null;
            });
        assertFrame("00000019 1c 0102030405060708 41424344 2122232425262728 00100000",
            RmaWire.read(A, E, SEQ, OFFSET, RmaWire.MAX_RMA), b -> {
                assertEquals(SEQ, RmaWire.seq(b));
                assertEquals(OFFSET, RmaWire.readOffset(b));
                assertEquals(RmaWire.MAX_RMA, RmaWire.readLength(b));
                return null;
            });
        assertFrame("00000012 1d 0102030405060708 41424344 01 deadbeef",
            withPayload(RmaWire.dataHeader(A.directBuffer(), E, SEQ, RmaWire.RMA_LAST, 4)), b -> {
                assertEquals(SEQ, RmaWire.seq(b));
                assertEquals(RmaWire.RMA_LAST, RmaWire.dataFlags(b));
                assertEquals(RmaWire.DATA_HEADER, Wire.payloadHeader(Wire.RMA_DATA));
                return null;
            });
        assertFrame("0000000d 1e 0102030405060708 41424344", RmaWire.endpointInt(A, Wire.RMA_DONE, E, SEQ), b -> {
            assertEquals(SEQ, RmaWire.seq(b));
            return null;
        });
        assertFrame("00000021 1f 0102030405060708 41424344 51525354 2122232425262728 6162636465666768",
            RmaWire.signal(A, E, SEQ, FLAGS, OFFSET, VALUE), b -> {
                assertEquals(SEQ, RmaWire.seq(b));
                assertEquals(FLAGS, RmaWire.signalFlags(b));
                assertEquals(OFFSET, RmaWire.signalOffset(b));
                assertEquals(VALUE, RmaWire.signalValue(b));
                return null;
            });
    }

    @Test
    void fenceFrames() {
        assertFrame("0000000d 20 0102030405060708 71727374", RmaWire.endpointInt(A, Wire.MARK_REQ, E, REQUEST), b -> {
            assertEquals(REQUEST, RmaWire.request(b));
            return null;
        });
        assertFrame("00000011 21 0102030405060708 71727374 81828384", RmaWire.markAck(A, E, REQUEST, 0x81828384),
            b -> {
                assertEquals(REQUEST, RmaWire.request(b));
                assertEquals(0x81828384, RmaWire.mark(b));
                return null;
            });
        assertFrame("00000011 22 0102030405060708 71727374 41424344", RmaWire.waitRequest(A, E, REQUEST, SEQ), b -> {
            assertEquals(REQUEST, RmaWire.request(b));
            assertEquals(SEQ, RmaWire.waitSeq(b));
            return null;
        });
        assertFrame("0000000d 23 0102030405060708 71727374", RmaWire.endpointInt(A, Wire.WAIT_ACK, E, REQUEST), null);
        assertFrame("00000031 24 0102030405060708 71727374 51525354 2122232425262728 6162636465666768"
                + " 9192939495969798 a1a2a3a4a5a6a7a8",
            RmaWire.peerSignal(A, E, REQUEST, FLAGS, OFFSET, VALUE, 0x9192939495969798L, 0xa1a2a3a4a5a6a7a8L), b -> {
                assertEquals(REQUEST, RmaWire.request(b));
                assertEquals(FLAGS, RmaWire.peerSignalFlags(b));
                assertEquals(OFFSET, RmaWire.peerSignalLocalOffset(b));
                assertEquals(VALUE, RmaWire.peerSignalLocalValue(b));
                assertEquals(0x9192939495969798L, RmaWire.peerSignalRemoteOffset(b));
                assertEquals(0xa1a2a3a4a5a6a7a8L, RmaWire.peerSignalRemoteValue(b));
                return null;
            });
        assertFrame("0000000d 25 0102030405060708 71727374", RmaWire.endpointInt(A, Wire.PEER_SIGNAL_ACK, E, REQUEST),
            null);
        assertFrame("00000019 26 0102030405060708 2122232425262728 6162636465666768",
            RmaWire.signalStore(A, E, OFFSET, VALUE), b -> {
                assertEquals(OFFSET, RmaWire.storeOffset(b));
                assertEquals(VALUE, RmaWire.storeValue(b));
                return null;
            });
    }

    @Test
    void boundsOfTheFraming() {
        assertEquals(65536, Wire.MAX_DATA);
        assertEquals(1 + 21 + 65536, Wire.MAX_FRAME, "the largest frame: an RMA_WRITE with a whole payload");
        assertEquals(1 << 20, RmaWire.MAX_RMA);
        // An operation of 64 KiB + 1 byte is two frames, each with its prefix, type and header.
        assertEquals(65537 + 2 * (5 + 21), Wire.framedSize(65537, RmaWire.WRITE_HEADER));
    }
}
