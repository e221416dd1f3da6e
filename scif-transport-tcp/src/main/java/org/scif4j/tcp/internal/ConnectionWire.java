package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;

/**
 * The layout of the SCIF connection frames (docs/tcp-protocol.md, "SCIF frames"): connecting,
 * the byte stream and its credit, disconnecting. In one place: each field's offset from the
 * first body byte (the byte after the type), accessors that read a field of a received body in
 * place (at its reader index, which they do not move) and builders that put the fields of a
 * frame to send. Big-endian.
 */
final class ConnectionWire {
    /** u64 at 0: the connecting endpoint's wire id (CONNECT_REQ, CONNECT_ACK, CONNECT_NAK, CONNECT_CANCEL). */
    static final int CONNECTOR = 0;
    /** u16 at 8: the connecting endpoint's port (CONNECT_REQ). */
    static final int REQ_CONNECTOR_PORT = 8;
    /** u16 at 10: the port it connects to (CONNECT_REQ). */
    static final int REQ_LISTENER_PORT = 10;
    /** u32 at 12: the connector's receive window, a power of two >= 4096 (CONNECT_REQ). */
    static final int REQ_RING = 12;
    static final int CONNECT_REQ_SIZE = 16;
    /** u64 at 8: the accepted endpoint's wire id (CONNECT_ACK). */
    static final int ACK_ACCEPTOR = 8;
    /** u32 at 16: the acceptor's receive window (CONNECT_ACK). */
    static final int ACK_RING = 16;
    static final int CONNECT_ACK_SIZE = 20;
    /** u32 at 8: why the connection was refused, an errno (CONNECT_NAK). */
    static final int NAK_ERRNO = 8;
    static final int CONNECT_NAK_SIZE = 12;
    /** u16 at 8: the port the withdrawn request was for (CONNECT_CANCEL). */
    static final int CANCEL_LISTENER_PORT = 8;
    static final int CONNECT_CANCEL_SIZE = 10;

    /** u64 at 0: the receiving endpoint's wire id (DATA, CREDIT, DISCONNECT, DISCONNECT_ACK). */
    static final int ENDPOINT = 0;
    /**
     * u32 at 8: bytes of the opposite stream the frame's sender consumed since it last gave
     * credit, given back with the frame (DATA); 0 for none. See docs/tcp-protocol.md, "Flow control".
     */
    static final int DATA_CREDIT = 8;
    /** Bytes of a DATA body before its 1..{@link Wire#MAX_DATA} payload bytes. */
    static final int DATA_HEADER = 12;
    /** u32 at 8: bytes the receiver of the stream has consumed since its last CREDIT (CREDIT). */
    static final int CREDIT_BYTES = 8;
    static final int CREDIT_SIZE = 12;
    static final int DISCONNECT_SIZE = 8;

    private ConnectionWire() {
    }

    static long connector(ByteBuf body) {
        return body.getLong(body.readerIndex() + CONNECTOR);
    }

    static int requestConnectorPort(ByteBuf body) {
        return body.getUnsignedShort(body.readerIndex() + REQ_CONNECTOR_PORT);
    }

    static int requestListenerPort(ByteBuf body) {
        return body.getUnsignedShort(body.readerIndex() + REQ_LISTENER_PORT);
    }

    static int requestRing(ByteBuf body) {
        return body.getInt(body.readerIndex() + REQ_RING);
    }

    static long ackAcceptor(ByteBuf body) {
        return body.getLong(body.readerIndex() + ACK_ACCEPTOR);
    }

    static int ackRing(ByteBuf body) {
        return body.getInt(body.readerIndex() + ACK_RING);
    }

    static int nakErrno(ByteBuf body) {
        return body.getInt(body.readerIndex() + NAK_ERRNO);
    }

    static int cancelListenerPort(ByteBuf body) {
        return body.getUnsignedShort(body.readerIndex() + CANCEL_LISTENER_PORT);
    }

    static long endpoint(ByteBuf body) {
        return body.getLong(body.readerIndex() + ENDPOINT);
    }

    static int dataCredit(ByteBuf body) {
        return body.getInt(body.readerIndex() + DATA_CREDIT);
    }

    static int creditBytes(ByteBuf body) {
        return body.getInt(body.readerIndex() + CREDIT_BYTES);
    }

    static ByteBuf connectRequest(ByteBufAllocator a, long connector, int connectorPort, int listenerPort, int ring) {
        ByteBuf b = Wire.frame(a, Wire.CONNECT_REQ, CONNECT_REQ_SIZE);
        int at = b.writerIndex();
        b.setLong(at + CONNECTOR, connector).setShort(at + REQ_CONNECTOR_PORT, connectorPort)
            .setShort(at + REQ_LISTENER_PORT, listenerPort).setInt(at + REQ_RING, ring);
        return b.writerIndex(at + CONNECT_REQ_SIZE);
    }

    static ByteBuf connectAck(ByteBufAllocator a, long connector, long acceptor, int ring) {
        ByteBuf b = Wire.frame(a, Wire.CONNECT_ACK, CONNECT_ACK_SIZE);
        int at = b.writerIndex();
        b.setLong(at + CONNECTOR, connector).setLong(at + ACK_ACCEPTOR, acceptor).setInt(at + ACK_RING, ring);
        return b.writerIndex(at + CONNECT_ACK_SIZE);
    }

    static ByteBuf connectNak(ByteBufAllocator a, long connector, int errno) {
        ByteBuf b = Wire.frame(a, Wire.CONNECT_NAK, CONNECT_NAK_SIZE);
        int at = b.writerIndex();
        b.setLong(at + CONNECTOR, connector).setInt(at + NAK_ERRNO, errno);
        return b.writerIndex(at + CONNECT_NAK_SIZE);
    }

    static ByteBuf connectCancel(ByteBufAllocator a, long connector, int listenerPort) {
        ByteBuf b = Wire.frame(a, Wire.CONNECT_CANCEL, CONNECT_CANCEL_SIZE);
        int at = b.writerIndex();
        b.setLong(at + CONNECTOR, connector).setShort(at + CANCEL_LISTENER_PORT, listenerPort);
        return b.writerIndex(at + CONNECT_CANCEL_SIZE);
    }

    static ByteBuf credit(ByteBufAllocator a, long endpoint, int bytes) {
        ByteBuf b = a.directBuffer(Wire.FRAME_HEADER + CREDIT_SIZE);
        credit(b, endpoint, bytes);
        return b;
    }

    /** Appends a CREDIT frame to {@code b} (e.g. a {@link FrameScratch}'s buffer). */
    static void credit(ByteBuf b, long endpoint, int bytes) {
        int at = Wire.prefix(b, Wire.CREDIT, CREDIT_SIZE, CREDIT_SIZE);
        b.setLong(at + ENDPOINT, endpoint).setInt(at + CREDIT_BYTES, bytes);
        b.writerIndex(at + CREDIT_SIZE);
    }

    /** @param type DISCONNECT or DISCONNECT_ACK: a body of the endpoint alone */
    static ByteBuf endpointFrame(ByteBufAllocator a, byte type, long endpoint) {
        ByteBuf b = Wire.frame(a, type, DISCONNECT_SIZE);
        int at = b.writerIndex();
        b.setLong(at + ENDPOINT, endpoint);
        return b.writerIndex(at + DISCONNECT_SIZE);
    }

    /** Appends a DATA frame's prefix, type and header to {@code b}; its payload follows. */
    static ByteBuf dataHeader(ByteBuf b, long endpoint, int credit, int payload) {
        int at = Wire.prefix(b, Wire.DATA, DATA_HEADER + payload, DATA_HEADER);
        b.setLong(at + ENDPOINT, endpoint).setInt(at + DATA_CREDIT, credit);
        return b.writerIndex(at + DATA_HEADER);
    }

    /**
     * The next {@code n} bytes of {@code src} in DATA frames of at most {@link Wire#MAX_DATA}
     * for the peer's endpoint {@code dst}, all in one buffer: one write, one syscall when the
     * socket takes it, rather than one per frame. The first frame gives back {@code credit}.
     */
    static ByteBuf dataFrames(ByteBufAllocator a, ByteBuffer src, long dst, int credit, int n) {
        ByteBuf frames = a.directBuffer(Wire.framedSize(n, ConnectionWire.DATA_HEADER));
        int limit = src.limit();
        try {
            for (int off = 0; off < n; ) {
                int c = Math.min(Wire.MAX_DATA, n - off);
                dataHeader(frames, dst, off == 0 ? credit : 0, c);
                src.limit(src.position() + c);
                frames.writeBytes(src);
                off += c;
            }
        } finally {
            src.limit(limit);
        }
        return frames;
    }
}
