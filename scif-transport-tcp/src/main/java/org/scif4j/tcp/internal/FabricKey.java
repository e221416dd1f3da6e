package org.scif4j.tcp.internal;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The fabric key and the HMAC-SHA256 challenge-response built on it. Each side of a link
 * proves it holds the key by MACing both nonces, both node ids and its role, so that a proof
 * can be neither replayed on another link nor reflected back to its sender.
 */
final class FabricKey {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final SecretKeySpec key;

    FabricKey(byte[] key) {
        this.key = new SecretKeySpec(key, "HmacSHA256");
    }

    /** @return a fresh random challenge of {@link HandshakeWire#NONCE_BYTES} bytes */
    static byte[] nonce() {
        byte[] n = new byte[HandshakeWire.NONCE_BYTES];
        RANDOM.nextBytes(n);
        return n;
    }

    /**
     * @param role        'C' for the side that opened the link, 'S' for the side that accepted it
     * @param opener      node id of the opening side
     * @param acceptor    node id of the accepting side
     * @param openerNonce the opener's challenge
     * @param acceptorNonce the acceptor's challenge
     * @return the proof that the side in {@code role} holds the key
     */
    byte[] proof(char role, int opener, int acceptor, byte[] openerNonce, byte[] acceptorNonce) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update(ByteBuffer.allocate(8).putChar(role).putShort((short) opener)
                .putShort((short) acceptor).putShort(HandshakeWire.VERSION_VALUE).flip());
            mac.update(openerNonce);
            mac.update(acceptorNonce);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }

    /** @return whether {@code got} equals {@code expected}, in time independent of where they differ */
    static boolean matches(byte[] expected, byte[] got) {
        return MessageDigest.isEqual(expected, got);
    }
}
