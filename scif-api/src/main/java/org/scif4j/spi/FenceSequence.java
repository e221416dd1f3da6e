package org.scif4j.spi;

/**
 * The 31-bit sequence numbers that order an endpoint's RMAs and make its fence marks. Each
 * RMA takes the next number; a completion counter counts up to the last one done; a mark
 * is the sequence number to wait for, with bit 31 set when it names the peer's RMAs
 * ({@code FENCE_INIT_PEER}), so that a mark is never negative for our own RMAs and the two
 * kinds never collide. Numbers wrap from 2^31 - 1 to 0, and "reached" compares in that
 * wrapping order: correct while fewer than 2^30 operations are outstanding.
 */
public final class FenceSequence {
    /** The 31 bits of a sequence number. */
    public static final int MASK = 0x7FFF_FFFF;
    /** The bit of a mark that names the peer's RMAs. */
    public static final int PEER_BIT = 0x8000_0000;

    private FenceSequence() {
    }

    /** @return the sequence number after {@code seq}, wrapping to 0 after 2^31 - 1 */
    public static int next(int seq) {
        return (seq + 1) & MASK;
    }

    /**
     * @param counter a completion (or acknowledgement) counter
     * @param seq     a sequence number
     * @return whether {@code counter} has reached {@code seq}, in 31-bit wrapping order
     */
    public static boolean reached(int counter, int seq) {
        return ((counter - seq) << 1) >= 0;
    }

    /** @return the mark that names the peer's RMAs up to {@code seq} */
    public static int peerMark(int seq) {
        return seq | PEER_BIT;
    }

    /** @return whether {@code mark} names the peer's RMAs */
    public static boolean isPeerMark(int mark) {
        return (mark & PEER_BIT) != 0;
    }

    /** @return the sequence number a mark waits for, without its peer bit */
    public static int sequenceOf(int mark) {
        return mark & MASK;
    }
}
