package org.scif4j.bench.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scif4j.bench.Main;
import org.scif4j.bench.pingpong.PingPongRun;

/**
 * A tiny {@code scif bench} end to end (one small size, few iterations, the Aeron peer too):
 * it completes, writes the chart and the JSON, and leaves no file under /dev/shm and no
 * process behind. The figures themselves are not judged.
 */
class BenchRunTest {
    @Test
    void aTinyBenchCompletesWritesItsFilesAndCleansUp(@TempDir Path tmp) throws Exception {
        Path json = tmp.resolve("r.json");
        String text = bench("--transports", "shm,tcp", "--sizes", "4k,6000", "--bytes", "64k",
            "--rounds", "2", "--round-trips", "200", "--warmup", "20", "--netty-round-trips", "20",
            "--messages", "2000", "--no-pin", "--out", tmp.toString(), "--json", json.toString(), "--timeout", "120");
        assertTrue(text.contains("shm bandwidth, GB/s"), text);
        assertTrue(text.matches("(?s).*\\n\\s+4 KiB\\s+\\d.*"), text);
        assertTrue(text.contains("floor: raw shm ping-pong"), text);
        assertTrue(text.contains("files left under /dev/shm: none"), text);
        assertTrue(text.matches("(?s).*shm send/recv / floor: raw shm ping-pong\\s+\\d+\\.\\d\\dx \\(2 rnd\\).*"), text);
        assertTrue(text.matches("(?s).*round trip p50 <= 1.25x the raw floor\\s+\\d+\\.\\d\\dx \\(2 rnd\\)"
            + "\\s+within noise.*"), "two rounds are too few for a verdict: " + text);
        // the floor's loop through a page of each side's window, mapped by the other side
        assertTrue(text.matches("(?s).*\\n  shm mmap flags / floor: raw shm ping-pong\\s+\\d+\\.\\d\\dx \\(2 rnd\\).*"), text);
        assertTrue(text.matches("(?s).*\\n  mmap'ed windows round trip p50 <= 1.1x the raw floor\\s+\\d+\\.\\d\\dx"
            + " \\(2 rnd\\)\\s+within noise\\n.*"), text);
        assertTrue(Files.size(tmp.resolve("scif-bench.png")) > 1000);
        assertTrue(Files.readString(tmp.resolve("scif-bench.svg")).contains("<svg"));
        assertTrue(Files.readString(tmp.resolve("scif-bench-ratios.svg")).contains("<svg"));
        String j = Files.readString(json);
        assertTrue(j.contains("\"shm writeTo dma\": {\"4096\": "), j);
        // 6000 B is no page multiple: the windows are whole pages, the RMAs 6000 bytes
        assertTrue(j.contains("\"shm vwriteTo cpu\": {\"4096\": {\"vs\": \"memcpy\", \"median\": "), j);
        assertTrue(j.matches("(?s).*\"shm vwriteTo dma\": \\{\"4096\": [0-9.e+-]+, \"6000\": [0-9.e+-]+}.*"), j);
        assertTrue(j.contains("\"shm send/recv\": {\"count\": 200"), "2 rounds of 100: " + j);
        assertTrue(j.contains("\"shm mmap flags\": {\"count\": 200"), "2 rounds of 100: " + j);
        assertTrue(j.contains("\"shm writeTo cpu\": {\"4096\": {\"vs\": \"memcpy\", \"median\": "), j);
        assertTrue(j.contains("\"tcp send/recv\": {\"4096\": {\"vs\": \"netty nio loopback\""), j);
        assertTrue(j.contains("\"netty nio loopback\": {\"4096\": "), j);
        assertTrue(j.contains("\"leftBehind\": []"), j);
        assertTrue(j.contains("\"transports\": [\"shm\", \"tcp\"]"), "both transports ran: " + j);
        assertTrue(j.contains("\"tcp send/recv\": {\"4096\": "), j);
        assertTrue(j.contains("\"aeron ipc\": {\"count\": 200"), "the Aeron peer ran: " + j);
        assertTrue(j.contains("\"shm send/recv\": {\"4096\": {\"vs\": \"aeron ipc\""), "streaming against Aeron: " + j);
        assertTrue(text.contains("64 B messages: 1,000 per round for shm send/recv and for Aeron IPC alike"), text);
        assertTrue(text.matches("(?s).*\\n  shm send/recv 64 B messages / aeron ipc 64 B messages\\s+\\d+\\.\\d\\dx"
            + " \\(2 rnd\\)\\n.*"), "shm's 64 B rate in rounds with Aeron's: " + text);
        assertTrue(text.matches("(?s).*shm 64 B messages >= Aeron IPC's rate\\s+\\d+\\.\\d\\dx \\(2 rnd\\)"
            + "\\s+within noise.*"), text);
        assertTrue(j.contains("\"messageRateRatios\": {\n    \"shm send/recv 64 B messages\": {\"vs\":"
            + " \"aeron ipc 64 B messages\", \"median\": "), j);

        assertEquals(List.of(), ProcessHandle.current().children().filter(ProcessHandle::isAlive).toList(),
            "every child process has ended");
        String pid = Long.toString(ProcessHandle.current().pid());
        assertEquals(List.of(), PingPongRun.leftBehind("bench-" + pid));
        assertEquals(List.of(), PingPongRun.leftBehind("scif4j-bench-aeron-" + pid));
    }

    /**
     * {@code --transports native}: native over scif4j's libscif, every figure in rounds with the Java
     * shm transport of the same fabric options; no Netty (tcp was not asked for); nothing left behind.
     */
    @Test
    void aTinyNativeBenchMeasuresNativeBesideShm(@TempDir Path tmp) throws Exception {
        Path json = tmp.resolve("n.json");
        String text = bench("--transports", "native", "--sizes", "4k,64k", "--bytes", "128k",
            "--rounds", "2", "--round-trips", "200", "--warmup", "20", "--no-pin", "--no-chart",
            "--json", json.toString(), "--timeout", "120");
        assertTrue(text.contains("native bandwidth, GB/s"), text);
        assertTrue(text.contains("shm beside native bandwidth, GB/s"), text);
        assertTrue(text.matches("(?s).*native send/recv / shm beside native send/recv\\s+\\d+\\.\\d\\dx.*"), text);
        assertTrue(text.matches("(?s).*native round trip p50 <= 1.3x shm\\s+\\d+\\.\\d\\dx \\(2 rnd\\).*"), text);
        assertTrue(text.contains("native writeTo cpu from 64 KiB >= 0.9x shm"), text);
        assertTrue(text.contains("files left under /dev/shm: none"), text);
        String j = Files.readString(json);
        for (String path : Series.PATHS) {
            assertTrue(j.contains("\"native " + path + "\": {\"4096\": {\"vs\": \"shm beside native " + path + "\""),
                path + ": " + j);
        }
        assertTrue(j.contains("\"native send/recv\": {\"count\": 200"), j);
        assertTrue(j.contains("\"transports\": [\"native\"]"), j);
        assertTrue(!j.contains("netty"), "no Netty baseline without tcp: " + j);
        assertTrue(j.contains("\"leftBehind\": []"), j);
        assertEquals(List.of(), ProcessHandle.current().children().filter(ProcessHandle::isAlive).toList(),
            "every child process has ended");
        assertEquals(List.of(), PingPongRun.leftBehind("bench-" + ProcessHandle.current().pid()));
    }

    /** Runs {@code scif bench} with these options, checks that it succeeded, and returns its stdout. */
    private static String bench(String... options) {
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        String[] args = new String[options.length + 1];
        args[0] = "bench";
        System.arraycopy(options, 0, args, 1, options.length);
        int code;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            code = Main.run(args);
        } finally {
            System.setOut(stdout);
        }
        String text = captured.toString(StandardCharsets.UTF_8);
        assertEquals(Main.OK, code, text);
        return text;
    }

    @Test
    void fabricUris() throws Exception {
        assertEquals("shm:b?node=1&dma=2", FabricUris.withNode("shm:b?dma=2", 1));
        assertEquals("shm:b?node=0&dma=2", FabricUris.withNode("shm:b?node=3&dma=2", 0));
        assertEquals("native:?node=1", FabricUris.withNode("native:", 1));
        assertEquals("tcp", FabricUris.scheme("tcp:0@127.0.0.1:1,1@127.0.0.1:2"));
        assertEquals("b", FabricUris.shmName("shm:b?dma=2"));
        assertEquals("n", FabricUris.shmName("native:?lib=emulated&fabric=n&dma=2"));
        assertEquals(null, FabricUris.shmName("native:"));
        assertEquals("shm:n-shm?dma=2&ring=65536",
            FabricUris.nativeBaseline("native:?lib=emulated&fabric=n&node=0&dma=2&ring=65536"));
        assertEquals("native:?lib=emulated&fabric=bench-7-native&dma=2", FabricUris.defaultFabric("native", "bench-7", 2));
        assertEquals("64 KiB", Series.human(65536));
        assertEquals("100 B", Series.human(100));
    }
}
