package org.scif4j.spi;

/**
 * The states of a SCIF endpoint, those of the Linux SCIF driver (scif_open(3) through
 * scif_close(3)), plus CLOSED once {@code close} ran. {@link EndpointRules} says which
 * calls each state allows.
 */
public enum EndpointState {
    /** Opened, no port yet. */
    UNBOUND,
    /** Holds a port: may listen or connect. */
    BOUND,
    /** Takes connection requests. */
    LISTENING,
    /** A connection request is on its way or queued at the listener. */
    CONNECTING,
    /** Connected to a peer endpoint: messages and RMA flow. */
    CONNECTED,
    /** The peer closed or was lost: what it sent may still be read; nothing else works. */
    DISCONNECTED,
    /** {@code close} ran. */
    CLOSED
}
