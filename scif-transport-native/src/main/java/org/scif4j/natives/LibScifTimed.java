package org.scif4j.natives;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * scif4j's libscif's timed data calls, {@code scif4j_send} and {@code scif4j_recv}: the
 * blocking scif_send/scif_recv that also return after a time limit with what moved so far.
 * A blocking send or recv waits in one such call, with the library's own wait, instead of
 * retrying the non-blocking call across JNA. Bound by JNA's direct mapping when the library
 * has them (Intel's has not: {@link NativeEndpoint} then waits in scif_poll).
 */
final class LibScifTimed {
    private static NativeLibrary bound;

    private LibScifTimed() {
    }

    /**
     * Binds this class's natives to {@code lib} if it exports them. Callers hold the
     * transport's attach lock and no endpoint of the previous library is open.
     *
     * @return whether they are bound to {@code lib}
     */
    static synchronized boolean bind(NativeLibrary lib) {
        if (bound == lib) {
            return true;
        }
        try {
            lib.getFunction("scif4j_recv");
            lib.getFunction("scif4j_send");
        } catch (UnsatisfiedLinkError e) {
            return false;
        }
        if (bound != null) {
            Native.unregister(LibScifTimed.class);
        }
        Native.register(LibScifTimed.class, lib);
        bound = lib;
        return true;
    }

    /** scif_send with SCIF_SEND_BLOCK that returns after {@code timeoutMs} with the bytes sent so far. */
    static native int scif4j_send(int epd, long msg, int len, int timeoutMs);

    /** scif_recv with SCIF_RECV_BLOCK that returns after {@code timeoutMs} with the bytes received so far. */
    static native int scif4j_recv(int epd, long msg, int len, int timeoutMs);
}
