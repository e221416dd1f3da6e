package org.scif4j.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scif4j.Scif;
import org.scif4j.ScifNode;
import org.scif4j.bench.Main;
import org.scif4j.bench.pingpong.PingPongConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Parsing and exit codes of the {@code scif} command line; nothing here runs a benchmark. */
class CommandLineTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(CommandLine cl, String... args) {
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    private int run(String... args) {
        return run(Main.commandLine(), args);
    }

    @Test
    void helpExitsZeroAndListsTheCommands() {
        assertEquals(0, run("--help"));
        assertTrue(out.toString().contains("pingpong"), out.toString());
        assertTrue(out.toString().contains("info"), out.toString());
        assertTrue(out.toString().contains("idle"), out.toString());
        assertTrue(out.toString().contains("clean"), out.toString());
        assertFalse(out.toString().contains("pingpong-peer"), "the peer command is hidden");
        assertTrue(out.toString().contains("jmh [REGEX]"), "the launcher's jmh command is listed: " + out);
    }

    @Test
    void rmaMeasuresSizesBelowAPageAndOddSizesAndEndsCleanly() {
        // Before: 1k failed in its final unregister (EINVAL: the window was not whole pages),
        // and 3 moved --bytes three bytes at a time for minutes.
        assertEquals(0, run("rma", "--sizes", "1k,3", "--bytes", "64k", "--rounds", "1"), err.toString());
        String text = out.toString();
        assertTrue(text.matches("(?s).*\\n\\s+3 B\\s.*"), text);
        assertTrue(text.matches("(?s).*\\n\\s+1 KiB\\s.*"), text);
        assertTrue(text.contains("register + unregister"), "the run reached its end: " + text);
        assertEquals(RmaCommand.MAX_CALLS, RmaCommand.reps(256L << 20, 3), "a tiny size is capped");
        assertEquals(4, RmaCommand.reps(1 << 20, 64L << 20), "at least 4 calls");
        assertEquals("1536 B", RmaCommand.human(1536));
    }

    @Test
    void infoNamesAFabricThatDoesNotExist() {
        assertEquals(Main.FAILED, run("info", "nosuchfabric" + System.nanoTime()));
        assertTrue(err.toString().contains("no such fabric: nosuchfabric"), err.toString());
    }

    @Test
    void cleanLeavesALiveFabricAndNamesAMissingOne(@TempDir Path root) throws Exception {
        assertEquals(Main.OK, run("clean", "--dir", root.toString()));
        assertTrue(out.toString().contains("nothing to clean"), out.toString());
        assertEquals(Main.FAILED, run("clean", "--dir", root.toString(), "nosuchfabric"));
        assertTrue(err.toString().contains("no such fabric: nosuchfabric"), err.toString());
        try (ScifNode n = Scif.attach("shm:busy?node=0&dir=" + root)) {
            assertEquals(Main.FAILED, run("clean", "--dir", root.toString(), "busy"), "a named live fabric is refused");
            assertTrue(err.toString().contains("left fabric busy: in use (pid " + ProcessHandle.current().pid()),
                err.toString());
            assertEquals(Main.OK, run("clean", "--dir", root.toString()), "unnamed, a live one is only reported");
            assertTrue(Files.exists(root.resolve("busy").resolve("fabric")), "and never touched");
        }
        assertEquals(0, run("help", "clean"));
    }

    @Test
    void everyCommandsHelpHasOneStyle() {
        for (String command : new String[] {"bench", "pingpong", "rma", "info", "clean", "idle"}) {
            out.getBuffer().setLength(0);
            assertEquals(0, run(command, "--help"), command);
            String help = out.toString();
            assertFalse(help.contains("=<"), command + ": every option's value has a named label: " + help);
            assertTrue(help.contains("Exit codes: 0 ok, 1 "), command + ": the exit codes are listed: " + help);
            assertFalse(help.matches("(?s).*\\n {6}--[a-z-]+(=\\S+)? +[a-z].*"),
                command + ": option descriptions are sentences: " + help);
        }
    }

    @Test
    void pingpongHelpExitsZeroAndListsItsOptions() {
        assertEquals(0, run("pingpong", "--help"));
        for (String option : new String[] {"--fabric-name", "--wait", "--ring", "--round-trips",
                "--stream-bytes", "--[no-]pin", "--json"}) {
            assertTrue(out.toString().contains(option), option + " in " + out);
        }
        assertEquals(0, run("help", "pingpong"));
    }

    @Test
    void benchHelpExitsZeroAndListsItsOptions() {
        assertEquals(0, run("bench", "--help"));
        for (String option : new String[] {"--fabric", "--transports", "--sizes", "--dma", "--bytes",
                "--rounds", "--round-trips", "--messages", "--peers", "--[no-]pin", "--out", "--json", "--timeout"}) {
            assertTrue(out.toString().contains(option), option + " in " + out);
        }
        assertEquals(0, run("info", "--help"));
        assertTrue(out.toString().contains("--watch"), out.toString());
        assertEquals(0, run("rma", "--help"));
    }

    @Test
    void benchUsageErrorsExitTwo() {
        assertEquals(Main.USAGE, run("bench", "--sizes", "big"));
        assertEquals(Main.USAGE, run("bench", "--sizes", "2g"));
        assertEquals(Main.USAGE, run("bench", "--dma", "0"));
        assertEquals(Main.USAGE, run("bench", "--batches", "0"));
        assertEquals(Main.USAGE, run("bench", "--rounds", "0"));
        assertEquals(Main.USAGE, run("bench", "--peers", "zeromq"));
        assertEquals(Main.USAGE, run("bench", "--transports", "udp"));
        assertEquals(Main.USAGE, run("bench", "--fabric", "no-scheme"));
        assertEquals(Main.USAGE, run("bench", "--fabric", "shm:a", "--fabric", "shm:b?ring=65536"));
        assertTrue(err.toString().contains("are both shm: one fabric per transport"), err.toString());
        assertEquals(Main.USAGE, run("bench", "--round-trips", "0"));
        assertEquals(Main.USAGE, run("bench", "--messages", "0"));
        assertEquals(Main.USAGE, run("info", "--watch", "0"));
        assertTrue(err.toString().contains("Try 'scif bench --help'"), err.toString());
    }

    @Test
    void benchDefaults() throws Exception {
        CommandLine cl = Main.commandLine();
        cl.parseArgs("bench");
        BenchCommand cmd = cl.getSubcommands().get("bench").getCommand();
        org.scif4j.bench.sweep.BenchConfig c = cmd.config();
        assertEquals(java.util.List.of("shm:bench-" + ProcessHandle.current().pid() + "?dma=2"), c.fabrics());
        assertEquals(1L << 10, c.sizes().get(0));
        assertEquals(64L << 20, c.maxSize());
        assertEquals(java.util.List.of("aeron"), c.peers());
        assertEquals(Path.of("."), c.out());
        assertTrue(c.roundTrips() >= 100_000, "at least 100,000 round trips");
        assertTrue(c.rounds() >= 5, "a verdict needs at least 5 rounds");
        assertEquals(500_000, c.perRound(c.messages()), "64 B messages per round, shm and Aeron each");

        cl = Main.commandLine();
        cl.parseArgs("bench", "--fabric", "shm:x?wait=spin", "--sizes", "64k,4k", "--peers", "none",
            "--no-chart");
        c = ((BenchCommand) cl.getSubcommands().get("bench").getCommand()).config();
        assertEquals(java.util.List.of("shm:x?wait=spin"), c.fabrics());
        assertEquals(java.util.List.of(4096L, 65536L), c.sizes());
        assertEquals(java.util.List.of(), c.peers());
        assertNull(c.out());
    }

    @Test
    void rmaTransport() {
        CommandLine cl = Main.commandLine();
        cl.parseArgs("rma");
        RmaCommand cmd = cl.getSubcommands().get("rma").getCommand();
        assertEquals(RmaCommand.Transport.SHM, cmd.transport, "shm unless told");
        assertNull(cmd.bytes, "the default depends on the transport");

        cl = Main.commandLine();
        cl.parseArgs("rma", "--transport", "tcp", "--sizes", "4k,64k", "--bytes", "64m");
        cmd = cl.getSubcommands().get("rma").getCommand();
        assertEquals(RmaCommand.Transport.TCP, cmd.transport);
        assertEquals(java.util.List.of(4096L, 65536L), cmd.sizes);
        assertEquals(64L << 20, cmd.bytes);

        cl = Main.commandLine();
        cl.parseArgs("rma", "--transport", "SHM");
        assertEquals(RmaCommand.Transport.SHM,
            ((RmaCommand) cl.getSubcommands().get("rma").getCommand()).transport);

        assertEquals(0, run("rma", "--help"));
        assertTrue(out.toString().contains("--transport"), out.toString());
        assertEquals(Main.USAGE, run("rma", "--transport", "udp"));
        assertEquals(Main.USAGE, run("rma", "--transport"));
        assertTrue(err.toString().contains("--transport"), err.toString());
        assertTrue(err.toString().contains("Try 'scif rma --help'"), err.toString());
    }

    @Test
    void infoShowsAWindowWithItsBackingFile() throws Exception {
        String name = "infow" + ProcessHandle.current().pid() + "x" + System.nanoTime();
        try (org.scif4j.ScifNode host = org.scif4j.Scif.attach("shm:" + name + "?node=0");
             org.scif4j.ScifNode card = org.scif4j.Scif.attach("shm:" + name + "?node=1");
             org.scif4j.ScifMemory mem = card.allocate(8192)) {
            org.scif4j.Endpoint listener = host.open();
            int port = listener.bind(0);
            listener.listen(4);
            org.scif4j.Endpoint client = card.open();
            client.configureBlocking(false);
            try {
                client.connect(new org.scif4j.PortId(0, port));
            } catch (org.scif4j.ScifException e) {
                assertEquals(org.scif4j.Errno.EINPROGRESS, e.errno());
            }
            org.scif4j.Endpoint server = listener.accept(org.scif4j.Scif.ACCEPT_SYNC);
            client.connect(new org.scif4j.PortId(0, port));
            long offset = client.register(mem.buffer(), 0x10000, org.scif4j.Scif.PROT_READ,
                org.scif4j.Scif.MAP_FIXED);
            assertEquals(0x10000, offset);
            assertEquals(0, run("info", name));
            String text = out.toString();
            assertTrue(text.matches("(?s).*window \\[0x10000, 0x12000\\) 8,192 B r- mem-\\d+-\\d+ at 0x0,"
                + " rma refs 0, map refs 0.*"), text);
            assertTrue(text.contains("CONNECTED"), text);
            server.close();
        }
    }

    @Test
    void infoTotalsEachNodeWithTheCountsOfItsEndpointsMetrics() throws Exception {
        String name = "infot" + ProcessHandle.current().pid() + "x" + System.nanoTime();
        try (ScifNode host = Scif.attach("shm:" + name + "?node=0");
             ScifNode card = Scif.attach("shm:" + name + "?node=1")) {
            org.scif4j.Endpoint listener = host.open();
            int port = listener.bind(0);
            listener.listen(4);
            org.scif4j.Endpoint client = card.open();
            client.configureBlocking(false);
            try {
                client.connect(new org.scif4j.PortId(0, port));
            } catch (org.scif4j.ScifException e) {
                assertEquals(org.scif4j.Errno.EINPROGRESS, e.errno());
            }
            org.scif4j.Endpoint server = listener.accept(Scif.ACCEPT_SYNC);
            client.connect(new org.scif4j.PortId(0, port));
            client.send(java.nio.ByteBuffer.allocate(12_345), Scif.SEND_BLOCK);
            server.recv(java.nio.ByteBuffer.allocate(345), Scif.RECV_BLOCK);
            assertEquals(0, run("info", name));
            String text = out.toString();
            org.scif4j.EndpointMetrics c = card.metrics().totals();
            org.scif4j.EndpointMetrics h = host.metrics().totals();
            assertEquals(12_345, c.bytesSent());
            // node 1's total row: bytes sent by its endpoints, and received (the ring's read position)
            assertTrue(text.matches(String.format("(?s).*node 1\\n.*total\\s+%,d\\s+%,d\\s.*",
                c.bytesSent(), c.bytesReceived())), text);
            assertTrue(text.matches(String.format("(?s).*node 0\\n.*total\\s+%,d\\s+%,d\\s.*",
                h.bytesSent(), 12_345L)), "node 0 shows what its peer sent to it: " + text);
            server.close();
        }
    }

    @Test
    void versionExitsZero() {
        assertEquals(0, run("--version"));
        assertTrue(out.toString().startsWith("scif4j "), out.toString());
    }

    @Test
    void usageErrorsExitTwo() {
        assertEquals(Main.USAGE, run());
        assertEquals(Main.USAGE, run("pingpng"));
        assertEquals(Main.USAGE, run("pingpong", "--no-such-option"));
        assertEquals(Main.USAGE, run("pingpong", "--wait", "sometimes"));
        assertEquals(Main.USAGE, run("pingpong", "--round-trips", "many"));
        assertEquals(Main.USAGE, run("pingpong", "--round-trips", "0"));
        assertEquals(Main.USAGE, run("pingpong", "--warmup", "-1"));
        assertEquals(Main.USAGE, run("pingpong", "--rounds", "0"));
        assertEquals(Main.USAGE, run("pingpong", "--ring", "1000"));
        assertEquals(Main.USAGE, run("pingpong", "--ring", "2048"));
        assertEquals(Main.USAGE, run("pingpong", "--ring", "3m"));
        assertEquals(Main.USAGE, run("pingpong", "--stream-bytes", "lots"));
        assertEquals(Main.USAGE, run("pingpong", "--fabric-name", "a/b"));
        assertEquals(Main.USAGE, run("pingpong-peer", "--port", "1089"),
            "--fabric-name is required");
        assertTrue(err.toString().contains("--ring must be a power of two"), err.toString());
        assertTrue(err.toString().contains("Try 'scif pingpong --help'"), err.toString());
    }

    @Test
    void infoShowsEveryEndpointOfALiveFabricWithPortStateAndPeer() throws Exception {
        String name = "info" + ProcessHandle.current().pid() + "x" + System.nanoTime();
        try (org.scif4j.ScifNode host = org.scif4j.Scif.attach("shm:" + name + "?node=0");
             org.scif4j.ScifNode card = org.scif4j.Scif.attach("shm:" + name + "?node=2")) {
            org.scif4j.Endpoint listener = host.open();
            int port = listener.bind(0);
            listener.listen(4);
            org.scif4j.Endpoint client = card.open();
            client.configureBlocking(false);
            try {
                client.connect(new org.scif4j.PortId(0, port));
            } catch (org.scif4j.ScifException e) {
                assertEquals(org.scif4j.Errno.EINPROGRESS, e.errno());
            }
            assertEquals(0, run("info", name));
            String text = out.toString();
            assertTrue(text.contains("online nodes [0, 2]"), text);
            assertTrue(text.matches("(?s).*" + port + "\\s+LISTENING \\(1 queued\\).*"), text);
            assertTrue(text.matches("(?s).*node 2.*CONNECTING\\s+0:" + port + ".*"), text);
        }
        assertEquals(Main.FAILED, run("info", name), "a fabric that is gone is an error");
        assertTrue(err.toString().contains(name), err.toString());
    }

    @Test
    void aFailingCommandExitsOneWithItsMessage() {
        CommandLine cl = Main.commandLine();
        cl.addSubcommand("boom", new Boom());
        assertEquals(Main.FAILED, run(cl, "boom"));
        assertTrue(err.toString()
            .contains("scif boom: attach(shm:x?node=0): ENODEV, not built yet"), err.toString());
    }

    @Test
    void pingpongDefaults() {
        PingPongConfig c = parse("pingpong");
        assertEquals("pingpong-" + ProcessHandle.current().pid(), c.fabricName());
        assertEquals("adaptive", c.waitMode());
        assertEquals(0, c.ring());
        assertTrue(c.roundTrips() >= 100_000, "at least 100,000 round trips");
        assertTrue(c.warmupRoundTrips() > 0);
        assertEquals(Runtime.getRuntime().availableProcessors() >= 2, c.pin());
        assertNull(c.json());
        assertEquals("shm:pingpong-" + ProcessHandle.current().pid() + "?node=1&wait=adaptive",
            c.fabricUri(1));
    }

    @Test
    void pingpongOptions() {
        PingPongConfig c = parse("pingpong", "--fabric-name", "bench.1", "--wait", "SPIN",
            "--ring", "64k", "--round-trips", "200_000", "--warmup", "0", "--stream-bytes", "1g",
            "--messages", "5", "--no-pin", "--json", "out.json", "--timeout", "60");
        assertEquals("bench.1", c.fabricName());
        assertEquals("spin", c.waitMode());
        assertEquals(65536, c.ring());
        assertEquals(200_000, c.roundTrips());
        assertEquals(0, c.warmupRoundTrips());
        assertEquals(1L << 30, c.streamBytes());
        assertEquals(1821, c.streamMessages(), "1 GiB over 9 rounds, in whole 64 KiB messages");
        assertEquals(9, c.rounds());
        assertEquals(22_222, c.roundTripsPerRound());
        assertEquals(3, parse("pingpong", "--rounds", "3").rounds());
        assertEquals(5, c.messages());
        assertFalse(c.pin());
        assertEquals(Path.of("out.json"), c.json());
        assertEquals(60, c.timeoutSeconds());
        assertEquals("shm:bench.1?node=0&wait=spin&ring=65536", c.fabricUri(0));
        assertTrue(parse("pingpong", "--pin").pin());
    }

    @Test
    void sizes() {
        SizeConverter s = new SizeConverter();
        assertEquals(65536L, s.convert("65536"));
        assertEquals(65536L, s.convert("64k"));
        assertEquals(65536L, s.convert("64KiB"));
        assertEquals(2L << 20, s.convert("2M"));
        assertEquals(3L << 30, s.convert("3g"));
        assertEquals(1_000_000L, s.convert("1_000_000"));
    }

    private static PingPongConfig parse(String... args) {
        CommandLine cl = Main.commandLine();
        cl.parseArgs(args);
        PingPongCommand cmd = cl.getSubcommands().get("pingpong").getCommand();
        return cmd.config();
    }

    @Command(name = "boom")
    static final class Boom implements Callable<Integer> {
        @Override
        public Integer call() throws IOException {
            throw new IOException("attach(shm:x?node=0): ENODEV, not built yet");
        }
    }
}
