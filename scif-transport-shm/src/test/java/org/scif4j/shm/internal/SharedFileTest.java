package org.scif4j.shm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A shared file is unmapped when closed: every connection maps two and every attach one, so a
 * long-running process that kept them (as Chronicle's MappedBytes once did, two mappings of a
 * deleted file per connection) would run into the kernel's limit on mappings.
 */
class SharedFileTest {
    private final Path file = Path.of("/dev/shm", "scif4j-sharedfile-" + ProcessHandle.current().pid() + "-"
        + System.nanoTime());

    @AfterEach
    void remove() throws IOException {
        Files.deleteIfExists(file);
    }

    @Test
    void closeUnmaps() throws IOException {
        SharedFile f = SharedFile.map(file, 1 << 20);
        assertEquals(1, mappingsOf(file), "mapped once");
        assertEquals(1 << 20, Files.size(file), "map grows a new file to the size asked for");
        f.close();
        f.close(); // idempotent
        assertEquals(0, mappingsOf(file), "no mapping left after close");
    }

    @Test
    void manyMapAndCloseCyclesLeaveNoMapping() throws IOException {
        for (int i = 0; i < 200; i++) {
            SharedFile.map(file, 64 << 10).close();
        }
        assertEquals(0, mappingsOf(file), "200 cycles, no mapping left");
        assertTrue(Files.exists(file), "closing unmaps; it does not delete");
    }

    private static long mappingsOf(Path p) throws IOException {
        String name = p.toString();
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> l.contains(name)).count();
    }
}
