package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The wire format of a tcp link (docs/tcp-protocol.md): every frame is a 4-byte big-endian
 * length of what follows, a 1-byte type and a body whose size each type fixes (DATA: a header
 * and 1..{@link #MAX_DATA} payload bytes). Holds the constants and the frame builders; frames
 * are pooled direct buffers, released by Netty once written.
 */
final class Wire {
    /** "SCIF" in ASCII: the first field of HELLO and HELLO_ACK. */
    static final int MAGIC = 0x53434946;
    /** Protocol version; a peer with another one is refused at the handshake. */
    static final short VERSION = 1;
    /** Bytes of the random challenge each side sends. */
    static final int NONCE = 32;
    /** Bytes of an HMAC-SHA256 proof. */
    static final int PROOF = 32;
    /** Largest DATA payload: sends are cut into frames of at most this. */
    static final int MAX_DATA = 64 * 1024;
    /** Largest frame body (type included); a longer length prefix closes the link. */
    static final int MAX_FRAME = 1 + 8 + MAX_DATA;

    // Link frames: the handshake, liveness and orderly goodbye.
    static final byte HELLO = 1;
    static final byte HELLO_ACK = 2;
    static final byte AUTH = 3;
    static final byte HEARTBEAT = 4;
    static final byte BYE = 5;
    static final byte BYE_ACK = 6;
    // SCIF frames: only after the handshake.
    static final byte CONNECT_REQ = 16;
    static final byte CONNECT_ACK = 17;
    static final byte CONNECT_NAK = 18;
    static final byte CONNECT_CANCEL = 19;
    static final byte DATA = 20;
    static final byte CREDIT = 21;
    static final byte DISCONNECT = 22;
    static final byte DISCONNECT_ACK = 23;

    /** HELLO body after the type: magic, version, from, to, flags, incarnation, nonce. */
    static final int HELLO_BODY = 4 + 2 + 2 + 2 + 2 + 8 + NONCE;
    /** HELLO flag: the sender holds a fabric key and expects proof of it. */
    static final int FLAG_KEYED = 1;

    private Wire() {
    }

    /**
     * @param type a frame type
     * @return the exact body size after the type byte, or -1 for DATA (variable) or an unknown type
     */
    static int bodySize(byte type) {
        switch (type) {
            case HELLO: return HELLO_BODY;
            case HELLO_ACK: return HELLO_BODY + PROOF;
            case AUTH: return PROOF;
            case HEARTBEAT:
            case BYE:
            case BYE_ACK: return 0;
            case CONNECT_REQ: return 8 + 2 + 2 + 4;
            case CONNECT_ACK: return 8 + 8 + 4;
            case CONNECT_NAK: return 8 + 4;
            case CONNECT_CANCEL: return 8 + 2;
            case CREDIT: return 8 + 4;
            case DISCONNECT:
            case DISCONNECT_ACK: return 8;
            default: return -1;
        }
    }

    /** @param type a frame type @return its name, for log messages */
    static String name(byte type) {
        switch (type) {
            case HELLO: return "HELLO";
            case HELLO_ACK: return "HELLO_ACK";
            case AUTH: return "AUTH";
            case HEARTBEAT: return "HEARTBEAT";
            case BYE: return "BYE";
            case BYE_ACK: return "BYE_ACK";
            case CONNECT_REQ: return "CONNECT_REQ";
            case CONNECT_ACK: return "CONNECT_ACK";
            case CONNECT_NAK: return "CONNECT_NAK";
            case CONNECT_CANCEL: return "CONNECT_CANCEL";
            case DATA: return "DATA";
            case CREDIT: return "CREDIT";
            case DISCONNECT: return "DISCONNECT";
            case DISCONNECT_ACK: return "DISCONNECT_ACK";
            default: return "type " + (type & 0xff);
        }
    }

    /** @return a frame of {@code type} with room for {@code body} bytes, length and type written */
    static ByteBuf frame(ByteBufAllocator alloc, byte type, int body) {
        ByteBuf b = alloc.directBuffer(4 + 1 + body);
        return b.writeInt(1 + body).writeByte(type);
    }

    static ByteBuf empty(ByteBufAllocator alloc, byte type) {
        return frame(alloc, type, 0);
    }

    static ByteBuf connectRequest(ByteBufAllocator a, long connector, int connectorPort, int listenerPort, int ring) {
        return frame(a, CONNECT_REQ, bodySize(CONNECT_REQ)).writeLong(connector).writeShort(connectorPort)
            .writeShort(listenerPort).writeInt(ring);
    }

    static ByteBuf connectAck(ByteBufAllocator a, long connector, long acceptor, int ring) {
        return frame(a, CONNECT_ACK, bodySize(CONNECT_ACK)).writeLong(connector).writeLong(acceptor).writeInt(ring);
    }

    static ByteBuf connectNak(ByteBufAllocator a, long connector, int errno) {
        return frame(a, CONNECT_NAK, bodySize(CONNECT_NAK)).writeLong(connector).writeInt(errno);
    }

    static ByteBuf connectCancel(ByteBufAllocator a, long connector, int listenerPort) {
        return frame(a, CONNECT_CANCEL, bodySize(CONNECT_CANCEL)).writeLong(connector).writeShort(listenerPort);
    }

    static ByteBuf credit(ByteBufAllocator a, long endpoint, int bytes) {
        return frame(a, CREDIT, bodySize(CREDIT)).writeLong(endpoint).writeInt(bytes);
    }

    static ByteBuf endpointFrame(ByteBufAllocator a, byte type, long endpoint) {
        return frame(a, type, 8).writeLong(endpoint);
    }

    /** @return a DATA frame header for {@code payload} bytes; the caller appends them */
    static ByteBuf dataHeader(ByteBufAllocator a, long endpoint, int payload) {
        return frame(a, DATA, 8 + payload).writeLong(endpoint);
    }
}
