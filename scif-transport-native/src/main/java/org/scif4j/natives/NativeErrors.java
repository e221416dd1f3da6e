package org.scif4j.natives;

import java.util.Map;
import org.scif4j.Errno;
import org.scif4j.ScifException;

/**
 * The exception of a failed libscif call: the library's errno, and what it means for that call
 * (the library says only the number; the message says what was wrong and what was expected, as
 * the other transports' messages do).
 */
final class NativeErrors {
    /** ENXIO of an RMA: where its range lies outside the windows. */
    private static final String OUTSIDE_WINDOWS = "the local or the peer's range is not inside registered windows"
        + " (one window or adjacent ones, without gaps)";
    /** ENXIO of a call on the peer's windows alone (vreadFrom, vwriteTo, mmap). */
    private static final String OUTSIDE_PEER_WINDOWS = "the peer's range is not inside its registered windows"
        + " (one window or adjacent ones, without gaps)";
    /** What an errno means for one call, by "call errno" (the call's name as its text begins). */
    private static final Map<String, String> BY_CALL = Map.ofEntries(
        Map.entry("bind EINVAL", "the endpoint is already bound, or the port is in use; choose another port or bind(0)"),
        Map.entry("bind EISCONN", "the endpoint is listening or connected; only an UNBOUND endpoint can be bound"),
        Map.entry("listen EISCONN", "the endpoint is already listening or connected; only a BOUND endpoint can listen"),
        Map.entry("listen EINVAL", "only a BOUND endpoint can listen: an UNBOUND one needs a port first, and a"
            + " DISCONNECTED one never can (close it)"),
        Map.entry("connect EOPNOTSUPP", "the endpoint is LISTENING; a listener cannot connect"),
        Map.entry("connect EISCONN", "the endpoint is already connected, or connecting"),
        Map.entry("connect EINVAL", "the endpoint was disconnected and can never connect again; open a new one"),
        Map.entry("accept EAGAIN", "no connection request is queued"),
        Map.entry("accept EINVAL", "the endpoint is not LISTENING"),
        Map.entry("register EADDRINUSE", "a window (or one whose unregistration is pending) already covers part of"
            + " the range asked for with MAP_FIXED; choose a free offset or leave MAP_FIXED out"),
        Map.entry("register EFAULT", "the memory cannot be pinned and shared with the peer (unmapped, read-only"
            + " with PROT_WRITE, or not reachable by another process)"),
        Map.entry("register ENOMEM", "no free range of that length is left in the registered address space, or"
            + " memory ran out"),
        Map.entry("unregister EINVAL", "the range cuts a registered window; unregister whole windows"),
        Map.entry("unregister ENXIO", "the range is not exactly a run of whole adjacent registered windows of this"
            + " endpoint (a gap, or no window there)"),
        Map.entry("readFrom ENXIO", OUTSIDE_WINDOWS),
        Map.entry("writeTo ENXIO", OUTSIDE_WINDOWS),
        Map.entry("vreadFrom ENXIO", OUTSIDE_PEER_WINDOWS),
        Map.entry("vwriteTo ENXIO", OUTSIDE_PEER_WINDOWS),
        Map.entry("readFrom EPERM", "a window's protection forbids it: readFrom needs PROT_WRITE on the local"
            + " windows and PROT_READ on the peer's"),
        Map.entry("writeTo EPERM", "a window's protection forbids it: writeTo needs PROT_READ on the local"
            + " windows and PROT_WRITE on the peer's"),
        Map.entry("vreadFrom EPERM", "the peer's window lacks PROT_READ"),
        Map.entry("vwriteTo EPERM", "the peer's window lacks PROT_WRITE"),
        Map.entry("fenceSignal ENXIO", "the 8 bytes at a signal's offset are not inside one registered window (the"
            + " local ones for SIGNAL_LOCAL, the peer's for SIGNAL_REMOTE)"),
        Map.entry("fenceSignal EPERM", "the window a signal's value goes to lacks PROT_WRITE"),
        Map.entry("fenceWait ETIMEDOUT", "the marked RMAs did not complete within the watchdog period (option"
            + " timeout=)"),
        Map.entry("mmap ENXIO", OUTSIDE_PEER_WINDOWS),
        Map.entry("mmap EPERM", "the peer's window lacks a right asked for in prot"));

    private NativeErrors() {
    }

    /** A ScifException for a failed libscif call: the same errno, and what it means there. */
    static ScifException error(String call, int errno) {
        Errno e = Errno.ofNumber(errno);
        if (e == null) {
            return new ScifException(Errno.ENODEV, call + ": libscif failed with errno " + errno
                + ", which SCIF does not define");
        }
        int paren = call.indexOf('(');
        String meaning = BY_CALL.get((paren < 0 ? call : call.substring(0, paren)) + " " + e.name());
        return ScifException.of(call, e, meaning != null ? meaning : meaning(e));
    }

    /** @return what {@code e} means when libscif returns it, whatever the call */
    static String meaning(Errno e) {
        switch (e) {
            case EBADF: return "the endpoint is closed";
            case ECONNRESET: return "the peer closed the connection or its process ended";
            case ENOTCONN: return "the endpoint is not connected; connect or accept first";
            case ECONNREFUSED: return "no endpoint listens on that port, or its backlog is full";
            case EISCONN: return "the endpoint is already connected or listening";
            case EADDRINUSE: return "the port is already bound on this node";
            case ENXIO: return "the range is not inside registered windows";
            case ENODEV: return "the node is not online";
            case EACCES: return "ports below 1024 need privileged=true";
            case ENOMEM: return "out of memory or address space";
            case EINVAL: return "libscif refused the arguments in the endpoint's state";
            case EPERM: return "a window's protection forbids the access";
            default: return "libscif returned " + e.name();
        }
    }
}
