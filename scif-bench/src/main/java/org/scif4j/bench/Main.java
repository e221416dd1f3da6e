package org.scif4j.bench;

import org.scif4j.bench.cli.ScifCommand;
import org.scif4j.bench.process.JvmFlags;
import picocli.CommandLine;

/**
 * The {@code scif} command line (the {@code ./scif} launcher runs it). Exit codes scripts can
 * rely on: {@value #OK} success, {@value #FAILED} the run failed, {@value #USAGE} usage error.
 */
public final class Main {
    /** Exit code: success. */
    public static final int OK = CommandLine.ExitCode.OK;
    /** Exit code: the command ran and failed. */
    public static final int FAILED = CommandLine.ExitCode.SOFTWARE;
    /** Exit code: bad command line. */
    public static final int USAGE = CommandLine.ExitCode.USAGE;

    /**
     * Set once the JVM has begun to shut down (SIGTERM, SIGINT, System.exit): the transports'
     * own shutdown hooks then close every node, so a benchmark still running fails with EBADF,
     * and that failure is the signal's doing, not a result to report.
     */
    private static volatile boolean terminating;

    private Main() {
    }

    /**
     * Runs a command and exits with its code.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        JvmFlags.applySystemPropertyDefaults();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> terminating = true, "scif-terminating"));
        System.exit(run(args));
    }

    /**
     * Runs a command without exiting.
     *
     * @param args the command line
     * @return the exit code
     */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    /** @return the {@code scif} command line, with its exception handling */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new ScifCommand());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine cmd = ex.getCommandLine();
            String name = cmd.getCommandSpec().qualifiedName();
            cmd.getErr().println(name + ": " + ex.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, cmd.getErr());
            cmd.getErr().println("Try '" + name + " --help' for more information.");
            return USAGE;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (terminating) {
                cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": stopped (the process is terminating)");
                return FAILED;
            }
            String message = ex.getMessage() == null ? ex.toString() : ex.getMessage();
            cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + message);
            if (Boolean.getBoolean("scif.debug") || System.getenv("SCIF_DEBUG") != null) {
                ex.printStackTrace(cmd.getErr());
            }
            return FAILED;
        });
        return cl;
    }
}
