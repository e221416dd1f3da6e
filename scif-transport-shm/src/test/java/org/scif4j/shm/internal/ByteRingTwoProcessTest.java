package org.scif4j.shm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A ring between two processes, as a connection has it: a child JVM writes random sizes of
 * random bytes, this JVM reads them with random sizes, and the CRC-32 of what it read must be
 * the one the child printed for what it wrote (the memory ordering of frames, headers and
 * counters, across cores and laps).
 */
class ByteRingTwoProcessTest {
    private static final int R = 4096;
    private static final long TOTAL = 16L << 20;
    private final Path path = Path.of("/dev/shm", "scif4j-ring2-" + ProcessHandle.current().pid() + "-"
        + System.nanoTime());

    @AfterEach
    void remove() throws IOException {
        Files.deleteIfExists(path);
    }

    @Test
    void aChildWritesAndThisProcessReadsTheSameStream() throws Exception {
        try (SharedFile file = SharedFile.map(path, ConnectionDescriptor.fileSize(R))) {
            ByteRing reader = new ByteRing(file, ConnectionDescriptor.ringHeader(0, R),
                ConnectionDescriptor.ringData(0, R), R);
            Process child = ChildJvm.start(List.of(), RingWriterChild.class.getName(), path.toString(),
                Integer.toString(R), "20261205", Long.toString(TOTAL));
            try {
                Random random = new Random(5);
                CRC32 crc = new CRC32();
                ByteBuffer heap = ByteBuffer.allocate(3 * R);
                ByteBuffer direct = ByteBuffer.allocateDirect(3 * R);
                byte[] copy = new byte[3 * R];
                long got = 0;
                while (got < TOTAL) {
                    ByteBuffer dst = random.nextBoolean() ? heap : direct;
                    dst.clear().limit(1 + random.nextInt(random.nextBoolean() ? 64 : 3 * R));
                    int r = reader.read(dst);
                    assertTrue(r >= 0, "read " + r + ": " + reader.corruption());
                    if (r == 0) {
                        // Nothing yet: the child is writing, unless it ended early.
                        assertTrue(child.isAlive() || reader.hasData(), "the writer ended after " + got + " bytes");
                        Thread.onSpinWait();
                        continue;
                    }
                    dst.flip().get(copy, 0, r);
                    crc.update(copy, 0, r);
                    got += r;
                }
                assertEquals(0, reader.read(ByteBuffer.allocate(8)), "nothing past the stream");
                String line;
                try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.US_ASCII))) {
                    line = out.readLine();
                }
                assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the writer ends");
                assertEquals(0, child.exitValue(), "the writer's exit status");
                assertEquals(TOTAL + " " + crc.getValue(), line, "the count and CRC-32 the writer printed");
            } finally {
                child.destroyForcibly();
            }
        }
    }
}
