package org.scif4j.bench.baseline;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The source and destination of the copy baselines ({@link MemcpyBaseline},
 * {@link TwoThreadCopy}), placed like the windows an shm RMA copies between: each a page-aligned
 * shared mapping of its own file under {@code /dev/shm} (tmpfs pages), unlinked as soon as it is
 * mapped. A copy of {@code size} bytes always goes from offset 0 to offset 0, as the RMA it
 * judges does, so both copy in cache or out of it alike.
 *
 * @param src the source, {@code capacity} bytes
 * @param dst the destination, {@code capacity} bytes
 */
public record CopyBuffers(ByteBuffer src, ByteBuffer dst) {
    /** The files' name prefix; the process id and a unique suffix follow. */
    public static final String PREFIX = "scif4j-bench-copy-";

    /**
     * @param dir      where the two files are made (and at once unlinked), normally /dev/shm
     * @param capacity bytes of each
     * @return the two mappings, the source filled with a pattern
     * @throws IOException when they cannot be made
     */
    public static CopyBuffers map(Path dir, long capacity) throws IOException {
        ByteBuffer src = mapped(dir, capacity);
        ByteBuffer dst = mapped(dir, capacity);
        for (int i = 0; i < capacity; i += 4096) {
            src.put(i, (byte) (i >>> 12));
            dst.put(i, (byte) 0); // touch every page of both before any timing
        }
        return new CopyBuffers(src, dst);
    }

    private static ByteBuffer mapped(Path dir, long capacity) throws IOException {
        Path file = Files.createTempFile(dir, PREFIX + ProcessHandle.current().pid() + "-", ".dat");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return ch.map(FileChannel.MapMode.READ_WRITE, 0, capacity);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** @return bytes of each buffer */
    public long capacity() {
        return src.capacity();
    }
}
