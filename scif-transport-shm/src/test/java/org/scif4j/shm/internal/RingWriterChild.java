package org.scif4j.shm.internal;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.CRC32;

/**
 * The writer half of {@link ByteRingTwoProcessTest}, in its own JVM: writes random sizes of
 * random bytes into ring 0 of a connection file, waiting by spinning while the ring is full,
 * then prints the count and the CRC-32 of what it wrote.
 */
public final class RingWriterChild {
    private RingWriterChild() {
    }

    /** @param args the file, the ring size, a seed, the bytes to write */
    public static void main(String[] args) throws Exception {
        Path path = Path.of(args[0]);
        int ring = Integer.parseInt(args[1]);
        Random random = new Random(Long.parseLong(args[2]));
        long total = Long.parseLong(args[3]);
        CRC32 crc = new CRC32();
        try (SharedFile file = SharedFile.map(path, ConnectionDescriptor.fileSize(ring))) {
            ByteRing writer = new ByteRing(file, ConnectionDescriptor.ringHeader(0, ring),
                ConnectionDescriptor.ringData(0, ring), ring);
            ByteBuffer direct = ByteBuffer.allocateDirect(3 * ring);
            byte[] bytes = new byte[3 * ring];
            long sent = 0;
            while (sent < total) {
                // Mostly small messages, some larger than a frame or the ring.
                int n = (int) Math.min(total - sent, 1 + random.nextInt(random.nextInt(4) == 0 ? 3 * ring : 100));
                random.nextBytes(bytes);
                crc.update(bytes, 0, n);
                ByteBuffer src = random.nextBoolean() ? ByteBuffer.wrap(bytes, 0, n)
                    : direct.clear().put(bytes, 0, n).flip();
                while (src.hasRemaining()) {
                    if (writer.write(src) == 0) {
                        Thread.onSpinWait();
                    }
                }
                sent += n;
            }
        }
        System.out.println(total + " " + crc.getValue());
    }
}
