package org.scif4j.natives;

import org.scif4j.Errno;
import org.scif4j.ScifException;

/** The exception of a failed libscif call: the library's errno, and what it means there. */
final class NativeErrors {
    private NativeErrors() {
    }

    /** A ScifException for a failed libscif call: the same errno, and what it means there. */
    static ScifException error(String call, int errno) {
        Errno e = Errno.ofNumber(errno);
        if (e == null) {
            return new ScifException(Errno.ENODEV, call + ": libscif failed with errno " + errno
                + ", which SCIF does not define");
        }
        return ScifException.of(call, e, meaning(e));
    }

    /** @return what {@code e} means when libscif returns it */
    static String meaning(Errno e) {
        switch (e) {
            case EBADF: return "the endpoint is closed";
            case ECONNRESET: return "the peer closed the connection or its process ended";
            case ENOTCONN: return "the endpoint is not connected; connect or accept first";
            case ECONNREFUSED: return "no endpoint listens on that port, or its backlog is full";
            case EISCONN: return "the endpoint is already connected or listening";
            case EADDRINUSE: return "the port is already bound on this node";
            case ENXIO: return "there is no registered window at that offset on the peer";
            case ENODEV: return "the node is not online";
            case EACCES: return "ports below 1024 need privileged=true";
            case ENOMEM: return "out of memory or address space";
            case EINVAL: return "libscif refused the arguments in the endpoint's state";
            default: return "libscif returned " + e.name();
        }
    }
}
