package org.scif4j.bench.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.scif4j.bench.Main;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code scif}: the top-level command; does nothing by itself but list its subcommands. */
@Command(name = "scif", mixinStandardHelpOptions = true,
    versionProvider = ScifCommand.Version.class,
    description = "scif4j tools: benchmarks, and what runs on this host.",
    subcommands = {BenchCommand.class, PingPongCommand.class, RmaCommand.class, IdleCommand.class, InfoCommand.class,
        CleanCommand.class,
        PingPongPeerCommand.class,
        picocli.CommandLine.HelpCommand.class},
    footer = {"", "From the ./scif launcher also:",
        "  jmh [REGEX] [JMH options]  JMH benchmarks of the hot paths (./scif jmh -h: JMH's options)",
        "", "Exit codes: 0 ok, 1 the command failed, 2 usage error.",
        "Set SCIF_DEBUG=1 for stack traces."})
public final class ScifCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("scif: a command is required");
        spec.commandLine().usage(spec.commandLine().getErr());
        return Main.USAGE;
    }

    /** The version from the build. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in =
                     Version.class.getResourceAsStream("/org/scif4j/bench/version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"scif4j " + p.getProperty("version", "(unknown version)")};
        }
    }
}
