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
    /** Header of a DATA body: endpoint. */
    static final int DATA_HEADER = 8;
    /** Header of an RMA_WRITE body: endpoint, sequence, remote offset, flags. */
    static final int RMA_WRITE_HEADER = 8 + 4 + 8 + 1;
    /** Header of an RMA_DATA body: endpoint, sequence, flags. */
    static final int RMA_DATA_HEADER = 8 + 4 + 1;
    /** Largest frame body (type included); a longer length prefix closes the link. */
    static final int MAX_FRAME = 1 + RMA_WRITE_HEADER + MAX_DATA;
    /** Largest RMA operation on the wire: longer transfers are cut into operations of this. */
    static final int MAX_RMA = 1 << 20;
    /** RMA_WRITE / RMA_DATA flag: the operation's last frame. */
    static final int RMA_LAST = 1;
    /** RMA_WRITE flag: the transfer's last cache line becomes visible after the rest (RMA_ORDERED). */
    static final int RMA_ORDERED = 2;

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
            case WINDOW_ADD: return 8 + 4 + 8 + 8 + 4;
            case WINDOW_REMOVE: return 8 + 4 + 8 + 8;
            case WINDOW_ACK: return 8 + 4;
            case RMA_READ: return 8 + 4 + 8 + 4;
            case RMA_DONE: return 8 + 4;
            case SIGNAL: return 8 + 4 + 4 + 8 + 8;
            case MARK_REQ: return 8 + 4;
            case MARK_ACK: return 8 + 4 + 4;
            case WAIT_REQ: return 8 + 4 + 4;
            case WAIT_ACK: return 8 + 4;
            case PEER_SIGNAL: return 8 + 4 + 4 + 8 + 8 + 8 + 8;
            case PEER_SIGNAL_ACK: return 8 + 4;
            case SIGNAL_STORE: return 8 + 8 + 8;
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
            case DATA: return 8;
            case RMA_WRITE: return RMA_WRITE_HEADER;
            case RMA_DATA: return RMA_DATA_HEADER;
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
    /** Appends a DATA frame's prefix and header (the endpoint) to {@code b}; its payload follows. */
    static ByteBuf dataHeader(ByteBuf b, long endpoint, int payload) {
        return b.writeInt(1 + DATA_HEADER + payload).writeByte(DATA).writeLong(endpoint);
    }

    static ByteBuf windowAdd(ByteBufAllocator a, long endpoint, int id, long offset, long length, int prot) {
        return frame(a, WINDOW_ADD, bodySize(WINDOW_ADD)).writeLong(endpoint).writeInt(id).writeLong(offset)
            .writeLong(length).writeInt(prot);
    }

    static ByteBuf windowRemove(ByteBufAllocator a, long endpoint, int id, long offset, long length) {
        return frame(a, WINDOW_REMOVE, bodySize(WINDOW_REMOVE)).writeLong(endpoint).writeInt(id).writeLong(offset)
            .writeLong(length);
    }

    /** @return a frame of {@code type} whose body is an endpoint and one number (an id or a sequence) */
    static ByteBuf endpointInt(ByteBufAllocator a, byte type, long endpoint, int value) {
        return frame(a, type, 12).writeLong(endpoint).writeInt(value);
    }

    /** @return an RMA_WRITE frame header for {@code payload} bytes; the caller appends them */
    /**
     * @param header the body bytes of each frame before its payload ({@link #RMA_WRITE_HEADER},
     *               {@link #RMA_DATA_HEADER})
     * @return the bytes of an operation's frames when {@code length} payload bytes are cut into
     *         frames of at most {@link #MAX_DATA}: one buffer holds them all, one write sends them
     */
    static int framedSize(int length, int header) {
        int frames = (length + MAX_DATA - 1) / MAX_DATA;
        return length + frames * (4 + 1 + header);
    }

    /** Appends an RMA_WRITE frame's prefix and header to {@code b}; its payload follows. */
    static ByteBuf rmaWriteHeader(ByteBuf b, long endpoint, int seq, long offset, int flags, int payload) {
        return b.writeInt(1 + RMA_WRITE_HEADER + payload).writeByte(RMA_WRITE).writeLong(endpoint).writeInt(seq)
            .writeLong(offset).writeByte(flags);
    }

    static ByteBuf rmaRead(ByteBufAllocator a, long endpoint, int seq, long offset, int length) {
        return frame(a, RMA_READ, bodySize(RMA_READ)).writeLong(endpoint).writeInt(seq).writeLong(offset)
            .writeInt(length);
    }

    /** @return an RMA_DATA frame header for {@code payload} bytes; the caller appends them */
    /** Appends an RMA_DATA frame's prefix and header to {@code b}; its payload follows. */
    static ByteBuf rmaDataHeader(ByteBuf b, long endpoint, int seq, int flags, int payload) {
        return b.writeInt(1 + RMA_DATA_HEADER + payload).writeByte(RMA_DATA).writeLong(endpoint).writeInt(seq)
            .writeByte(flags);
    }

    static ByteBuf signal(ByteBufAllocator a, long endpoint, int seq, int flags, long offset, long value) {
        return frame(a, SIGNAL, bodySize(SIGNAL)).writeLong(endpoint).writeInt(seq).writeInt(flags).writeLong(offset)
            .writeLong(value);
    }

    static ByteBuf markAck(ByteBufAllocator a, long endpoint, int request, int mark) {
        return frame(a, MARK_ACK, bodySize(MARK_ACK)).writeLong(endpoint).writeInt(request).writeInt(mark);
    }

    static ByteBuf waitRequest(ByteBufAllocator a, long endpoint, int request, int seq) {
        return frame(a, WAIT_REQ, bodySize(WAIT_REQ)).writeLong(endpoint).writeInt(request).writeInt(seq);
    }

    static ByteBuf peerSignal(ByteBufAllocator a, long endpoint, int request, int flags, long localOffset,
                              long localValue, long remoteOffset, long remoteValue) {
        return frame(a, PEER_SIGNAL, bodySize(PEER_SIGNAL)).writeLong(endpoint).writeInt(request).writeInt(flags)
            .writeLong(localOffset).writeLong(localValue).writeLong(remoteOffset).writeLong(remoteValue);
    }

    static ByteBuf signalStore(ByteBufAllocator a, long endpoint, long offset, long value) {
        return frame(a, SIGNAL_STORE, bodySize(SIGNAL_STORE)).writeLong(endpoint).writeLong(offset).writeLong(value);
    }
}
