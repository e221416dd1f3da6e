package org.scif4j.tests.shm;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;
import org.scif4j.tests.Async;
import org.scif4j.tests.ScifTestBase;
import org.scif4j.tests.TransportFixture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What only the shm transport has: its fabric directory (which also proves that the
 * fixture's leftover check looks at the right place), its URI options, and the
 * {@code privileged=true} option for ports below 1024 (docs/decisions.md).
 */
class ShmOptionsTest extends ScifTestBase {
    private ShmFixture shm;

    @Override
    protected TransportFixture newFixture() {
        shm = new ShmFixture();
        return shm;
    }

    @Test
    void fabricLivesInItsDirectoryUntilTheLastNodeCloses() throws ScifException {
        assertFalse(Files.exists(shm.fabricDir()), "no fabric before the first attach");
        ScifNode n0 = attach(0);
        assertTrue(Files.isDirectory(shm.fabricDir()),
            "the fabric lives in " + shm.fabricDir() + " while a node is attached");
        ScifNode n1 = attach(1);
        n0.close();
        assertTrue(Files.isDirectory(shm.fabricDir()), "the fabric stays while node 1 is attached");
        n1.close();
        shm.assertNoLeftovers();
    }

    @Test
    void dirOptionPlacesTheFabricElsewhere() throws Exception {
        Path dir = Files.createTempDirectory("scif4j-test");
        try (ScifNode n = Scif.attach(shm.fabricUri(0, "dir=" + dir))) {
            assertTrue(Files.list(dir).findAny().isPresent(), "the fabric was created under " + dir);
            assertFalse(Files.exists(shm.fabricDir()), "and not in the default directory");
        }
        try (var s = Files.list(dir)) {
            assertEquals(0, s.count(), "nothing is left in " + dir + " after the node closed");
        }
        Files.delete(dir);
    }

    @Test
    void waitStrategiesAllWork() throws ScifException {
        String[] waits = {"spin", "yield", "block", "adaptive"};
        for (int i = 0; i < waits.length; i++) {
            ScifNode a = attach(2 * i, "wait=" + waits[i]);
            ScifNode b = attach(2 * i + 1, "wait=" + waits[i]);
            try (Connection c = connect(a, b)) {
                byte[] data = randomBytes(i, 200_000);
                Async<Void> s = async("send", () -> {
                    sendFully(c.connector(), data);
                    return null;
                });
                assertEquals(crc(data), crc(recvFully(c.acceptor(), data.length)),
                    "200 kB with wait=" + waits[i]);
                s.get(SOON);
            }
        }
    }

    /**
     * Without {@code ring=} a connection holds 16 MiB less one byte for a reader that does not
     * read (the README's default), and {@code ring=} sets it: a non-blocking send to an empty
     * ring moves exactly ring - 1 bytes.
     */
    @Test
    void theDefaultRingHoldsSixteenMiBLessOneByte() throws ScifException {
        ByteBuffer big = ByteBuffer.allocateDirect(32 << 20);
        try (Connection c = connect(attach(0), attach(1))) {
            assertEquals((16 << 20) - 1, c.connector().send(big, 0), "a non-blocking send, default ring");
        }
        big.clear();
        try (Connection c = connect(attach(2, "ring=1m"), attach(3, "ring=1m"))) {
            assertEquals((1 << 20) - 1, c.connector().send(big, 0), "a non-blocking send, ring=1m");
        }
    }

    @Test
    void badOptionsAreRefusedWithEinval() {
        for (String bad : new String[] {"bogus=1", "ring=1000", "ring=5000", "wait=sometimes",
            "node=abc"}) {
            ScifException e = assertThrows(ScifException.class,
                () -> Scif.attach(shm.fabricUri(0, bad)).close(), "attach with " + bad);
            assertEquals(Errno.EINVAL, e.errno(), "attach with " + bad + ": " + e.getMessage());
        }
    }

    @Test
    void privilegedOptionAllowsLowPortsOnlyToRoot() throws Exception {
        boolean root = Files.readAllLines(Path.of("/proc/self/status")).stream()
            .filter(l -> l.startsWith("Uid:")).findFirst()
            .map(l -> l.split("\\s+")[1].equals("0")).orElse(false);
        if (!root) {
            assertThrows(ScifException.class, () -> attach(0, "privileged=true"),
                "privileged=true is refused to a process that does not run as root");
            return;
        }
        ScifNode privileged = attach(0, "privileged=true");
        ScifNode plain = attach(1);
        try (Endpoint a = open(privileged); Endpoint b = open(plain); Endpoint c = open(privileged)) {
            assertEquals(80, a.bind(80), "a privileged node binds port 80");
            assertEquals(1, c.bind(1), "and port 1");
            assertEquals(Errno.EACCES, assertThrows(ScifException.class, () -> b.bind(80),
                "bind(80) on an unprivileged node").errno(), "bind(80) without privilege");
        }
    }
}
