package org.scif4j.natives;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.scif4j.Endpoint;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifMemory;
import org.scif4j.ScifNode;

/**
 * The URI form users write, {@code native:?lib=emulated&fabric=NAME&node=N&dir=DIR}, with a shm
 * node of the same fabric and directory as the second node: the fabric lives under DIR (not
 * the default directory), both nodes message and do RMA there, and closing both leaves DIR empty.
 */
class NativeDirOptionTest {
    private Path dir;

    @BeforeEach
    void directory() throws Exception {
        dir = Files.createTempDirectory(Path.of("/dev/shm"), "native-dir-");
    }

    @AfterEach
    void nothingLeft() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> left = s.toList();
            assertEquals(List.of(), left, "left in " + dir + " after both nodes closed");
        } finally {
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void aFabricInAnotherDirectoryCarriesMessagesAndRma() throws Exception {
        String fabric = "d" + ProcessHandle.current().pid();
        try (ScifNode n = Scif.attach("native:?lib=emulated&fabric=" + fabric + "&node=0&dir=" + dir);
             ScifNode s = Scif.attach("shm:" + fabric + "?node=1&dir=" + dir)) {
            assertTrue(Files.isDirectory(dir.resolve(fabric)), "the fabric lives in " + dir);
            assertTrue(Files.notExists(Path.of("/dev/shm/scif4j", fabric)), "not in the default directory");
            Endpoint l = s.open();
            int port = l.bind(0);
            l.listen(1);
            Endpoint c = n.open();
            CompletableFuture<Integer> connected = CompletableFuture.supplyAsync(() -> {
                try {
                    return c.connect(new PortId(1, port));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Endpoint a = l.accept(Scif.ACCEPT_SYNC);
            connected.get(30, TimeUnit.SECONDS);
            ByteBuffer out = ByteBuffer.allocateDirect(8).putLong(0, 0x5eedL);
            c.send(out, Scif.SEND_BLOCK);
            ByteBuffer in = ByteBuffer.allocateDirect(8);
            a.recv(in, Scif.RECV_BLOCK);
            assertEquals(0x5eedL, in.getLong(0), "native to shm");
            try (ScifMemory mine = n.allocate(4096); ScifMemory theirs = s.allocate(4096)) {
                long lo = c.register(mine.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
                long ro = a.register(theirs.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
                mine.buffer().putLong(0, 0xfeedL);
                c.writeTo(lo, 4096, ro, Scif.RMA_SYNC);
                assertEquals(0xfeedL, theirs.buffer().getLong(0), "native's writeTo into shm's window");
                c.close();
                a.close();
            }
            l.close();
        }
    }
}
