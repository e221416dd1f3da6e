package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The layout of the handshake frames (docs/tcp-protocol.md, "Handshake"), in one place: each
 * field's offset from the first body byte (the byte after the type), accessors that read a
 * field of a received body in place (at its reader index, which they do not move) and builders
 * that put the fields of a frame to send. Big-endian.
 */
final class HandshakeWire {
    /** "SCIF" in ASCII: the first field of HELLO and HELLO_ACK. */
    static final int MAGIC_VALUE = 0x53434946;
    /** Protocol version; a peer with another one is refused at the handshake. */
    static final short VERSION_VALUE = 2;
    /** Bytes of the random challenge each side sends. */
    static final int NONCE_BYTES = 32;
    /** Bytes of an HMAC-SHA256 proof. */
    static final int PROOF_BYTES = 32;
    /** HELLO flag: the sender holds a fabric key and expects proof of it. */
    static final int FLAG_KEYED = 1;

    /** u32 at 0: {@link #MAGIC_VALUE} (HELLO, HELLO_ACK). */
    static final int MAGIC = 0;
    /** u16 at 4: the sender's protocol version. */
    static final int VERSION = 4;
    /** u16 at 6: the sender's node id. */
    static final int FROM = 6;
    /** u16 at 8: the node id the sender means to reach. */
    static final int TO = 8;
    /** u16 at 10: {@link #FLAG_KEYED}. */
    static final int FLAGS = 10;
    /** u64 at 12: the sender's incarnation (it changes each time the node attaches). */
    static final int INCARNATION = 12;
    /** {@link #NONCE_BYTES} at 20: the sender's challenge. */
    static final int NONCE = 20;
    /** The size of a HELLO body. */
    static final int HELLO_SIZE = NONCE + NONCE_BYTES;
    /** {@link #PROOF_BYTES} at 52: the acceptor's proof, zeros without a key (HELLO_ACK). */
    static final int ACK_PROOF = HELLO_SIZE;
    static final int HELLO_ACK_SIZE = ACK_PROOF + PROOF_BYTES;
    /** {@link #PROOF_BYTES} at 0: the opener's proof (AUTH). */
    static final int AUTH_PROOF = 0;
    static final int AUTH_SIZE = PROOF_BYTES;

    private HandshakeWire() {
    }

    static int magic(ByteBuf body) {
        return body.getInt(body.readerIndex() + MAGIC);
    }

    static int version(ByteBuf body) {
        return body.getUnsignedShort(body.readerIndex() + VERSION);
    }

    static int from(ByteBuf body) {
        return body.getUnsignedShort(body.readerIndex() + FROM);
    }

    static int to(ByteBuf body) {
        return body.getUnsignedShort(body.readerIndex() + TO);
    }

    static int flags(ByteBuf body) {
        return body.getUnsignedShort(body.readerIndex() + FLAGS);
    }

    static long incarnation(ByteBuf body) {
        return body.getLong(body.readerIndex() + INCARNATION);
    }

    /** @return a copy of the {@code bytes} bytes at {@code offset} of the body (a nonce, a proof) */
    static byte[] bytes(ByteBuf body, int offset, int bytes) {
        byte[] b = new byte[bytes];
        body.getBytes(body.readerIndex() + offset, b);
        return b;
    }

    /** @return a HELLO (proof null) or a HELLO_ACK (with the acceptor's proof) */
    static ByteBuf hello(ByteBufAllocator a, int from, int to, int flags, long incarnation, byte[] nonce,
                         byte[] proof) {
        int size = proof == null ? HELLO_SIZE : HELLO_ACK_SIZE;
        ByteBuf b = Wire.frame(a, proof == null ? Wire.HELLO : Wire.HELLO_ACK, size);
        int at = b.writerIndex();
        b.setInt(at + MAGIC, MAGIC_VALUE).setShort(at + VERSION, VERSION_VALUE).setShort(at + FROM, from)
            .setShort(at + TO, to).setShort(at + FLAGS, flags).setLong(at + INCARNATION, incarnation)
            .setBytes(at + NONCE, nonce, 0, NONCE_BYTES);
        if (proof != null) {
            b.setBytes(at + ACK_PROOF, proof, 0, PROOF_BYTES);
        }
        return b.writerIndex(at + size);
    }

    static ByteBuf auth(ByteBufAllocator a, byte[] proof) {
        ByteBuf b = Wire.frame(a, Wire.AUTH, AUTH_SIZE);
        int at = b.writerIndex();
        b.setBytes(at + AUTH_PROOF, proof, 0, PROOF_BYTES);
        return b.writerIndex(at + AUTH_SIZE);
    }
}
