package org.scif4j.shm;

import org.scif4j.spi.Arguments;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.scif4j.Errno;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;
import org.scif4j.shm.internal.Futex;
import org.scif4j.shm.internal.JvmAccess;
import org.scif4j.shm.internal.ShmNode;
import org.scif4j.spi.FabricUri;
import org.scif4j.spi.ScifTransport;

/**
 * The {@code shm:} transport: several processes on one host emulate SCIF nodes through shared
 * memory under {@code /dev/shm}. URI: {@code shm:NAME?node=N&...}; options in {@link ShmOptions}.
 */
public final class ShmTransport implements ScifTransport {
    @Override
    public String scheme() {
        return "shm";
    }

    @Override
    public ScifNode attach(URI uri) throws ScifException {
        String call = "attach(fabric=" + uri + ")";
        ShmOptions options = ShmOptions.from(FabricUri.parse(uri));
        if (!Futex.isAvailable()) {
            throw ScifException.of(call, Errno.ENODEV, unavailabilityCause());
        }
        JvmAccess.require(call);
        Arguments.privileged(options.privileged(), call);
        return ShmNode.attach(options, call);
    }

    /** @return why this transport cannot run here (no futex, or JVM flags missing), or {@code null} when it can */
    @Override
    public String unavailabilityCause() {
        if (!Futex.isAvailable()) {
            return "futex is not available (" + Futex.unavailabilityCause() + "); the shm transport needs Linux";
        }
        List<String> missing = JvmAccess.missingFlags();
        if (!missing.isEmpty()) {
            return "JVM flags missing: " + String.join(" ", missing);
        }
        return null;
    }
}
