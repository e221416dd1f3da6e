package org.scif4j.natives.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.scif4j.natives.conformance.NativeFixture;
import org.scif4j.tests.process.PeerProcess;

/**
 * Three processes on one emulated fabric: a Java {@code native:} node (node 0, JNA over
 * scif4j's libscif), a Java {@code shm:} node (node 1) and libscif's C program
 * {@code scif-peer} (node 2, started per scenario). The Java nodes are {@link PeerProcess}es
 * driven by commands; the fabric is a {@link NativeFixture}'s, so that {@link #close()} can
 * check that it left nothing behind once every process has ended.
 */
final class ThreeParties implements AutoCloseable {
    /** libscif's C test program, built by the libscif module. */
    static final Path C_PEER = Path.of("..", "libscif", "target", "bin", "scif-peer").toAbsolutePath().normalize();
    static final int NATIVE = 0;
    static final int SHM = 1;
    static final int C = 2;

    private final NativeFixture fabric = new NativeFixture();
    private final List<PeerProcess> java = new ArrayList<>();
    private final List<CProgram> programs = new ArrayList<>();

    /** A running {@code scif-peer}, its stdout and stderr merged into one line reader. */
    record CProgram(Process process, BufferedReader out) {
        /**
         * @param prefix what the next line starts with, e.g. {@code listening}
         * @throws IOException when the program's output ends first
         */
        void awaitLine(String prefix) throws IOException {
            String line = out.readLine();
            assertTrue(line != null && line.startsWith(prefix), "scif-peer said '" + line + "', expected "
                + prefix + "...");
        }

        /** Waits for the program to end and checks that it succeeded. */
        void assertExitsZero() throws IOException, InterruptedException {
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "scif-peer did not finish");
            StringBuilder rest = new StringBuilder();
            for (String l; (l = out.readLine()) != null; ) {
                rest.append("\n  ").append(l);
            }
            assertEquals(0, process.exitValue(), "scif-peer's exit status; it wrote:" + rest);
        }
    }

    /**
     * Starts the two Java nodes.
     *
     * @throws IOException when a JVM cannot start
     */
    ThreeParties() throws IOException {
        assertTrue(Files.isExecutable(C_PEER), C_PEER + " is built by the libscif module");
        try {
            java.add(PeerProcess.start(fabric.fabricUri(NATIVE, "")));
            java.add(PeerProcess.start(fabric.fabricUri(SHM, "")));
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** @return the Java native: node's process (node 0) */
    PeerProcess nativeNode() {
        return java.get(NATIVE);
    }

    /** @return the Java shm: node's process (node 1) */
    PeerProcess shmNode() {
        return java.get(SHM);
    }

    /**
     * Starts {@code scif-peer} as node 2.
     *
     * @param args its arguments, e.g. {@code listen 2345 1000}
     * @return the program
     * @throws IOException when it cannot start
     */
    CProgram c(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(C_PEER.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("SCIF_FABRIC", fabric.fabricUri(C, ""));
        Process p = pb.start();
        CProgram program = new CProgram(p, new BufferedReader(new InputStreamReader(p.getInputStream(),
            StandardCharsets.US_ASCII)));
        programs.add(program);
        return program;
    }

    /**
     * Connects two Java nodes: {@code listener} listens and accepts in the background,
     * {@code connector} connects; each one's current connection is then this one.
     *
     * @return the listening port
     */
    static int connect(PeerProcess listener, PeerProcess connector) {
        int port = Integer.parseInt(listener.ok("listen 0 1").get("port"));
        listener.ok("accept-async");
        connector.ok("connect " + listener.selfId() + " " + port);
        String event = listener.awaitEvent(PeerProcess.REPLY_TIMEOUT);
        assertTrue(event.startsWith("ACCEPTED"), event);
        return port;
    }

    /**
     * Waits until {@code observer} sees node {@code gone} offline.
     *
     * @param observer a Java node
     * @param gone     the node that died
     */
    static void awaitOffline(PeerProcess observer, int gone) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        String online;
        do {
            online = observer.ok("nodeids").get("online");
            if (!List.of(online.split(",")).contains(Integer.toString(gone))) {
                return;
            }
            Thread.onSpinWait();
        } while (System.nanoTime() < deadline);
        throw new AssertionError("node " + observer.selfId() + " still sees node " + gone + " online: " + online);
    }

    /** Waits for a background event of a Java node. */
    static String event(PeerProcess p) {
        return p.awaitEvent(Duration.ofSeconds(10));
    }

    /** Ends every process (Java nodes close theirs), then checks that the fabric is gone from /dev/shm. */
    @Override
    public void close() {
        for (PeerProcess p : java) {
            p.close();
        }
        for (CProgram c : programs) {
            c.process().destroyForcibly();
        }
        try {
            fabric.assertNoLeftovers();
        } finally {
            fabric.removeLeftovers();
        }
    }
}
