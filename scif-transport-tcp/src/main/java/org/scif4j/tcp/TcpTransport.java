package org.scif4j.tcp;

import org.scif4j.spi.Arguments;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.scif4j.Errno;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;
import org.scif4j.spi.FabricUri;
import org.scif4j.spi.ScifTransport;
import org.scif4j.tcp.internal.TcpNode;

/**
 * The {@code tcp:} transport: SCIF nodes are processes on one or more hosts, connected by TCP
 * through Netty. URI: {@code tcp:NODE@HOST:PORT,...?node=N&...} or {@code tcp:file:PATH?node=N};
 * options in {@link TcpOptions}; the wire protocol in docs/tcp-protocol.md.
 */
public final class TcpTransport implements ScifTransport {
    @Override
    public String scheme() {
        return "tcp";
    }

    @Override
    public ScifNode attach(URI uri) throws ScifException {
        String call = "attach(fabric=" + uri + ")";
        TcpOptions options = TcpOptions.from(FabricUri.parse(uri));
        Arguments.privileged(options.privileged(), call);
        return TcpNode.attach(options, call);
    }
}
