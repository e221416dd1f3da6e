package org.scif4j.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;

/** Fabric URIs parse the same way for every transport, and bad ones fail with EINVAL saying why. */
class FabricUriTest {
    @Test
    void schemeTargetAndOptions() throws ScifException {
        FabricUri u = FabricUri.parse("SHM:demo?node=2&ring=64k&wait=block");
        assertEquals("shm", u.scheme());
        assertEquals("demo", u.target());
        assertEquals(2, u.longOption("node", 0, 0, 256));
        assertEquals(64 << 10, u.longOption("ring", 0, 0, Long.MAX_VALUE), "k suffix");
        assertEquals("block", u.choiceOption("wait", "adaptive", Set.of("block", "spin")));
        assertEquals(7, u.longOption("absent", 7, 0, 10), "default when absent");
    }

    @Test
    void badUrisAndOptionsAreEinvalWithAReason() throws ScifException {
        assertEquals(Errno.EINVAL, assertThrows(ScifException.class, () -> FabricUri.parse("no-scheme")).errno());
        assertEquals(Errno.EINVAL, assertThrows(ScifException.class, () -> FabricUri.parse("shm:x?node")).errno());
        assertEquals(Errno.EINVAL, assertThrows(ScifException.class, () -> FabricUri.parse("shm:x?a=1&a=2")).errno());
        FabricUri u = FabricUri.parse("shm:x?colour=red&node=abc&big=9");
        ScifException unknown = assertThrows(ScifException.class, () -> u.requireKnownOptions(Set.of("node")));
        assertTrue(unknown.getMessage().contains("colour") && unknown.getMessage().contains("[node]"),
            unknown.getMessage());
        assertEquals(Errno.EINVAL, assertThrows(ScifException.class, () -> u.longOption("node", 0, 0, 9)).errno());
        assertEquals(Errno.EINVAL, assertThrows(ScifException.class, () -> u.longOption("big", 0, 0, 8)).errno());
    }

    @Test
    void anUnknownSchemeNamesTheSchemesThatExist() {
        ScifException e = assertThrows(ScifException.class, () -> Scif.attach("warp:drive?node=0"));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("no transport for scheme 'warp'"), e.getMessage());
    }

    @Test
    void callTextNamesTheCallAndItsArguments() {
        assertEquals("writeTo(localOffset=0, length=4096, remoteOffset=8192, flags=4)",
            Call.of("writeTo", "localOffset", 0, "length", 4096, "remoteOffset", 8192, "flags", 4).text());
        assertEquals("fenceWait(mark=-3)", Call.of("fenceWait", "mark", -3).text());
    }

    @Test
    void argumentChecksGiveScifsErrnos() {
        Call c = Call.of("x", "a", 0);
        assertEquals(Errno.EINVAL, assertThrows(ScifException.class, () -> Arguments.rma(0, 0, c)).errno());
        assertEquals(Errno.EINVAL, assertThrows(ScifException.class, () -> Arguments.rma(8, 0x100, c)).errno());
        assertEquals(Errno.EINVAL, assertThrows(ScifException.class,
            () -> Arguments.fenceSignal(0, 2, Scif.FENCE_INIT_SELF | Scif.SIGNAL_REMOTE, c)).errno());
        assertEquals(Errno.EINVAL, assertThrows(ScifException.class,
            () -> Arguments.fenceMark(Scif.FENCE_INIT_SELF | Scif.FENCE_INIT_PEER, c)).errno());
        assertEquals(Errno.EFAULT, assertThrows(ScifException.class, () -> Arguments.destination(null, c)).errno());
    }
}
