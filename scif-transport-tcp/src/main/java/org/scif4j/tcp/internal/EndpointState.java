package org.scif4j.tcp.internal;

/** The SCIF endpoint states (those of the Linux SCIF driver) a tcp endpoint goes through; CLOSED once closed. */
enum EndpointState {
    UNBOUND, BOUND, LISTENING, CONNECTING, CONNECTED, DISCONNECTED, CLOSED
}
