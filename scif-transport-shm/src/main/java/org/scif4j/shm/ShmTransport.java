package org.scif4j.shm;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.scif4j.Errno;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;
import org.scif4j.shm.internal.Fabric;
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
        String why = unavailabilityCause();
        if (why != null) {
            throw ScifException.of(call, Errno.ENODEV, why);
        }
        JvmAccess.require(call);
        if (options.privileged() && !isRoot()) {
            throw ScifException.of(call, Errno.EPERM, "privileged=true lets a node bind ports below 1024"
                + " and is only for processes running as root");
        }
        Fabric fabric = Fabric.acquire(options, call);
        try {
            return new ShmNode(options, fabric);
        } catch (RuntimeException e) {
            fabric.release();
            throw e;
        }
    }

    /** @return why this transport cannot run here, or {@code null} when it can */
    public static String unavailabilityCause() {
        if (!Futex.isAvailable()) {
            return "futex is not available (" + Futex.unavailabilityCause() + "); the shm transport needs Linux";
        }
        return null;
    }

    private static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2].equals("0"); // effective uid
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }
}
