package org.scif4j.bench.sweep;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/** Fabric URIs for {@code scif bench}: the default per transport, and one per node. */
public final class FabricUris {
    private FabricUris() {
    }

    /**
     * @param uri a fabric URI, with or without {@code node=}
     * @param node the node id
     * @return the URI with {@code node=node} as its first option
     */
    public static String withNode(String uri, int node) {
        int q = uri.indexOf('?');
        String base = q < 0 ? uri : uri.substring(0, q);
        List<String> options = new ArrayList<>();
        if (q >= 0) {
            for (String o : uri.substring(q + 1).split("&")) {
                if (!o.isEmpty() && !o.startsWith("node=")) {
                    options.add(o);
                }
            }
        }
        return base + "?node=" + node + (options.isEmpty() ? "" : "&" + String.join("&", options));
    }

    /**
     * @param uri a fabric URI
     * @return its scheme, e.g. {@code shm}
     */
    public static String scheme(String uri) {
        int colon = uri.indexOf(':');
        return colon < 0 ? uri : uri.substring(0, colon);
    }

    /**
     * @param uri a fabric URI
     * @return the shm fabric's name, or null for another scheme
     */
    public static String shmName(String uri) {
        if (!uri.startsWith("shm:")) {
            return null;
        }
        int q = uri.indexOf('?');
        return uri.substring(4, q < 0 ? uri.length() : q);
    }

    /**
     * The fabric {@code scif bench} uses for a transport when no {@code --fabric} is given.
     *
     * @param transport {@code shm}, {@code tcp} or {@code native}
     * @param name      a name unique to this run, e.g. {@code bench-1234}
     * @param dma       DMA engine threads (shm)
     * @return the URI without {@code node=}
     * @throws IOException when no free loopback port is found (tcp)
     */
    public static String defaultFabric(String transport, String name, int dma) throws IOException {
        return switch (transport) {
            case "shm" -> "shm:" + name + "?dma=" + dma;
            case "tcp" -> "tcp:0@127.0.0.1:" + freePort() + ",1@127.0.0.1:" + freePort();
            case "native" -> "native:";
            default -> transport + ":" + name;
        };
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
