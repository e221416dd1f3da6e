package org.scif4j.bench.cli;

import java.util.concurrent.Callable;
import org.scif4j.bench.Main;
import org.scif4j.bench.pingpong.PingPongConfig;
import org.scif4j.bench.pingpong.PingPongPeer;
import org.scif4j.bench.process.ParentWatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code scif pingpong-peer}: node 1 of {@code scif pingpong}, started by it; hidden. */
@Command(name = "pingpong-peer", hidden = true,
    description = "Node 1 of scif pingpong; started by scif pingpong, not by hand.")
public final class PingPongPeerCommand implements Callable<Integer> {
    @Option(names = "--fabric-name", required = true, paramLabel = "NAME")
    String fabricName;

    @Option(names = "--wait", paramLabel = "MODE", defaultValue = "adaptive",
        converter = WaitMode.Converter.class)
    WaitMode wait;

    @Option(names = "--ring", paramLabel = "BYTES", converter = SizeConverter.class)
    Long ring;

    @Option(names = "--port", required = true, paramLabel = "PORT")
    int port;

    @Override
    public Integer call() throws Exception {
        ParentWatch.exitWhenOrphaned();
        String uri = PingPongConfig.fabricUri(fabricName, 1, wait.uriValue(),
            ring == null ? 0 : ring.intValue());
        new PingPongPeer(uri, port).run(System.out);
        return Main.OK;
    }
}
