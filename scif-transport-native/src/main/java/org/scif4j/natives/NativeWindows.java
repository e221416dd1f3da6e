package org.scif4j.natives;

import com.sun.jna.Native;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import org.scif4j.Errno;
import org.scif4j.Mapping;
import org.scif4j.ScifException;
import org.scif4j.spi.Call;

/**
 * A native endpoint's registered memory: register and unregister (keeping each registered
 * region reachable while its window exists) and mmap of the peer's windows (keeping the
 * mappings, which the endpoint's close turns into private memory first so that they never
 * fault). Each call enters the endpoint for its duration.
 */
final class NativeWindows {
    private final NativeEndpoint endpoint;
    private final int epd;
    /** Registered regions by offset, so that their memory stays reachable while registered. */
    private final ConcurrentSkipListMap<Long, ByteBuffer> registered = new ConcurrentSkipListMap<>();
    private final Set<NativeMapping> mappings = ConcurrentHashMap.newKeySet();

    NativeWindows(NativeEndpoint endpoint, int epd) {
        this.endpoint = endpoint;
        this.epd = epd;
    }

    /**
     * The exception of a failed scif_register. scif4j's library refuses memory it cannot share
     * with peers with EFAULT for one of several reasons, and logs which: the message takes it.
     */
    private ScifException registerError(Call call, int errno) {
        String why = errno == Errno.EFAULT.number() && endpoint.hasHelpers() ? NativeNode.lastMessage() : "";
        int at = why.indexOf("EFAULT, ");
        if (at < 0) {
            return NativeErrors.error(call.text(), errno);
        }
        return ScifException.of(call.text(), Errno.EFAULT, why.substring(at + "EFAULT, ".length()));
    }

    /** scif_register of {@code region} at its address {@code addr}. @return the window's offset */
    long register(ByteBuffer region, long addr, long offset, int prot, int flags, Call call) throws ScifException {
        endpoint.enter(call);
        try {
            long r = LibScif.scif_register(epd, addr, region.remaining(), offset, prot, flags);
            if (r < 0) {
                throw registerError(call, Native.getLastError());
            }
            registered.put(r, region);
            return r;
        } finally {
            endpoint.leave();
        }
    }

    void unregister(long offset, long length, Call call) throws ScifException {
        endpoint.enter(call);
        try {
            boolean gone = endpoint.peerGone();
            int r = LibScif.scif_unregister(epd, offset, length);
            int errno = r < 0 ? Native.getLastError() : 0;
            if (r < 0 && !(gone && errno == Errno.ENXIO.number())) {
                throw NativeErrors.error(call.text(), errno);
            }
            // the library refused a range that is not whole windows, so whole entries go
            registered.subMap(offset, true, offset + length - 1, true).clear();
            if (gone) { // the library drops the windows quietly; SCIF reports the lost peer
                throw ScifException.of(call.text(), Errno.ECONNRESET, NativeErrors.meaning(Errno.ECONNRESET));
            }
        } finally {
            endpoint.leave();
        }
    }

    /** scif_mmap of {@code len} bytes (whole pages) of the peer's windows, {@code length} of them visible. */
    Mapping mmap(long remoteOffset, long len, long length, int prot, Call call) throws ScifException {
        endpoint.enter(call);
        try {
            long addr = LibScif.scif_mmap(0, len, prot, 0, epd, remoteOffset);
            if (addr == -1L) {
                throw NativeErrors.error(call.text(), Native.getLastError());
            }
            NativeMapping m = new NativeMapping(this, addr, remoteOffset, len, length, prot);
            mappings.add(m);
            return m;
        } finally {
            endpoint.leave();
        }
    }

    /** A mapping closed by its user. */
    void forget(NativeMapping m) {
        mappings.remove(m);
    }

    /** At the endpoint's close, before scif_close: every mapping becomes private memory. */
    void releaseMappings() {
        for (NativeMapping m : mappings) {
            m.release();
        }
        mappings.clear();
    }

    /** After scif_close: the library has dropped the windows. */
    void clear() {
        registered.clear();
    }
}
