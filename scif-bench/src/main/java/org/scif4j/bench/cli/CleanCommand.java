package org.scif4j.bench.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.scif4j.bench.Main;
import org.scif4j.shm.ShmFabrics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code scif clean}: removes the shm fabrics whose every process has died, and says what it
 * removed; a fabric in use is never touched.
 */
@Command(name = "clean", mixinStandardHelpOptions = true,
    description = "Removes shm fabrics whose every process has died (killed, crashed), with all"
        + " their files, and says what it removed. A fabric that a live process uses is left as"
        + " it is (named, that is a failure: exit 1). Without NAME, every fabric under --dir.",
    footer = {"", "Such fabrics are also removed by the next process that attaches any fabric under"
        + " the same directory; this removes them now.",
        "Exit codes: 0 ok, 1 a named fabric is in use, missing or not a fabric, 2 usage error."})
public final class CleanCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    FabricDirOption fabricDir;

    @Parameters(arity = "0..*", paramLabel = "NAME", description = "Fabrics to clean (default: all).")
    List<String> names = List.of();

    @Override
    public Integer call() {
        Path dir = fabricDir.dir;
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<ShmFabrics.Cleaned> done;
        try {
            done = ShmFabrics.clean(dir, names);
        } catch (IOException e) {
            err.println("clean: cannot list " + dir + ": " + e.getMessage());
            return Main.FAILED;
        }
        boolean named = !names.isEmpty();
        int failed = 0;
        int removed = 0;
        for (ShmFabrics.Cleaned c : done) {
            switch (c.outcome()) {
                case REMOVED -> {
                    out.println("removed fabric " + c.name() + " (every process had died)");
                    removed++;
                }
                case REMNANTS_REMOVED -> {
                    out.println("removed " + c.name() + ": what an interrupted attach or detach left");
                    removed++;
                }
                case LIVE -> {
                    (named ? err : out).println((named ? "clean: " : "") + "left fabric " + c.name()
                        + ": in use (" + c.detail() + ")");
                    failed += named ? 1 : 0;
                }
                case NOT_A_FABRIC -> {
                    (named ? err : out).println((named ? "clean: " : "") + "left " + dir.resolve(c.name())
                        + ": not an shm fabric of this version (" + c.detail() + ")");
                    failed += named ? 1 : 0;
                }
                case FAILED -> {
                    err.println("clean: left fabric " + c.name() + ": " + c.detail());
                    failed++;
                }
                case MISSING -> {
                    err.println("clean: no such fabric: " + c.name() + " (no directory " + dir.resolve(c.name()) + ")");
                    failed++;
                }
            }
        }
        if (removed == 0 && failed == 0) {
            out.println("nothing to clean in " + dir);
        }
        out.flush();
        return failed == 0 ? Main.OK : Main.FAILED;
    }
}
