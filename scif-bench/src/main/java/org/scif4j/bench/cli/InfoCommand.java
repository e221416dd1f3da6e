package org.scif4j.bench.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.scif4j.Scif;
import org.scif4j.bench.Main;
import org.scif4j.shm.ShmFabricInspector;
import org.scif4j.shm.ShmFabricInspector.EndpointInfo;
import org.scif4j.shm.ShmFabricInspector.ProcessInfo;
import org.scif4j.shm.ShmFabricInspector.Snapshot;
import org.scif4j.shm.ShmFabricInspector.WindowInfo;
import org.scif4j.spi.ScifTransport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code scif info}: the transports and whether each can run here, then the shm fabrics on
 * this host as a live view from outside (in the spirit of AeronStat): nodes, processes, and
 * each node's endpoints with port, state, peer and bytes moved, and a total row per node. The
 * bytes are the ring positions in the connection files: bytes sent is the count the endpoint's
 * own {@code EndpointMetrics.bytesSent()} shows in its process; bytes received is what the peer
 * sent, so it runs ahead of {@code bytesReceived()} by the bytes not yet read.
 */
@Command(name = "info", mixinStandardHelpOptions = true,
    description = "Shows the transports, whether each can run here (and why not), and the shm"
        + " fabrics on this host: their nodes, processes and endpoints (port, state, peer, bytes,"
        + " DMA operations) and each endpoint's registered windows (offset, length, prot, backing"
        + " file, RMA and map references). Read-only: plain file reads, no mapping, no lock.",
    footer = {"", "Exit codes: 0 ok, 1 a fabric could not be read (or does not exist), 2 usage error."})
public final class InfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    FabricDirOption fabricDir;

    @Parameters(arity = "0..*", paramLabel = "NAME", description = "Fabrics to show (default: all).")
    List<String> names;

    @Option(names = "--watch", paramLabel = "SECONDS",
        description = "Show the view again every SECONDS until interrupted (Ctrl-C).")
    Double watch;

    @Override
    public Integer call() throws InterruptedException {
        if (watch == null) {
            return once();
        }
        if (!(watch > 0)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                "--watch must be a positive number of seconds, not " + watch);
        }
        while (true) {
            PrintWriter out = spec.commandLine().getOut();
            out.print("\033[H\033[2J"); // clear the terminal, as watch(1) does
            out.println("scif info, every " + watch + " s (Ctrl-C to stop); " + java.time.LocalTime.now()
                .withNano(0));
            once();
            Thread.sleep((long) (watch * 1000));
        }
    }

    private int once() {
        Path dir = fabricDir.dir;
        PrintWriter out = spec.commandLine().getOut();
        transports(out);
        List<String> fabrics;
        try {
            fabrics = names == null || names.isEmpty() ? ShmFabricInspector.fabrics(dir) : names;
        } catch (IOException e) {
            spec.commandLine().getErr().println("info: cannot list " + dir + ": " + e.getMessage());
            return Main.FAILED;
        }
        out.println();
        if (fabrics.isEmpty()) {
            out.println("shm fabrics in " + dir + ": none");
        }
        int failed = 0;
        for (String name : fabrics) {
            if (!Files.isDirectory(dir.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
                spec.commandLine().getErr().println("info: no such fabric: " + name + " (no directory " + dir.resolve(name)
                    + "; `scif info` lists the fabrics in " + dir + ")");
                failed++;
                continue;
            }
            try {
                print(out, ShmFabricInspector.read(dir.resolve(name)));
            } catch (IOException e) {
                spec.commandLine().getErr().println("info: fabric " + name + ": " + e.getMessage());
                failed++;
            }
        }
        out.flush();
        return failed == 0 ? Main.OK : Main.FAILED;
    }

    private static void transports(PrintWriter out) {
        out.println("transports:");
        for (Map.Entry<String, ScifTransport> t : Scif.transports().entrySet()) {
            String why = t.getValue().unavailabilityCause();
            out.printf("  %-6s %s%s%n", t.getKey() + ":", t.getValue().getClass().getName(),
                why == null ? "  available" : "  unavailable: " + why);
        }
    }

    private static void print(PrintWriter out, Snapshot s) {
        out.printf("fabric %s (%s): online nodes %s%n", s.name(), s.dir(), Arrays.toString(s.onlineNodes()));
        long now = System.currentTimeMillis();
        for (ProcessInfo p : s.processes()) {
            out.printf("  process %d %s, nodes %s, heartbeat %d ms ago%n", p.pid(), p.alive() ? "alive" : "DEAD",
                Arrays.toString(p.nodes()), Math.max(0, now - p.heartbeatMillis()));
        }
        for (int node : nodesWithEndpoints(s)) {
            out.printf("  node %d%n", node);
            out.printf("    %-6s %-13s %-9s %-8s %14s %14s %9s%n", "port", "state", "peer", "pid", "bytes sent",
                "bytes recv", "dma ops");
            long sent = 0;
            long received = 0;
            long dma = 0;
            for (EndpointInfo e : s.endpoints()) {
                if (e.node() == node) {
                    sent += e.bytesSent();
                    received += e.bytesReceived();
                    dma += e.dmaCompleted();
                    String peer = e.peerNode() < 0 ? "-" : e.peerNode() + ":" + e.peerPort();
                    String state = e.state() + (e.queued() > 0 ? " (" + e.queued() + " queued)" : "");
                    int inFlight = e.dmaSubmitted() - e.dmaCompleted();
                    out.printf("    %-6d %-13s %-9s %-8d %,14d %,14d %,9d%s%n", e.port(), state, peer, e.pid(),
                        e.bytesSent(), e.bytesReceived(), e.dmaCompleted(),
                        inFlight > 0 ? " (" + inFlight + " in flight)" : "");
                    for (WindowInfo w : e.windows()) {
                        out.printf("      window [%#x, %#x) %,d B %s %s%s at %#x, rma refs %d, map refs %d%n",
                            w.offset(), w.offset() + w.length(), w.length(), w.protString(),
                            w.state().equals("ACTIVE") ? "" : w.state() + " ", w.file(), w.fileOffset(),
                            w.rmaRefs(), w.mapRefs());
                    }
                }
            }
            // bytes sent: NodeMetrics.totals().bytesSent() of the node's open endpoints (see the class comment)
            out.printf("    %-6s %-13s %-9s %-8s %,14d %,14d %,9d%n", "total", "", "", "", sent, received, dma);
        }
    }

    private static int[] nodesWithEndpoints(Snapshot s) {
        return s.endpoints().stream().mapToInt(EndpointInfo::node).distinct().sorted().toArray();
    }
}
