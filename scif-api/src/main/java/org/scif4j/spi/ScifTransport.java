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

    /**
     * Whether this transport can run in this process on this machine, without attaching
     * anything: {@code ./scif info} asks every transport, and {@link #attach} fails with
     * {@code ENODEV} and the same reason when it cannot.
     *
     * @return why it cannot run here (a missing OS facility, library or JVM flag), or
     *         {@code null} when it can
     */
    default String unavailabilityCause() {
        return null;
    }

    /** @return whether {@link #unavailabilityCause()} finds nothing missing */
    default boolean isAvailable() {
        return unavailabilityCause() == null;
    }
}
