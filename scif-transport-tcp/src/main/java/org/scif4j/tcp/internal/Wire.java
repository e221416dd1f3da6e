package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The framing of a tcp link (docs/tcp-protocol.md): every frame is a 4-byte big-endian length
 * of what follows, a 1-byte type and a body whose size each type fixes (DATA, RMA_WRITE and
 * RMA_DATA: a header and 1..{@link #MAX_DATA} payload bytes). Holds the frame types, the
 * bounds, and the size of each type's body; the bodies' layouts are {@link HandshakeWire},
 * {@link ConnectionWire} and {@link RmaWire}. Frames are pooled direct buffers, released by
 * Netty once written.
 */
final class Wire {
    /** Bytes before a frame's body: the length prefix and the type. */
    static final int FRAME_HEADER = 4 + 1;
    /** Largest DATA payload: sends are cut into frames of at most this. */
    static final int MAX_DATA = 64 * 1024;
    /** Largest frame body (type included); a longer length prefix closes the link. */
    static final int MAX_FRAME = 1 + RmaWire.WRITE_HEADER + MAX_DATA;

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
    // RMA frames (docs/tcp-protocol.md, "Registered memory and RMA").
    static final byte WINDOW_ADD = 24;
    static final byte WINDOW_REMOVE = 25;
    static final byte WINDOW_ACK = 26;
    static final byte RMA_WRITE = 27;
    static final byte RMA_READ = 28;
    static final byte RMA_DATA = 29;
    static final byte RMA_DONE = 30;
    static final byte SIGNAL = 31;
    static final byte MARK_REQ = 32;
    static final byte MARK_ACK = 33;
    static final byte WAIT_REQ = 34;
    static final byte WAIT_ACK = 35;
    static final byte PEER_SIGNAL = 36;
    static final byte PEER_SIGNAL_ACK = 37;
    static final byte SIGNAL_STORE = 38;

    private Wire() {
    }

    /**
     * @param type a frame type
     * @return the exact body size after the type byte, or -1 for DATA (variable) or an unknown type
     */
    static int bodySize(byte type) {
        switch (type) {
            case HELLO: return HandshakeWire.HELLO_SIZE;
            case HELLO_ACK: return HandshakeWire.HELLO_ACK_SIZE;
            case AUTH: return HandshakeWire.AUTH_SIZE;
            case HEARTBEAT:
            case BYE:
            case BYE_ACK: return 0;
            case CONNECT_REQ: return ConnectionWire.CONNECT_REQ_SIZE;
            case CONNECT_ACK: return ConnectionWire.CONNECT_ACK_SIZE;
            case CONNECT_NAK: return ConnectionWire.CONNECT_NAK_SIZE;
            case CONNECT_CANCEL: return ConnectionWire.CONNECT_CANCEL_SIZE;
            case CREDIT: return ConnectionWire.CREDIT_SIZE;
            case DISCONNECT:
            case DISCONNECT_ACK: return ConnectionWire.DISCONNECT_SIZE;
            case WINDOW_ADD: return RmaWire.WINDOW_ADD_SIZE;
            case WINDOW_REMOVE: return RmaWire.WINDOW_REMOVE_SIZE;
            case WINDOW_ACK: return RmaWire.WINDOW_ACK_SIZE;
            case RMA_READ: return RmaWire.READ_SIZE;
            case RMA_DONE: return RmaWire.DONE_SIZE;
            case SIGNAL: return RmaWire.SIGNAL_SIZE;
            case MARK_REQ:
            case WAIT_ACK:
            case PEER_SIGNAL_ACK: return RmaWire.REQUEST_SIZE;
            case MARK_ACK: return RmaWire.MARK_ACK_SIZE;
            case WAIT_REQ: return RmaWire.WAIT_REQ_SIZE;
            case PEER_SIGNAL: return RmaWire.PEER_SIGNAL_SIZE;
            case SIGNAL_STORE: return RmaWire.SIGNAL_STORE_SIZE;
            default: return -1;
        }
    }

    /**
     * @param type a frame type
     * @return the header size of a frame type whose body is a header and 1..{@link #MAX_DATA}
     *         payload bytes, or -1 for a fixed-size or unknown type
     */
    static int payloadHeader(byte type) {
        switch (type) {
            case DATA: return ConnectionWire.DATA_HEADER;
            case RMA_WRITE: return RmaWire.WRITE_HEADER;
            case RMA_DATA: return RmaWire.DATA_HEADER;
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
            case WINDOW_ADD: return "WINDOW_ADD";
            case WINDOW_REMOVE: return "WINDOW_REMOVE";
            case WINDOW_ACK: return "WINDOW_ACK";
            case RMA_WRITE: return "RMA_WRITE";
            case RMA_READ: return "RMA_READ";
            case RMA_DATA: return "RMA_DATA";
            case RMA_DONE: return "RMA_DONE";
            case SIGNAL: return "SIGNAL";
            case MARK_REQ: return "MARK_REQ";
            case MARK_ACK: return "MARK_ACK";
            case WAIT_REQ: return "WAIT_REQ";
            case WAIT_ACK: return "WAIT_ACK";
            case PEER_SIGNAL: return "PEER_SIGNAL";
            case PEER_SIGNAL_ACK: return "PEER_SIGNAL_ACK";
            case SIGNAL_STORE: return "SIGNAL_STORE";
            default: return "type " + (type & 0xff);
        }
    }

    /** @return a frame of {@code type} with room for {@code body} bytes, length and type written */
    static ByteBuf frame(ByteBufAllocator alloc, byte type, int body) {
        ByteBuf b = alloc.directBuffer(FRAME_HEADER + body);
        return b.writeInt(1 + body).writeByte(type);
    }

    /**
     * Appends a frame's length prefix ({@code body} bytes follow the type) and type to
     * {@code b}, with room for the first {@code header} body bytes.
     *
     * @return the index of the body's first byte
     */
    static int prefix(ByteBuf b, byte type, int body, int header) {
        b.ensureWritable(FRAME_HEADER + header);
        b.writeInt(1 + body).writeByte(type);
        return b.writerIndex();
    }

    /** @return a frame without a body (HEARTBEAT, BYE, BYE_ACK) */
    static ByteBuf empty(ByteBufAllocator alloc, byte type) {
        return frame(alloc, type, 0);
    }

    /**
     * @param header the body bytes of each frame before its payload ({@link RmaWire#WRITE_HEADER},
     *               {@link RmaWire#DATA_HEADER}, {@link ConnectionWire#DATA_HEADER})
     * @return the bytes of an operation's frames when {@code length} payload bytes are cut into
     *         frames of at most {@link #MAX_DATA}: one buffer holds them all, one write sends them
     */
    static int framedSize(int length, int header) {
        int frames = (length + MAX_DATA - 1) / MAX_DATA;
        return length + frames * (FRAME_HEADER + header);
    }
}
