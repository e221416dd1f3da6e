package org.scif4j.bench.cli;

import java.io.IOException;
import java.io.PrintWriter;
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
import org.scif4j.shm.ShmOptions;
import org.scif4j.shm.ShmTransport;
import org.scif4j.spi.ScifTransport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code scif info}: the transports and whether each can run here, then the shm fabrics on
 * this host as a live view from outside (in the spirit of AeronStat): nodes, processes, and
 * each node's endpoints with port, state, peer and bytes moved.
 */
@Command(name = "info", mixinStandardHelpOptions = true,
    description = "Shows the transports, whether each can run here (and why not), and the shm"
        + " fabrics on this host: their nodes, processes and endpoints (port, state, peer, bytes).")
public final class InfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--dir", paramLabel = "DIR", description = "where shm fabrics live (default: ${DEFAULT-VALUE})")
    Path dir = Path.of(ShmOptions.DEFAULT_DIR);

    @Parameters(arity = "0..*", paramLabel = "NAME", description = "fabrics to show (default: all)")
    List<String> names;

    @Override
    public Integer call() {
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
            String why = t.getKey().equals("shm") ? ShmTransport.unavailabilityCause() : null;
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
            out.printf("    %-6s %-13s %-9s %-8s %14s %14s%n", "port", "state", "peer", "pid", "bytes sent", "bytes recv");
            for (EndpointInfo e : s.endpoints()) {
                if (e.node() == node) {
                    String peer = e.peerNode() < 0 ? "-" : e.peerNode() + ":" + e.peerPort();
                    String state = e.state() + (e.queued() > 0 ? " (" + e.queued() + " queued)" : "");
                    out.printf("    %-6d %-13s %-9s %-8d %,14d %,14d%n", e.port(), state, peer, e.pid(),
                        e.bytesSent(), e.bytesReceived());
                }
            }
        }
    }

    private static int[] nodesWithEndpoints(Snapshot s) {
        return s.endpoints().stream().mapToInt(EndpointInfo::node).distinct().sorted().toArray();
    }
}
