package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The layout of the RMA frames (docs/tcp-protocol.md, "Registered memory and RMA"), in one
 * place: each field's offset from the first body byte (the byte after the type), accessors
 * that read a field of a received body in place (at its reader index, which they do not move)
 * and builders that put the fields of a frame to send. Every RMA body starts with the
 * receiving endpoint's wire id ({@link #ENDPOINT}); the fields after it are big-endian.
 */
final class RmaWire {
    /** u64: the endpoint the frame is for (its wire id on the receiving node); every RMA frame. */
    static final int ENDPOINT = 0;

    /** u32 at 8: the window change's id (WINDOW_ADD, WINDOW_REMOVE, WINDOW_ACK). */
    static final int WINDOW_ID = 8;
    /** u64 at 12: the window's offset in the sender's registered address space (WINDOW_ADD, WINDOW_REMOVE). */
    static final int WINDOW_OFFSET = 12;
    /** u64 at 20: its length. */
    static final int WINDOW_LENGTH = 20;
    /** u32 at 28: its protection, PROT_READ|PROT_WRITE at most (WINDOW_ADD). */
    static final int WINDOW_PROT = 28;
    static final int WINDOW_ADD_SIZE = 32;
    static final int WINDOW_REMOVE_SIZE = 28;
    static final int WINDOW_ACK_SIZE = 12;

    /** u32 at 8: the operation's sequence number (RMA_WRITE, RMA_READ, RMA_DATA, RMA_DONE, SIGNAL). */
    static final int SEQ = 8;
    /** u64 at 12: where the payload goes in the receiver's registered address space (RMA_WRITE). */
    static final int WRITE_OFFSET = 12;
    /** u8 at 20: {@link #RMA_LAST}, {@link #RMA_ORDERED} (RMA_WRITE). */
    static final int WRITE_FLAGS = 20;
    /** Bytes of an RMA_WRITE body before its 1..{@link Wire#MAX_DATA} payload bytes. */
    static final int WRITE_HEADER = 21;
    /** u64 at 12: what to read, in the receiver's registered address space (RMA_READ). */
    static final int READ_OFFSET = 12;
    /** u32 at 20: how many bytes, 1..{@link #MAX_RMA} (RMA_READ). */
    static final int READ_LENGTH = 20;
    static final int READ_SIZE = 24;
    /** u8 at 12: {@link #RMA_LAST} (RMA_DATA). */
    static final int DATA_FLAGS = 12;
    /** Bytes of an RMA_DATA body before its 1..{@link Wire#MAX_DATA} payload bytes. */
    static final int DATA_HEADER = 13;
    static final int DONE_SIZE = 12;
    /** u32 at 12: SIGNAL_LOCAL and SIGNAL_REMOTE as scif_fence_signal takes them (SIGNAL). */
    static final int SIGNAL_FLAGS = 12;
    /** u64 at 16: the receiver's word to store (SIGNAL). */
    static final int SIGNAL_OFFSET = 16;
    /** u64 at 24: the value to store there (SIGNAL). */
    static final int SIGNAL_VALUE = 24;
    static final int SIGNAL_SIZE = 32;

    /** u32 at 8: the request's id (MARK_REQ, MARK_ACK, WAIT_REQ, WAIT_ACK, PEER_SIGNAL, PEER_SIGNAL_ACK). */
    static final int REQUEST = 8;
    /** u32 at 12: the receiver's mark of its operations (MARK_ACK). */
    static final int MARK = 12;
    /** u32 at 12: the sequence number the wait is for, among the receiver's operations (WAIT_REQ). */
    static final int WAIT_SEQ = 12;
    static final int REQUEST_SIZE = 12;
    static final int MARK_ACK_SIZE = 16;
    static final int WAIT_REQ_SIZE = 16;
    /** u32 at 12: SIGNAL_LOCAL, SIGNAL_REMOTE (PEER_SIGNAL). */
    static final int PEER_SIGNAL_FLAGS = 12;
    /** u64 at 16 and 24: the sender's own word and value (PEER_SIGNAL). */
    static final int PEER_SIGNAL_LOCAL_OFFSET = 16;
    static final int PEER_SIGNAL_LOCAL_VALUE = 24;
    /** u64 at 32 and 40: the receiver's word and value (PEER_SIGNAL). */
    static final int PEER_SIGNAL_REMOTE_OFFSET = 32;
    static final int PEER_SIGNAL_REMOTE_VALUE = 40;
    static final int PEER_SIGNAL_SIZE = 48;
    /** u64 at 8 and 16: the word of the receiver to store, and its value (SIGNAL_STORE). */
    static final int STORE_OFFSET = 8;
    static final int STORE_VALUE = 16;
    static final int SIGNAL_STORE_SIZE = 24;

    /** Largest RMA operation on the wire: longer transfers are cut into operations of this. */
    static final int MAX_RMA = 1 << 20;
    /** RMA_WRITE / RMA_DATA flag: the operation's last frame. */
    static final int RMA_LAST = 1;
    /** RMA_WRITE flag: the transfer's last cache line becomes visible after the rest (RMA_ORDERED). */
    static final int RMA_ORDERED = 2;

    private RmaWire() {
    }

    // ---------------------------------------------------------------- accessors of a received body

    static long endpoint(ByteBuf body) {
        return body.getLong(body.readerIndex() + ENDPOINT);
    }

    static int windowId(ByteBuf body) {
        return body.getInt(body.readerIndex() + WINDOW_ID);
    }

    static long windowOffset(ByteBuf body) {
        return body.getLong(body.readerIndex() + WINDOW_OFFSET);
    }

    static long windowLength(ByteBuf body) {
        return body.getLong(body.readerIndex() + WINDOW_LENGTH);
    }

    static int windowProt(ByteBuf body) {
        return body.getInt(body.readerIndex() + WINDOW_PROT);
    }

    static int seq(ByteBuf body) {
        return body.getInt(body.readerIndex() + SEQ);
    }

    static long writeOffset(ByteBuf body) {
        return body.getLong(body.readerIndex() + WRITE_OFFSET);
    }

    static int writeFlags(ByteBuf body) {
        return body.getByte(body.readerIndex() + WRITE_FLAGS);
    }

    static long readOffset(ByteBuf body) {
        return body.getLong(body.readerIndex() + READ_OFFSET);
    }

    static int readLength(ByteBuf body) {
        return body.getInt(body.readerIndex() + READ_LENGTH);
    }

    static int dataFlags(ByteBuf body) {
        return body.getByte(body.readerIndex() + DATA_FLAGS);
    }

    static int signalFlags(ByteBuf body) {
        return body.getInt(body.readerIndex() + SIGNAL_FLAGS);
    }

    static long signalOffset(ByteBuf body) {
        return body.getLong(body.readerIndex() + SIGNAL_OFFSET);
    }

    static long signalValue(ByteBuf body) {
        return body.getLong(body.readerIndex() + SIGNAL_VALUE);
    }

    static int request(ByteBuf body) {
        return body.getInt(body.readerIndex() + REQUEST);
    }

    static int mark(ByteBuf body) {
        return body.getInt(body.readerIndex() + MARK);
    }

    static int waitSeq(ByteBuf body) {
        return body.getInt(body.readerIndex() + WAIT_SEQ);
    }

    static int peerSignalFlags(ByteBuf body) {
        return body.getInt(body.readerIndex() + PEER_SIGNAL_FLAGS);
    }

    static long peerSignalLocalOffset(ByteBuf body) {
        return body.getLong(body.readerIndex() + PEER_SIGNAL_LOCAL_OFFSET);
    }

    static long peerSignalLocalValue(ByteBuf body) {
        return body.getLong(body.readerIndex() + PEER_SIGNAL_LOCAL_VALUE);
    }

    static long peerSignalRemoteOffset(ByteBuf body) {
        return body.getLong(body.readerIndex() + PEER_SIGNAL_REMOTE_OFFSET);
    }

    static long peerSignalRemoteValue(ByteBuf body) {
        return body.getLong(body.readerIndex() + PEER_SIGNAL_REMOTE_VALUE);
    }

    static long storeOffset(ByteBuf body) {
        return body.getLong(body.readerIndex() + STORE_OFFSET);
    }

    static long storeValue(ByteBuf body) {
        return body.getLong(body.readerIndex() + STORE_VALUE);
    }

    // ---------------------------------------------------------------- builders

    static ByteBuf windowAdd(ByteBufAllocator a, long endpoint, int id, long offset, long length, int prot) {
        ByteBuf b = Wire.frame(a, Wire.WINDOW_ADD, WINDOW_ADD_SIZE);
        int at = b.writerIndex();
        b.setLong(at + ENDPOINT, endpoint).setInt(at + WINDOW_ID, id).setLong(at + WINDOW_OFFSET, offset)
            .setLong(at + WINDOW_LENGTH, length).setInt(at + WINDOW_PROT, prot);
        return b.writerIndex(at + WINDOW_ADD_SIZE);
    }

    static ByteBuf windowRemove(ByteBufAllocator a, long endpoint, int id, long offset, long length) {
        ByteBuf b = Wire.frame(a, Wire.WINDOW_REMOVE, WINDOW_REMOVE_SIZE);
        int at = b.writerIndex();
        b.setLong(at + ENDPOINT, endpoint).setInt(at + WINDOW_ID, id).setLong(at + WINDOW_OFFSET, offset)
            .setLong(at + WINDOW_LENGTH, length);
        return b.writerIndex(at + WINDOW_REMOVE_SIZE);
    }

    /**
     * @param type WINDOW_ACK, RMA_DONE, MARK_REQ, WAIT_ACK or PEER_SIGNAL_ACK: a body of the
     *             endpoint and one u32 at 8 (a window change's id, a sequence number, a request)
     */
    static ByteBuf endpointInt(ByteBufAllocator a, byte type, long endpoint, int value) {
        return appendEndpointInt(a.directBuffer(Wire.FRAME_HEADER + 12), type, endpoint, value);
    }

    /** Appends a whole frame of {@link #endpointInt}'s kinds to {@code b}. */
    static ByteBuf appendEndpointInt(ByteBuf b, byte type, long endpoint, int value) {
        int at = Wire.prefix(b, type, 12, 12);
        b.setLong(at + ENDPOINT, endpoint).setInt(at + 8, value);
        return b.writerIndex(at + 12);
    }

    /** Appends an RMA_WRITE frame's prefix, type and header to {@code b}; its payload follows. */
    static ByteBuf writeHeader(ByteBuf b, long endpoint, int seq, long offset, int flags, int payload) {
        int at = Wire.prefix(b, Wire.RMA_WRITE, WRITE_HEADER + payload, WRITE_HEADER);
        b.setLong(at + ENDPOINT, endpoint).setInt(at + SEQ, seq).setLong(at + WRITE_OFFSET, offset)
            .setByte(at + WRITE_FLAGS, flags);
        return b.writerIndex(at + WRITE_HEADER);
    }

    static ByteBuf read(ByteBufAllocator a, long endpoint, int seq, long offset, int length) {
        return appendRead(a.directBuffer(Wire.FRAME_HEADER + READ_SIZE), endpoint, seq, offset, length);
    }

    /** Appends a whole RMA_READ frame to {@code b} (requests sent together share one buffer). */
    static ByteBuf appendRead(ByteBuf b, long endpoint, int seq, long offset, int length) {
        int at = Wire.prefix(b, Wire.RMA_READ, READ_SIZE, READ_SIZE);
        b.setLong(at + ENDPOINT, endpoint).setInt(at + SEQ, seq).setLong(at + READ_OFFSET, offset)
            .setInt(at + READ_LENGTH, length);
        return b.writerIndex(at + READ_SIZE);
    }

    /** Appends an RMA_DATA frame's prefix, type and header to {@code b}; its payload follows. */
    static ByteBuf dataHeader(ByteBuf b, long endpoint, int seq, int flags, int payload) {
        int at = Wire.prefix(b, Wire.RMA_DATA, DATA_HEADER + payload, DATA_HEADER);
        b.setLong(at + ENDPOINT, endpoint).setInt(at + SEQ, seq).setByte(at + DATA_FLAGS, flags);
        return b.writerIndex(at + DATA_HEADER);
    }

    static ByteBuf signal(ByteBufAllocator a, long endpoint, int seq, int flags, long offset, long value) {
        return appendSignal(a.directBuffer(Wire.FRAME_HEADER + SIGNAL_SIZE), endpoint, seq, flags, offset, value);
    }

    /** Appends a whole SIGNAL frame to {@code b}. */
    static ByteBuf appendSignal(ByteBuf b, long endpoint, int seq, int flags, long offset, long value) {
        int at = Wire.prefix(b, Wire.SIGNAL, SIGNAL_SIZE, SIGNAL_SIZE);
        b.setLong(at + ENDPOINT, endpoint).setInt(at + SEQ, seq).setInt(at + SIGNAL_FLAGS, flags)
            .setLong(at + SIGNAL_OFFSET, offset).setLong(at + SIGNAL_VALUE, value);
        return b.writerIndex(at + SIGNAL_SIZE);
    }

    static ByteBuf markAck(ByteBufAllocator a, long endpoint, int request, int mark) {
        ByteBuf b = Wire.frame(a, Wire.MARK_ACK, MARK_ACK_SIZE);
        int at = b.writerIndex();
        b.setLong(at + ENDPOINT, endpoint).setInt(at + REQUEST, request).setInt(at + MARK, mark);
        return b.writerIndex(at + MARK_ACK_SIZE);
    }

    static ByteBuf waitRequest(ByteBufAllocator a, long endpoint, int request, int seq) {
        return appendWaitRequest(a.directBuffer(Wire.FRAME_HEADER + WAIT_REQ_SIZE), endpoint, request, seq);
    }

    /** Appends a whole WAIT_REQ frame to {@code b}. */
    static ByteBuf appendWaitRequest(ByteBuf b, long endpoint, int request, int seq) {
        int at = Wire.prefix(b, Wire.WAIT_REQ, WAIT_REQ_SIZE, WAIT_REQ_SIZE);
        b.setLong(at + ENDPOINT, endpoint).setInt(at + REQUEST, request).setInt(at + WAIT_SEQ, seq);
        return b.writerIndex(at + WAIT_REQ_SIZE);
    }

    static ByteBuf peerSignal(ByteBufAllocator a, long endpoint, int request, int flags, long localOffset,
                              long localValue, long remoteOffset, long remoteValue) {
        return appendPeerSignal(a.directBuffer(Wire.FRAME_HEADER + PEER_SIGNAL_SIZE), endpoint, request, flags,
            localOffset, localValue, remoteOffset, remoteValue);
    }

    /** Appends a whole PEER_SIGNAL frame to {@code b}. */
    static ByteBuf appendPeerSignal(ByteBuf b, long endpoint, int request, int flags, long localOffset,
                                    long localValue, long remoteOffset, long remoteValue) {
        int at = Wire.prefix(b, Wire.PEER_SIGNAL, PEER_SIGNAL_SIZE, PEER_SIGNAL_SIZE);
        b.setLong(at + ENDPOINT, endpoint).setInt(at + REQUEST, request).setInt(at + PEER_SIGNAL_FLAGS, flags)
            .setLong(at + PEER_SIGNAL_LOCAL_OFFSET, localOffset).setLong(at + PEER_SIGNAL_LOCAL_VALUE, localValue)
            .setLong(at + PEER_SIGNAL_REMOTE_OFFSET, remoteOffset)
            .setLong(at + PEER_SIGNAL_REMOTE_VALUE, remoteValue);
        return b.writerIndex(at + PEER_SIGNAL_SIZE);
    }

    static ByteBuf signalStore(ByteBufAllocator a, long endpoint, long offset, long value) {
        ByteBuf b = Wire.frame(a, Wire.SIGNAL_STORE, SIGNAL_STORE_SIZE);
        int at = b.writerIndex();
        b.setLong(at + ENDPOINT, endpoint).setLong(at + STORE_OFFSET, offset).setLong(at + STORE_VALUE, value);
        return b.writerIndex(at + SIGNAL_STORE_SIZE);
    }
}
