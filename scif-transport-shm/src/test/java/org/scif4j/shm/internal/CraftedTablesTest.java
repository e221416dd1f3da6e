package org.scif4j.shm.internal;

import static org.junit.jupiter.api.Assertions.*;
import static org.scif4j.shm.internal.FabricDescriptor.*;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.scif4j.shm.TestTrees;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;

/**
 * A valid header over crafted tables: slot numbers out of range, queues that loop or point
 * at unrelated endpoints, a live-looking process slot for a dead pid. Every value is checked
 * before use: reaping and the calls fail or go on with a message naming the field, never a
 * SIGSEGV (which used to kill the next attaching JVM), a hang or a write outside the file.
 */
class CraftedTablesTest {
    private final Path root = Path.of("/dev/shm", "scif4j-crafted-" + ProcessHandle.current().pid() + "-" + System.nanoTime());

    @AfterEach
    void cleanUp() throws IOException {
        TestTrees.delete(root);
    }

    private String uri(int node) {
        return "shm:t?node=" + node + "&dir=" + root;
    }

    private static void putSlot(SharedFile f, int slot, int field, int value) {
        f.putInt(endpoint(slot) + field, value);
    }

    /** A process slot that looks live, for a pid that is gone: its endpoints get reaped. */
    private static int deadProcess(SharedFile f) throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        int slot = MAX_PROCESSES - 1;
        long p = process(slot);
        f.putInt(p + P_PID, (int) gone.pid());
        f.putInt(p + P_START_TIME, 12345);
        f.putInt(p + nodeCell(9), 1 << 9);
        f.putInt(p + P_STATE, P_LIVE);
        return slot;
    }

    /** Endpoints of the dead process with every kind of bad link, from the end of the table. */
    private static void craftBadEndpoints(SharedFile f, int owner) {
        int s = MAX_ENDPOINTS - 1;
        putSlot(f, s, E_OWNER, owner + 1); // a listener whose queue head is far outside the table
        putSlot(f, s, E_NODE, 9);
        putSlot(f, s, E_QUEUE_HEAD, 0x40000000);
        putSlot(f, s, E_QUEUE_COUNT, 1);
        putSlot(f, s, E_STATE, LISTENING);
        s--;
        putSlot(f, s, E_OWNER, owner + 1); // connected to slot 0x7ffffffe
        putSlot(f, s, E_NODE, 9);
        putSlot(f, s, E_PEER_SLOT, 0x7fffffff);
        putSlot(f, s, E_STATE, CONNECTED);
        s--;
        int listener = s;
        putSlot(f, listener, E_OWNER, owner + 1); // a listener whose queue loops: a -> b -> a
        putSlot(f, listener, E_NODE, 9);
        putSlot(f, listener, E_STATE, LISTENING);
        int a = s - 1;
        int b = s - 2;
        for (int c : new int[] {a, b}) {
            putSlot(f, c, E_OWNER, owner + 1);
            putSlot(f, c, E_NODE, 9);
            putSlot(f, c, E_LISTENER, listener + 1);
            putSlot(f, c, E_STATE, CONNECTING);
        }
        putSlot(f, a, E_QUEUE_NEXT, b + 1);
        putSlot(f, b, E_QUEUE_NEXT, a + 1);
        putSlot(f, listener, E_QUEUE_HEAD, a + 1);
        putSlot(f, listener, E_QUEUE_TAIL, b + 1);
        putSlot(f, listener, E_QUEUE_COUNT, 2);
        s = b - 1;
        putSlot(f, s, E_OWNER, 0x7fffffff); // an owner that names no process, and a bad listener link
        putSlot(f, s, E_LISTENER, -5);
        putSlot(f, s, E_STATE, CONNECTING);
    }

    @Test
    void theNextAttachingJvmReapsCraftedEntriesOfADeadProcessWithoutCrashing() throws Exception {
        try (ScifNode n = Scif.attach(uri(0))) {
            SharedFile f = ((ShmNode) n).fabric().file();
            craftBadEndpoints(f, deadProcess(f));
            Process child = ChildJvm.start(List.of(), "org.scif4j.shm.ShmChild", "attach", uri(1));
            String line;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                line = out.readLine();
            }
            assertTrue(child.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, child.exitValue(), "the attaching JVM survives (a SIGSEGV ends it with 134)");
            assertEquals("OK 1", line);
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                while (((ShmNode) n).fabric().isOnline(9)) {
                    Thread.onSpinWait(); // whichever process reaps first (the child, or our watchdog)
                }
            });
            assertEquals(0, f.getInt(process(MAX_PROCESSES - 1) + P_STATE), "the dead process's slot is free");
            for (int s = MAX_ENDPOINTS - 7; s < MAX_ENDPOINTS; s++) {
                assertEquals(FREE, f.getInt(endpoint(s) + E_STATE), "crafted slot " + s + " is reaped");
            }
        }
    }

    @Test
    void reapingInThisJvmSurvivesTheSameTables() throws Exception {
        try (ScifNode n = Scif.attach(uri(0))) {
            Fabric fabric = ((ShmNode) n).fabric();
            craftBadEndpoints(fabric.file(), deadProcess(fabric.file()));
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                fabric.lock();
                try {
                    fabric.reaper().reapDeadLocked();
                } finally {
                    fabric.unlock();
                }
            });
            assertFalse(fabric.isOnline(9));
            assertEquals(1089, n.open().bind(1089), "the fabric works on");
        }
    }

    @Test
    void aLiveListenerWithACorruptQueueFailsAcceptWithENODEVNamingTheField() throws Exception {
        try (ScifNode n = Scif.attach(uri(0))) {
            Endpoint l = n.open();
            l.bind(2000);
            l.listen(4);
            SharedFile f = ((ShmNode) n).fabric().file();
            int slot = listenerSlot(f, 2000);
            putSlot(f, slot, E_QUEUE_HEAD, 0x40000000);
            putSlot(f, slot, E_QUEUE_COUNT, 1);
            ScifException e = assertThrows(ScifException.class, () -> l.accept(0));
            assertEquals(Errno.ENODEV, e.errno());
            assertTrue(e.getMessage().contains("queue head") && e.getMessage().contains("1073741824"), e.getMessage());

            putSlot(f, slot, E_QUEUE_HEAD, slot + 1); // the listener queued on itself: a loop
            ScifException loop = assertThrows(ScifException.class, () -> l.accept(0));
            assertEquals(Errno.ENODEV, loop.errno());
            assertTimeoutPreemptively(Duration.ofSeconds(10), l::close); // closing walks the queue, bounded
        }
    }

    @Test
    void offsetsOutsideASharedFileAreRefusedBeforeAnyAccess() throws Exception {
        try (ScifNode n = Scif.attach(uri(0))) {
            SharedFile f = ((ShmNode) n).fabric().file();
            assertThrows(IndexOutOfBoundsException.class, () -> f.getInt(FILE_SIZE - 2));
            assertThrows(IndexOutOfBoundsException.class, () -> f.putLong(-8, 1));
            assertThrows(IndexOutOfBoundsException.class, () -> ((ShmNode) n).fabric().endpoints().get(0x7ffffffe, E_STATE));
        }
    }

    private static int listenerSlot(SharedFile f, int port) {
        for (int s = 0; s < MAX_ENDPOINTS; s++) {
            if (f.getInt(endpoint(s) + E_STATE) == LISTENING && f.getInt(endpoint(s) + E_PORT) == port) {
                return s;
            }
        }
        throw new AssertionError("no listener on port " + port);
    }
}
