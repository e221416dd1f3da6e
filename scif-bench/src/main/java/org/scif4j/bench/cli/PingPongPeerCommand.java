package org.scif4j.bench.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.scif4j.bench.Main;
import org.scif4j.bench.pingpong.PingPongConfig;
import org.scif4j.bench.pingpong.PingPongPeer;
import org.scif4j.bench.process.ParentWatch;
import org.scif4j.spi.WaitMode;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code scif pingpong-peer}: node 1 of {@code scif pingpong} and {@code scif bench}, started
 * by them; hidden.
 */
@Command(name = "pingpong-peer", hidden = true,
    description = "Node 1 of scif pingpong and scif bench; started by them, not by hand.")
public final class PingPongPeerCommand implements Callable<Integer> {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Fabric fabric;

    /** Either an shm fabric's name (pingpong) or a whole fabric URI (bench). */
    static final class Fabric {
        @Option(names = "--fabric-name", required = true, paramLabel = "NAME")
        String fabricName;

        @Option(names = "--fabric", required = true, paramLabel = "URI")
        String fabricUri;
    }

    @Option(names = "--wait", paramLabel = "MODE", defaultValue = "adaptive",
        converter = WaitModeConverter.class)
    WaitMode wait;

    @Option(names = "--ring", paramLabel = "BYTES", converter = SizeConverter.class)
    Long ring;

    @Option(names = "--port", required = true, paramLabel = "PORT")
    int port;

    @Option(names = "--floor-file", paramLabel = "FILE")
    Path floorFile;

    @Override
    public Integer call() throws Exception {
        ParentWatch.exitWhenOrphaned();
        String uri = fabric.fabricUri != null ? fabric.fabricUri
            : PingPongConfig.fabricUri(fabric.fabricName, 1, wait.optionValue(),
                ring == null ? 0 : ring.intValue());
        new PingPongPeer(uri, port, floorFile).run(System.out);
        return Main.OK;
    }
}
