package org.scif4j.bench.cli;

import java.nio.file.Path;
import org.scif4j.shm.ShmOptions;
import picocli.CommandLine.Option;

/** The {@code --dir} option of the commands that look at shm fabrics from outside (a picocli mixin). */
final class FabricDirOption {
    @Option(names = "--dir", paramLabel = "DIR", description = "Where shm fabrics live (default: ${DEFAULT-VALUE}).")
    Path dir = Path.of(ShmOptions.DEFAULT_DIR);
}
