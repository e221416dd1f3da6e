package org.scif4j.natives;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.scif4j.Errno;
import org.scif4j.ScifException;

/**
 * libscif says only an errno; the exception must still say what was wrong and what was
 * expected for the call that failed, as the other transports' messages do.
 */
class NativeErrorsTest {
    private static void says(String call, Errno errno, String... words) {
        ScifException e = NativeErrors.error(call, errno.number());
        assertEquals(errno, e.errno(), call);
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), call + " " + errno + " must mention '" + w + "': " + e.getMessage());
        }
    }

    @Test
    void protectionErrorsNameTheRightsEachCallNeeds() {
        says("writeTo(localOffset=0, length=8, remoteOffset=0, flags=4)", Errno.EPERM, "PROT_READ", "PROT_WRITE");
        says("readFrom(localOffset=0, length=8, remoteOffset=0, flags=4)", Errno.EPERM, "PROT_READ", "PROT_WRITE");
        says("vwriteTo(len=8, remoteOffset=0, flags=0)", Errno.EPERM, "PROT_WRITE");
        says("mmap(remoteOffset=0, length=4096, prot=3)", Errno.EPERM, "prot");
        says("fenceSignal(localOffset=0, remoteOffset=0, flags=33)", Errno.EPERM, "PROT_WRITE");
    }

    @Test
    void rangeErrorsSayWhichRangeAndWhatIsExpected() {
        says("writeTo(localOffset=0, length=8, remoteOffset=0, flags=4)", Errno.ENXIO, "local", "peer", "windows");
        says("unregister(offset=0, length=4096)", Errno.ENXIO, "whole", "windows");
        says("unregister(offset=4096, length=4096)", Errno.EINVAL, "cuts", "whole windows");
        says("fenceSignal(localOffset=0, remoteOffset=0, flags=33)", Errno.ENXIO, "8 bytes", "one registered window");
        says("mmap(remoteOffset=0, length=4096, prot=1)", Errno.ENXIO, "peer");
    }

    @Test
    void stateErrorsSayWhatTheCallNeeds() {
        says("bind(port=3000)", Errno.EINVAL, "in use", "bind(0)");
        says("connect(node=1, port=5)", Errno.EOPNOTSUPP, "LISTENING");
        says("listen(backlog=1)", Errno.EISCONN, "BOUND");
        says("register(len=4096, offset=0, prot=3, flags=16)", Errno.EADDRINUSE, "MAP_FIXED");
        says("register(len=4096, offset=0, prot=3, flags=0)", Errno.EFAULT, "pinned", "shared");
    }
}
