package org.scif4j.tcp.internal;

/** The SCIF endpoint states (SPEC §4.1) a tcp endpoint goes through; CLOSED once closed. */
enum EndpointState {
    UNBOUND, BOUND, LISTENING, CONNECTING, CONNECTED, DISCONNECTED, CLOSED
}
