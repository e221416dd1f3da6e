package org.scif4j.shm.internal;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;

/**
 * Closing a listener with a long queue refuses every queued connector (ECONNREFUSED, as
 * scif_close(3) says), and does it in logged changes a waiter could finish, each within one
 * change log, never as one direct change too big for a log (which a stopped process would
 * hold the others hostage with; docs/shm-format.md, "Direct changes", item 5).
 */
class LongQueueCloseTest {
    private static final int CONNECTORS = 60;

    @Test
    void closingAListenerWithALongQueueRefusesEveryConnectorInLoggedBatches() throws Exception {
        String name = "longqueue" + ProcessHandle.current().pid() + "x" + System.nanoTime();
        try (ScifNode host = Scif.attach("shm:" + name + "?node=0");
             ScifNode card = Scif.attach("shm:" + name + "?node=1")) {
            Endpoint listener = host.open();
            int port = listener.bind(0);
            listener.listen(CONNECTORS + 4);
            List<Endpoint> connectors = new ArrayList<>();
            for (int i = 0; i < CONNECTORS; i++) {
                Endpoint c = card.open();
                c.configureBlocking(false);
                ScifException queued = assertThrows(ScifException.class, () -> c.connect(new PortId(0, port)));
                assertEquals(Errno.EINPROGRESS, queued.errno(), "connector " + i + " is queued");
                connectors.add(c);
            }
            FabricLock lock = ((ShmNode) host).fabric().controlLock();
            int before = lock.oversized();

            listener.close();

            assertEquals(before, lock.oversized(), "the close went out in logged changes, none too big for a log");
            for (int i = 0; i < CONNECTORS; i++) {
                Endpoint c = connectors.get(i);
                ScifException refused = assertThrows(ScifException.class, () -> c.connect(new PortId(0, port)));
                assertEquals(Errno.ECONNREFUSED, refused.errno(), "connector " + i + ": " + refused.getMessage());
                c.close();
            }
        }
        assertFalse(Files.exists(Path.of("/dev/shm/scif4j", name)), "the fabric's files are gone");
    }
}
