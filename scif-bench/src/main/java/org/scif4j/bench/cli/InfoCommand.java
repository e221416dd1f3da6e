package org.scif4j.bench.cli;

import java.util.concurrent.Callable;
import org.scif4j.bench.Main;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code scif info}: the transports, their availability and the fabrics on this host. */
@Command(name = "info", mixinStandardHelpOptions = true,
    description = "Shows the transports, whether each can run here (and why not), and the fabrics"
        + " on this host.")
public final class InfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("info: not yet available");
        return Main.FAILED;
    }
}
