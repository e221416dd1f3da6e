package org.scif4j.shm.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.shm.ShmOptions;

/**
 * Files of another layout version are refused, never read or written: version 2 changed the
 * rings (a fill mark in every line), so a version-1 process and a version-2 process must never
 * share a fabric or a connection.
 */
class LayoutVersionTest {
    private final String name = "layout" + ProcessHandle.current().pid() + "x" + System.nanoTime();
    private final Path dir = Path.of(ShmOptions.DEFAULT_DIR, name);

    @AfterEach
    void remove() throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }
    }

    @Test
    void theVersionIsSix() {
        assertEquals(6, FabricDescriptor.VERSION, "docs/shm-format.md describes layout version 6");
        assertEquals(FabricDescriptor.VERSION, ConnectionDescriptor.VERSION, "one version for both files");
    }

    @Test
    void aVersion1FabricIsRefusedAndLeftUntouched() throws Exception {
        refusedAndLeftUntouched(1, FabricDescriptor.FILE_SIZE);
    }

    /**
     * A version 5 fabric (the same file: only its connection files differ, they have no copier
     * records) is refused, with a message naming both versions.
     */
    @Test
    void aVersion5FabricIsRefusedAndLeftUntouched() throws Exception {
        refusedAndLeftUntouched(5, FabricDescriptor.FILE_SIZE);
    }

    /**
     * A version 4 fabric (the same size and tables: it reaped by direct changes, and knows no
     * log entry of kind 4) is refused, with a message naming both versions.
     */
    @Test
    void aVersion4FabricIsRefusedAndLeftUntouched() throws Exception {
        refusedAndLeftUntouched(4, FabricDescriptor.FILE_SIZE);
    }

    /** A version 3 fabric (the same size: its process slots were plain words) is refused. */
    @Test
    void aVersion3FabricIsRefusedAndLeftUntouched() throws Exception {
        refusedAndLeftUntouched(3, FabricDescriptor.FILE_SIZE);
    }

    /** A version 2 fabric (1,085,440 bytes: 128-byte endpoint slots, no change logs) is refused. */
    @Test
    void aVersion2FabricIsRefusedAndLeftUntouched() throws Exception {
        refusedAndLeftUntouched(2, 1_085_440L);
    }

    private void refusedAndLeftUntouched(int version, long size) throws Exception {
        Files.createDirectories(dir);
        Path fabric = dir.resolve("fabric");
        writeHeader(fabric, size, version);
        byte[] before = Files.readAllBytes(fabric);
        ScifException e = assertThrows(ScifException.class, () -> Scif.attach("shm:" + name + "?node=0"));
        assertEquals(Errno.EINVAL, e.errno(), e.getMessage());
        assertTrue(e.getMessage().contains("version is " + version) && e.getMessage().contains("version 6"),
            "the message names both versions: " + e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(fabric), "a fabric of another version is never written");
    }

    @Test
    void aVersion1ConnectionFileIsRefused() throws Exception {
        connectionFileRefused(1);
    }

    /** A version 5 connection file (no copier records: its peers take RMA references) is refused. */
    @Test
    void aVersion5ConnectionFileIsRefused() throws Exception {
        connectionFileRefused(5);
    }

    private void connectionFileRefused(int version) throws Exception {
        Files.createDirectories(dir);
        Connection.create(dir, 7, 4096).close();
        Connection.open(dir, 7).close(); // version 6: opens
        Path conn = dir.resolve(ConnectionDescriptor.fileName(7));
        try (FileChannel ch = FileChannel.open(conn, StandardOpenOption.WRITE)) {
            ByteBuffer v = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(0, version);
            ch.write(v, ConnectionDescriptor.C_VERSION);
        }
        IOException e = assertThrows(IOException.class, () -> Connection.open(dir, 7));
        assertTrue(e.getMessage().contains("version " + version) && e.getMessage().contains("version 6"),
            "the message names both versions: " + e.getMessage());
    }

    /** A plausible header: magic, the version given, page and file sizes, tables, state active. */
    private static void writeHeader(Path file, long size, int version) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(FabricDescriptor.PAGE).order(ByteOrder.nativeOrder());
        h.putLong(FabricDescriptor.H_MAGIC, FabricDescriptor.MAGIC);
        h.putInt(FabricDescriptor.H_VERSION, version);
        h.putInt(FabricDescriptor.H_PAGE_SIZE, FabricDescriptor.PAGE);
        h.putLong(FabricDescriptor.H_FILE_SIZE, size);
        h.putInt(FabricDescriptor.H_MAX_PROCESSES, FabricDescriptor.MAX_PROCESSES);
        h.putInt(FabricDescriptor.H_MAX_ENDPOINTS, FabricDescriptor.MAX_ENDPOINTS);
        h.putInt(version < 3 ? 36 : FabricDescriptor.H_STATE, FabricDescriptor.STATE_ACTIVE); // version 2 kept it at 36
        h.putLong(FabricDescriptor.H_PROCESS_TABLE, FabricDescriptor.PROCESS_TABLE_OFFSET);
        h.putLong(FabricDescriptor.H_ENDPOINT_TABLE, FabricDescriptor.ENDPOINT_TABLE_OFFSET);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(h, 0);
            ch.write(ByteBuffer.allocate(1), size - 1);
        }
    }
}
