package org.scif4j.shm.internal;

import static org.junit.jupiter.api.Assertions.*;
import static org.scif4j.shm.internal.FabricDescriptor.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.scif4j.shm.TestTrees;

/**
 * The redo log of a change (docs/shm-format.md, "Change logs"): applying it twice, late, or
 * from another thread at the same time gives the same tables; a torn or foreign log is ignored.
 */
class ChangeLogTest {
    private Path dir;
    private SharedFile f;
    private final List<Object> removed = new ArrayList<>();

    @BeforeEach
    void map() throws IOException {
        dir = Files.createTempDirectory(Path.of("/dev/shm"), "scif4j-changelog-");
        f = SharedFile.create(dir.resolve("fabric"), FILE_SIZE);
    }

    @AfterEach
    void unmap() throws IOException {
        f.close();
        TestTrees.delete(dir);
    }

    private static long cell(int slot, int field) {
        return endpoint(slot) + field;
    }

    /** A change of slot 3 (UNBOUND on port 5) with a wake and a connection file removal. */
    private long[] sample() {
        f.putLong(cell(3, E_PORT), 9L << 32 | 4); // value 4, version 9
        ChangeLog c = new ChangeLog();
        c.put(cell(3, E_STATE), f.getLong(cell(3, E_STATE)), BOUND);
        c.put(cell(3, E_PORT), f.getLong(cell(3, E_PORT)), 6);
        c.put(cell(3, E_PORT), f.getLong(cell(3, E_PORT)), 5); // written twice: one entry, the last value
        c.wake(cell(3, E_EVENT_SEQ));
        c.wake(cell(3, E_EVENT_SEQ));
        c.remove(77);
        assertEquals(5, c.valueOr(cell(3, E_PORT), -1), "the preparing hold reads its own pending value");
        assertEquals(-1, c.valueOr(cell(4, E_PORT), -1));
        return c.entries(f.getLong(H_CHANGES));
    }

    private void assertApplied() {
        assertEquals(1L << 32 | BOUND, f.getLong(cell(3, E_STATE)), "value BOUND, version 1");
        assertEquals(10L << 32 | 5, f.getLong(cell(3, E_PORT)), "value 5, version 10");
        assertEquals(1L << 32 | 1, f.getLong(H_CHANGES), "changes bumped once");
    }

    @Test
    void applyingTwiceOrLateChangesNothingMore() {
        long[] log = sample();
        assertEquals(5, log.length / 3, "state, port, changes, one wake, one removal");
        ChangeLog.apply(f, log, removals(removed), false);
        assertApplied();
        ChangeLog.apply(f, log, removals(removed), false);
        assertApplied();
        f.casLong(cell(3, E_STATE), 1L << 32 | BOUND, ChangeLog.next(1L << 32 | BOUND, LISTENING)); // a later change
        ChangeLog.apply(f, log, removals(removed), false);
        assertEquals(2L << 32 | LISTENING, f.getLong(cell(3, E_STATE)), "a late apply never undoes a later change");
        assertEquals(3, f.getInt(cell(3, E_EVENT_SEQ)), "each apply wakes (a spurious wake is harmless)");
        assertEquals(List.of(77L, 77L, 77L), removed);
    }

    /** Removals into a list: a connection file as its id, a process's memory files as "mem PID START". */
    private static ChangeLog.Removals removals(List<Object> into) {
        return new ChangeLog.Removals() {
            @Override
            public void connectionFile(long connectionId) {
                into.add(connectionId);
            }

            @Override
            public void memoryFiles(int pid, long startTime) {
                into.add("mem " + pid + " " + startTime);
            }
        };
    }

    /** Layout 5: a kind 4 entry (a dead pid's memory files) goes through the log area and is applied after the cells. */
    @Test
    void aMemoryFilesRemovalIsLoggedAndApplied() {
        ChangeLog c = new ChangeLog();
        c.put(cell(3, E_STATE), f.getLong(cell(3, E_STATE)), FREE);
        c.removeMemory(4321, 0x1_2345_6789L);
        long[] log = c.entries(f.getLong(H_CHANGES));
        ChangeLog.write(f, logArea(1), 3, 99, log);
        long[] copy = ChangeLog.read(f, logArea(1), 3);
        assertArrayEquals(log, copy);
        List<Object> got = new ArrayList<>();
        ChangeLog.apply(f, copy, removals(got), false);
        ChangeLog.apply(f, copy, removals(got), false);
        assertEquals(List.of("mem 4321 4886718345", "mem 4321 4886718345"), got, "pid and start time; applied again, asked again");
        long[] noPid = log.clone();
        noPid[noPid.length - 1] = 0;
        ChangeLog.write(f, logArea(1), 3, 99, noPid);
        assertNull(ChangeLog.read(f, logArea(1), 3), "a kind 4 entry without a pid");
        long[] withOffset = log.clone();
        withOffset[withOffset.length - 3] = (long) H_STATE << 32 | ChangeLog.KIND_REMOVE_MEMORY;
        ChangeLog.write(f, logArea(1), 3, 99, withOffset);
        assertNull(ChangeLog.read(f, logArea(1), 3), "a kind 4 entry with an offset");
    }

    @Test
    void theHolderAndAWaiterApplyingAtOnceGiveTheSameTables() throws Exception {
        long[] log = sample();
        ChangeLog.write(f, logArea(2), 41, 4242, log);
        Thread waiter = new Thread(() -> {
            long[] copy = ChangeLog.read(f, logArea(2), 41);
            ChangeLog.apply(f, copy, removals(new ArrayList<>()), false);
            ChangeLog.markFinished(f, logArea(2), 41);
        });
        waiter.start();
        ChangeLog.apply(f, log, removals(new ArrayList<>()), false);
        waiter.join();
        assertApplied();
        assertEquals(ChangeLog.FINISHED, f.getInt(logArea(2) + ChangeLog.L_STATE));
        assertArrayEquals(log, ChangeLog.read(f, logArea(2), 41), "a finished log still reads back");
    }

    @Test
    void aTornOrForeignLogIsIgnored() {
        long[] log = sample();
        long area = logArea(5);
        ChangeLog.write(f, area, 7, 4242, log);
        assertArrayEquals(log, ChangeLog.read(f, area, 7));
        assertNull(ChangeLog.read(f, area, 8), "another epoch's log");
        f.putLong(area + ChangeLog.L_ENTRIES + 8, log[1] + 1); // one torn entry
        assertNull(ChangeLog.read(f, area, 7), "checksum");
        ChangeLog.write(f, area, 7, 4242, log);
        f.putInt(area + ChangeLog.L_STATE, ChangeLog.WRITING);
        assertNull(ChangeLog.read(f, area, 7), "still being written");
        long[] foreign = log.clone();
        foreign[0] = (LOG_AREA_OFFSET + 8) << 32 | ChangeLog.KIND_CELL; // a "cell" inside the log areas
        ChangeLog.write(f, area, 7, 4242, foreign);
        assertNull(ChangeLog.read(f, area, 7), "an offset that is no cell, though the checksum matches");
        f.putInt(area + ChangeLog.L_COUNT, ChangeLog.MAX_ENTRIES + 1);
        assertNull(ChangeLog.read(f, area, 7), "a count past the area");
        ChangeLog.markFinished(f, logArea(6), 7);
        assertEquals(0, f.getInt(logArea(6) + ChangeLog.L_STATE), "marking another area or epoch changes nothing");
    }
}
