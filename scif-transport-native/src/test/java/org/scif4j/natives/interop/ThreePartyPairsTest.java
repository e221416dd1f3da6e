package org.scif4j.natives.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.scif4j.tests.process.PeerProcess;

/**
 * A Java native: node, a Java shm: node and a C program, each its own process on one fabric:
 * every pair connects either way, streams both ways and moves data by RMA (writeTo and
 * readFrom from either side, and with the C program a vwriteto, a fence signal and a store
 * through mmap each way). Afterwards the fabric has left nothing in /dev/shm.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS) // a C program that failed must not leave a call waiting
class ThreePartyPairsTest {
    /** Less than a ring, so that a send ends before its reader is asked to receive. */
    private static final int MESSAGE = 3000;
    private static final int C_STREAM = 1 << 20;
    private static final int WINDOW = 65536;

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
    void nativeAndShmSendAndRecvBothWays() {
        PeerProcess n = parties.nativeNode();
        PeerProcess s = parties.shmNode();
        ThreeParties.connect(n, s);
        assertEquals(s.ok("send " + MESSAGE + " 7").get("crc"), n.ok("recv " + MESSAGE).get("crc"), "shm to native");
        assertEquals(n.ok("send " + MESSAGE + " 8").get("crc"), s.ok("recv " + MESSAGE).get("crc"), "native to shm");
        n.ok("close");
        s.ok("close");
        ThreeParties.connect(s, n); // the other way round
        assertEquals(n.ok("send " + MESSAGE + " 9").get("crc"), s.ok("recv " + MESSAGE).get("crc"), "native to shm");
        n.ok("close");
        s.ok("close");
    }

    @Test
    void nativeAndShmWriteToAndReadFromEachOther() {
        PeerProcess n = parties.nativeNode();
        PeerProcess s = parties.shmNode();
        ThreeParties.connect(n, s);
        Map<String, String> n1 = n.ok("reg " + WINDOW + " 3 11");
        Map<String, String> n2 = n.ok("reg " + WINDOW + " 3 12");
        Map<String, String> s1 = s.ok("reg " + WINDOW + " 3 13");
        Map<String, String> s2 = s.ok("reg " + WINDOW + " 3 14");
        s.ok("writeto " + s1.get("offset") + " " + WINDOW + " " + n1.get("offset") + " 0");
        assertEquals(s1.get("crc"), crc(n, n1), "shm's writeTo into native's window");
        n.ok("writeto " + n2.get("offset") + " " + WINDOW + " " + s1.get("offset") + " 0");
        assertEquals(n2.get("crc"), crc(s, s1), "native's writeTo into shm's window");
        n.ok("readfrom " + n1.get("offset") + " " + WINDOW + " " + s2.get("offset") + " 0");
        assertEquals(s2.get("crc"), crc(n, n1), "native's readFrom shm's window");
        s.ok("readfrom " + s2.get("offset") + " " + WINDOW + " " + n2.get("offset") + " 1"); // RMA_USECPU
        assertEquals(n2.get("crc"), crc(s, s2), "shm's readFrom native's window");
        n.ok("close");
        s.ok("close");
    }

    @Test
    void nativeAndTheCProgramStreamAndRma() throws Exception {
        withTheCProgram(parties.nativeNode(), 2301);
    }

    @Test
    void shmAndTheCProgramStreamAndRma() throws Exception {
        withTheCProgram(parties.shmNode(), 2302);
    }

    /** The C program listens, then connects (stream, then RMA); each time the Java node checks its bytes. */
    private void withTheCProgram(PeerProcess java, int cPort) throws Exception {
        ThreeParties.CProgram listening = parties.c("listen", Integer.toString(cPort), Integer.toString(C_STREAM));
        listening.awaitLine("listening");
        java.ok("connect " + ThreeParties.C + " " + cPort);
        java.ok("c-stream-out " + C_STREAM);
        java.ok("c-stream-in " + C_STREAM);
        java.ok("close"); // the C program checks that it then sees ECONNRESET
        listening.assertExitsZero();

        int port = Integer.parseInt(java.ok("listen 0 1").get("port"));
        java.ok("accept-async");
        ThreeParties.CProgram connecting = parties.c("connect", Integer.toString(java.selfId()),
            Integer.toString(port), Integer.toString(C_STREAM));
        assertEquals("ACCEPTED peer=" + ThreeParties.C, ThreeParties.event(java).replaceAll(":\\d+$", ""));
        java.ok("c-stream-in " + C_STREAM);
        java.ok("c-stream-out " + C_STREAM);
        connecting.assertExitsZero();
        java.ok("close");

        port = Integer.parseInt(java.ok("listen 0 1").get("port"));
        ThreeParties.CProgram rma = parties.c("rma", Integer.toString(java.selfId()), Integer.toString(port));
        java.ok("accept");
        java.ok("c-rma");
        rma.assertExitsZero();
        java.ok("close");
    }

    private static String crc(PeerProcess p, Map<String, String> window) {
        return p.ok("window-crc " + window.get("offset") + " " + WINDOW).get("crc");
    }
}
