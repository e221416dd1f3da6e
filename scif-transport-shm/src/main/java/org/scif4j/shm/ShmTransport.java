package org.scif4j.shm;

import java.net.URI;
import org.scif4j.Errno;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;
import org.scif4j.spi.ScifTransport;

/** The {@code shm:} transport: nodes emulated by processes sharing memory under /dev/shm. */
public final class ShmTransport implements ScifTransport {
    @Override
    public String scheme() {
        return "shm";
    }

    @Override
    public ScifNode attach(URI uri) throws ScifException {
        throw ScifException.of("attach(" + uri + ")", Errno.ENODEV, "not built yet");
    }
}
