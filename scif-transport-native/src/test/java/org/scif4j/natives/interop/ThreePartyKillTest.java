package org.scif4j.natives.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.scif4j.tests.process.PeerProcess;

/**
 * A Java native: node, a Java shm: node and a C program on one fabric, and one of them killed
 * with SIGKILL: whoever was connected to it and waiting in a blocking recv gets ECONNRESET,
 * every survivor sees its node go offline, two survivors still talk to each other, and once the
 * survivors have ended, nothing of the fabric (the dead process's files included) is left in
 * /dev/shm.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS) // a survivor that never notices must not hang the build
class ThreePartyKillTest {
    private static final int MESSAGE = 3000;

    private ThreeParties parties;

    @BeforeEach
    void start() throws Exception {
        parties = new ThreeParties();
    }

    @AfterEach
    void end() {
        parties.close();
    }

    @Test
    void killingTheNativeNodeResetsTheShmNodeAndTheCProgram() throws Exception {
        killAJavaNode(parties.nativeNode(), parties.shmNode(), 2401);
    }

    @Test
    void killingTheShmNodeResetsTheNativeNodeAndTheCProgram() throws Exception {
        killAJavaNode(parties.shmNode(), parties.nativeNode(), 2402);
    }

    /** The victim is connected to the other Java node and to the C program, each waiting in recv. */
    private void killAJavaNode(PeerProcess victim, PeerProcess survivor, int cPort) throws Exception {
        ThreeParties.connect(victim, survivor);
        survivor.ok("block-in-recv");
        ThreeParties.CProgram c = parties.c("await-reset", Integer.toString(cPort));
        c.awaitLine("listening");
        victim.ok("connect " + ThreeParties.C + " " + cPort);

        victim.kill();

        assertReset(survivor);
        c.awaitLine("reset"); // its blocking recv ended with ECONNRESET and poll said POLLHUP
        c.assertExitsZero();
        ThreeParties.awaitOffline(survivor, victim.selfId());
    }

    @Test
    void killingTheCProgramResetsTheJavaNodesWhichStillTalk() throws Exception {
        PeerProcess n = parties.nativeNode();
        PeerProcess s = parties.shmNode();
        ThreeParties.CProgram c = parties.c("pong", "2403");
        c.awaitLine("listening");
        n.ok("connect " + ThreeParties.C + " 2403");
        n.ok("block-in-recv");

        c.process().destroyForcibly(); // SIGKILL
        assertTrue(c.process().waitFor(10, TimeUnit.SECONDS), "the C program ended");

        assertReset(n);
        ThreeParties.awaitOffline(n, ThreeParties.C);
        ThreeParties.awaitOffline(s, ThreeParties.C);
        ThreeParties.connect(n, s);
        assertEquals(s.ok("send " + MESSAGE + " 5").get("crc"), n.ok("recv " + MESSAGE).get("crc"),
            "the survivors still talk");
        n.ok("close");
        s.ok("close");
    }

    /** The survivor's blocked recv on its connection to the dead process ended with ECONNRESET. */
    private static void assertReset(PeerProcess survivor) {
        String event = ThreeParties.event(survivor);
        assertTrue(event.startsWith("RECV-ERR ECONNRESET"), "node " + survivor.selfId() + ": " + event);
    }
}
