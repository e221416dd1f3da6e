package org.scif4j.natives;

import java.net.URI;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import org.scif4j.Errno;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;
import org.scif4j.spi.FabricUri;
import org.scif4j.spi.ScifTransport;

/**
 * The {@code native:} transport: SCIF's user library {@code libscif.so.0} through JNA, on
 * Intel's MPSS driver ({@code native:}), another library ({@code lib=PATH}) or scif4j's own
 * library shipped in this jar ({@code lib=emulated}), which emulates SCIF over the shm fabric
 * format. One JVM holds at most one native node at a time: libscif keeps one attachment per
 * process.
 */
public final class NativeTransport implements ScifTransport {
    private static final Set<String> FABRIC_OPTIONS = Set.of("dir", "ring", "timeout", "wait", "dma", "privileged");
    /** The one attached native node of this JVM, or null. */
    private static final AtomicReference<NativeNode> CURRENT = new AtomicReference<>();
    /** Serialises attaches (and the library switch and environment edit they make). */
    private static final Object ATTACH = new Object();

    @Override
    public String scheme() {
        return "native";
    }

    @Override
    public ScifNode attach(URI uri) throws ScifException {
        FabricUri f = FabricUri.parse(uri);
        String call = "attach(fabric=" + uri + ")";
        Map<String, String> o = f.options();
        Set<String> known = new TreeSet<>(FABRIC_OPTIONS);
        known.add("lib");
        known.add("fabric");
        known.add("node");
        for (String k : o.keySet()) {
            if (!known.contains(k)) {
                throw ScifException.of(call, Errno.EINVAL, "unknown option '" + k + "'; known options of native: are "
                    + known);
            }
        }
        if (!f.target().isEmpty()) {
            throw ScifException.of(call, Errno.EINVAL, "native: takes no target ('" + f.target()
                + "'); name the fabric with fabric=NAME, e.g. native:?lib=emulated&fabric=demo&node=1");
        }
        synchronized (ATTACH) {
            NativeNode held = CURRENT.get();
            if (held != null) {
                throw ScifException.of(call, Errno.EBUSY, "this JVM already holds the native node " + held.selfId()
                    + " (" + held.describe() + "); libscif keeps one attachment per process: close it first, or attach"
                    + " a shm: node of the same fabric beside it");
            }
            Library lib = Library.load(o.get("lib"), call);
            String fabricUri = null;
            boolean configures = o.containsKey("fabric") || o.containsKey("node")
                || o.keySet().stream().anyMatch(FABRIC_OPTIONS::contains);
            if (lib.scif4j) {
                fabricUri = configures ? shmUri(o) : null;
            } else if (configures) {
                throw ScifException.of(call, Errno.EINVAL, lib.origin + " is the SCIF driver's library: the node id is the"
                    + " driver's, and fabric, node and the shm options apply only to scif4j's libscif (lib=emulated)");
            }
            NativeNode node = NativeNode.attach(lib, fabricUri, call, CURRENT);
            CURRENT.set(node);
            return node;
        }
    }

    /** The SCIF_FABRIC value for scif4j's library: the shm: URI of the same fabric and node. */
    private static String shmUri(Map<String, String> o) {
        StringBuilder sb = new StringBuilder("shm:").append(enc(o.getOrDefault("fabric", "default")));
        sb.append("?node=").append(enc(o.getOrDefault("node", "0")));
        for (String k : FABRIC_OPTIONS) {
            if (o.containsKey(k)) {
                sb.append('&').append(k).append('=').append(enc(o.get(k)));
            }
        }
        return sb.toString();
    }

    private static String enc(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * Says whether {@code native:} (the system library) can run here and, when it cannot,
     * whether {@code lib=emulated} can.
     */
    @Override
    public String unavailabilityCause() {
        String system = Library.systemUnavailability();
        if (system == null) {
            return null;
        }
        String emulated = Library.emulatedUnavailability();
        return system + "; " + (emulated == null ? "native:?lib=emulated can run here (" + Library.RESOURCE
            + " in the jar)" : "native:?lib=emulated cannot either: " + emulated);
    }
}
