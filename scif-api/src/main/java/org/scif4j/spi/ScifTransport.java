package org.scif4j.spi;

import java.net.URI;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;

/**
 * A transport: attaches processes to the nodes of one kind of fabric. Found by
 * {@link java.util.ServiceLoader} through
 * {@code META-INF/services/org.scif4j.spi.ScifTransport} and chosen by URI scheme.
 */
public interface ScifTransport {
    /** @return the URI scheme this transport serves, e.g. {@code "shm"} */
    String scheme();

    /**
     * Attaches this process to the node the URI names.
     *
     * @param uri the fabric URI, with this transport's scheme
     * @return the attachment
     * @throws ScifException EINVAL for a malformed URI or unknown option, ENODEV when the
     *                       transport cannot run here (the message says why)
     */
    ScifNode attach(URI uri) throws ScifException;
}
