package org.scif4j.tests.shm;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.Stream;
import org.scif4j.Endpoint;
import org.scif4j.Scif;
import org.scif4j.ScifMemory;
import org.scif4j.ScifNode;
import org.scif4j.Window;

/**
 * Not a test: a measuring loop (run by hand, under the machine lock) of what
 * {@link Endpoint#writeToAsync} costs over the plain writeTo + fenceMark + fenceWait it is built
 * on, on shm, one transfer in flight at a time. Rounds of the two alternate in one run; it
 * prints the median time per transfer of each and their ratio.
 * Usage: {@code java -cp ... org.scif4j.tests.shm.AsyncRmaOverhead [rounds]}
 */
public final class AsyncRmaOverhead {
    private static final int BATCH = 16;

    private AsyncRmaOverhead() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        Path dir = Files.createTempDirectory(Path.of("/dev/shm"), "scif4j-async-overhead");
        String uri = "shm:overhead?dir=" + dir + "&node=";
        try (ScifNode n0 = Scif.attach(uri + 0); ScifNode n1 = Scif.attach(uri + 1);
             Endpoint listener = n1.open()) {
            int port = listener.bind(0);
            listener.listen(1);
            Endpoint a = n0.open();
            Thread t = new Thread(() -> {
                try {
                    a.connect(listener.localPort());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            t.start();
            Endpoint b = listener.accept(Scif.ACCEPT_SYNC);
            t.join();
            int max = 1 << 20;
            try (ScifMemory ma = n0.allocate(max); ScifMemory mb = n1.allocate(max);
                 Window wa = a.registerWindow(ma.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
                 Window wb = b.registerWindow(mb.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0)) {
                for (int size : new int[] {64 << 10, 1 << 20}) {
                    measure(a, wa.offset(), wb.offset(), size, rounds, port);
                }
            }
            a.close();
            b.close();
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void measure(Endpoint ep, long local, long remote, int size, int rounds,
                                int port) throws Exception {
        int iters = Math.max(50, (64 << 20) / size); // 64 MiB per round
        double[] plain = new double[rounds];
        double[] async = new double[rounds];
        double[] plainBatch = new double[rounds];
        double[] asyncBatch = new double[rounds];
        java.util.concurrent.CompletableFuture<?>[] batch = new java.util.concurrent.CompletableFuture<?>[BATCH];
        for (int r = -2; r < rounds; r++) { // two warm-up rounds
            long t0 = System.nanoTime();
            for (int i = 0; i < iters; i++) {
                ep.writeTo(local, size, remote, 0);
                ep.fenceWait(ep.fenceMark(Scif.FENCE_INIT_SELF));
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < iters; i++) {
                ep.writeToAsync(local, size, remote, 0).join();
            }
            long t2 = System.nanoTime();
            for (int i = 0; i < iters; i += BATCH) {
                for (int k = 0; k < BATCH; k++) {
                    ep.writeTo(local, size, remote, 0);
                }
                ep.fenceWait(ep.fenceMark(Scif.FENCE_INIT_SELF));
            }
            long t3 = System.nanoTime();
            for (int i = 0; i < iters; i += BATCH) {
                for (int k = 0; k < BATCH; k++) {
                    batch[k] = ep.writeToAsync(local, size, remote, 0);
                }
                java.util.concurrent.CompletableFuture.allOf(batch).join();
            }
            long t4 = System.nanoTime();
            if (r >= 0) {
                plain[r] = (t1 - t0) / 1e3 / iters;
                async[r] = (t2 - t1) / 1e3 / iters;
                plainBatch[r] = (t3 - t2) / 1e3 / iters;
                asyncBatch[r] = (t4 - t3) / 1e3 / iters;
            }
        }
        report(size, "one at a time: writeTo+fenceMark+fenceWait", plain,
            "writeToAsync().join()", async, rounds, iters);
        report(size, BATCH + " in flight: " + BATCH + " writeTo+fenceMark+fenceWait", plainBatch,
            BATCH + " writeToAsync, allOf().join()", asyncBatch, rounds, iters);
    }

    private static void report(int size, String baseName, double[] base, String subjectName,
                               double[] subject, int rounds, int iters) {
        Arrays.sort(base);
        Arrays.sort(subject);
        double p = base[rounds / 2];
        double q = subject[rounds / 2];
        System.out.printf("size %7d B, %s %8.1f us/transfer, %s %8.1f us/transfer, ratio %.3f"
            + " (median of %d rounds of %d)%n", size, baseName, p, subjectName, q, q / p, rounds,
            iters);
    }
}
