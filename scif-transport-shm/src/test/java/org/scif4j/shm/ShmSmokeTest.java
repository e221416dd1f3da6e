package org.scif4j.shm;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.scif4j.Endpoint;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifNode;

class ShmSmokeTest {
    @Test
    void connectSendRecvInOneJvm() throws Exception {
        String name = "smoke" + ProcessHandle.current().pid() + "x" + System.nanoTime();
        try (ScifNode host = Scif.attach("shm:" + name + "?node=0");
             ScifNode card = Scif.attach("shm:" + name + "?node=1")) {
            assertArrayEquals(new int[] {0, 1}, host.nodeIds().online());
            Endpoint l = host.open();
            assertEquals(1089, l.bind(0));
            l.listen(4);
            Endpoint c = card.open();
            Thread t = new Thread(() -> {
                try {
                    c.connect(new PortId(0, 1089));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            t.start();
            Endpoint a = l.accept(Scif.ACCEPT_SYNC);
            t.join();
            assertEquals(new PortId(1, 1089), a.peerPort());
            ByteBuffer msg = ByteBuffer.allocateDirect(100000);
            for (int i = 0; i < msg.capacity(); i++) {
                msg.put(i, (byte) i);
            }
            Thread s = new Thread(() -> {
                try {
                    c.send(msg, Scif.SEND_BLOCK);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            s.start();
            ByteBuffer in = ByteBuffer.allocate(100000);
            assertEquals(100000, a.recv(in, Scif.RECV_BLOCK));
            s.join();
            for (int i = 0; i < in.capacity(); i++) {
                assertEquals((byte) i, in.get(i));
            }
            c.close();
            assertThrows(org.scif4j.ScifException.class, () -> a.recv(ByteBuffer.allocate(1), Scif.RECV_BLOCK));
        }
        assertFalse(Files.exists(Path.of("/dev/shm/scif4j", name)));
    }
}
