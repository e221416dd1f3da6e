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
     * @return the name of the shm fabric it uses (shm, or native's {@code fabric=} with scif4j's
     *         libscif), or null for another
     */
    public static String shmName(String uri) {
        int q = uri.indexOf('?');
        if (uri.startsWith("shm:")) {
            return uri.substring(4, q < 0 ? uri.length() : q);
        }
        if (uri.startsWith("native:") && q >= 0) {
            for (String o : uri.substring(q + 1).split("&")) {
                if (o.startsWith("fabric=")) {
                    return o.substring("fabric=".length());
                }
            }
        }
        return null;
    }

    /**
     * The shm fabric that judges a native one in {@code scif bench}: the Java transport with the
     * same shm options ({@code dir}, {@code dma}, {@code ring}, ...), on a fabric of its own.
     *
     * @param nativeUri e.g. {@code native:?lib=emulated&fabric=bench-42-native&dma=2}
     * @return e.g. {@code shm:bench-42-native-shm?dma=2}
     * @throws IllegalArgumentException when it names no {@code fabric=} (the SCIF driver's library,
     *                                  whose second node is on a card, not in a second JVM)
     */
    public static String nativeBaseline(String nativeUri) {
        String name = shmName(nativeUri);
        if (name == null) {
            throw new IllegalArgumentException(nativeUri + " names no fabric: scif bench measures native: over"
                + " scif4j's libscif, e.g. native:?lib=emulated&fabric=NAME");
        }
        List<String> options = new ArrayList<>();
        int q = nativeUri.indexOf('?');
        for (String o : nativeUri.substring(q + 1).split("&")) {
            if (!o.isEmpty() && !o.startsWith("lib=") && !o.startsWith("fabric=") && !o.startsWith("node=")) {
                options.add(o);
            }
        }
        return "shm:" + name + "-shm" + (options.isEmpty() ? "" : "?" + String.join("&", options));
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
            case "native" -> "native:?lib=emulated&fabric=" + name + "-native&dma=" + dma;
            default -> transport + ":" + name;
        };
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
