package org.scif4j.tcp.internal;

import org.scif4j.spi.AbstractWindow;

/**
 * A window of the peer, as its WINDOW_ADD described it: an entry of this side's mirror of the
 * peer's registered address space. Immutable.
 */
final class PeerWindow extends AbstractWindow {
    PeerWindow(long offset, long length, int prot) {
        super(offset, length, prot);
    }

    @Override
    public boolean unregistered() {
        return false;
    }
}
