package org.scif4j.tcp.internal;

import org.scif4j.spi.WindowSet;

/**
 * A window of the peer, as its WINDOW_ADD described it: an entry of this side's mirror of the
 * peer's registered address space. Immutable.
 */
final class PeerWindow implements WindowSet.Window {
    final long offset;
    final long length;
    final int prot;

    PeerWindow(long offset, long length, int prot) {
        this.offset = offset;
        this.length = length;
        this.prot = prot;
    }

    @Override
    public long offset() {
        return offset;
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public boolean unregistered() {
        return false;
    }
}
