package org.scif4j.tcp.conformance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.scif4j.tests.TransportFixture;

/**
 * The tcp transport's fixture: each test gets a fabric of {@value #NODES} nodes on fresh
 * loopback ports of 127.0.0.1, {@code tcp:0@127.0.0.1:P0,1@127.0.0.1:P1,...?node=N}; the fabric
 * has left nothing behind when every one of those ports can be bound again. Its nodes use Java
 * NIO ({@code io=nio}), the transport every user has, unless a test names another: the test
 * class path also holds Netty's native epoll, which {@code io=auto} would pick.
 */
public final class TcpFixture extends TransportFixture {
    /** Nodes 0..7: more than any test attaches, so that some stay offline. */
    static final int NODES = 8;
    private static final String HOST = "127.0.0.1";

    private final int[] ports = freePorts(NODES);
    private final String io;

    /** A fabric on Java NIO. */
    public TcpFixture() {
        this("nio");
    }

    /** @param io the nodes' option {@code io}: auto, nio or epoll */
    public TcpFixture(String io) {
        this.io = io;
    }

    @Override
    public boolean pollsAcrossFabrics() {
        return true; // one poller serves every tcp endpoint of the process, whatever its fabric
    }

    @Override
    public String transportName() {
        return "nio".equals(io) ? "tcp" : "tcp, io=" + io;
    }

    /**
     * Netty's GlobalEventExecutor is one thread per JVM that Netty starts for its own
     * bookkeeping (here: when a node's event loops shut down) and that ends by itself after a
     * second without work; waiting for it cost every test a second.
     */
    @Override
    public List<String> jvmWideThreadPrefixes() {
        return List.of("globalEventExecutor");
    }

    /** @return false: tcp nodes share no memory, mmap throws EOPNOTSUPP */
    @Override
    public boolean mapsPeerMemory() {
        return false;
    }

    @Override
    public String fabricUri(int node, String extraOptions) {
        StringBuilder sb = new StringBuilder("tcp:");
        for (int i = 0; i < ports.length; i++) {
            sb.append(i == 0 ? "" : ",").append(i).append('@').append(HOST).append(':').append(ports[i]);
        }
        sb.append("?node=").append(node);
        if (extraOptions == null || !extraOptions.contains("io=")) {
            sb.append("&io=").append(io);
        }
        if (extraOptions != null && !extraOptions.isEmpty()) {
            sb.append('&').append(extraOptions);
        }
        return sb.toString();
    }

    @Override
    public void assertNoLeftovers() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        List<Integer> busy = busyPorts();
        while (!busy.isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("loopback ports " + busy + " of this test's fabric are still"
                    + " listened on after every node was closed");
            }
            try {
                TimeUnit.MILLISECONDS.sleep(10); // polling a condition with a deadline
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while checking ports", e);
            }
            busy = busyPorts();
        }
    }

    @Override
    public void removeLeftovers() {
        // Nothing to remove: a listening socket belongs to its node, which the test closed.
    }

    private List<Integer> busyPorts() {
        List<Integer> busy = new ArrayList<>();
        for (int p : ports) {
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(InetAddress.getByName(HOST), p));
            } catch (IOException e) {
                busy.add(p);
            }
        }
        return busy;
    }

    /**
     * Free 127.0.0.1 ports, all held at once so that they differ, chosen at random just below
     * the kernel's ephemeral range: a port the kernel hands out for bind(0) is also one it may
     * give any outgoing connection (of a node of the previous test, or another program) before
     * the test's node listens there, which made attach fail with EADDRINUSE now and then.
     */
    private static int[] freePorts(int n) {
        int below = ephemeralLow();
        int span = Math.min(12_000, below - 1024);
        ServerSocket[] held = new ServerSocket[n];
        try {
            int[] ports = new int[n];
            java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
            for (int i = 0, tries = 0; i < n; tries++) {
                if (tries > 10_000) {
                    throw new IOException("no free port in [" + (below - span) + ", " + below + ")");
                }
                int p = below - span + r.nextInt(span);
                try {
                    ServerSocket s = new ServerSocket();
                    s.setReuseAddress(true);
                    try {
                        s.bind(new InetSocketAddress(InetAddress.getByName(HOST), p), 1);
                    } catch (IOException busy) {
                        s.close();
                        continue;
                    }
                    held[i] = s;
                    ports[i++] = p;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find free loopback ports", e);
        } finally {
            for (ServerSocket s : held) {
                if (s != null) {
                    try {
                        s.close();
                    } catch (IOException ignored) {
                        // closing a probe socket cannot matter
                    }
                }
            }
        }
    }

    /** @return the first port of the kernel's ephemeral range (32768 when it cannot be read) */
    private static int ephemeralLow() {
        try {
            String range = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/net/ipv4/ip_local_port_range"));
            int low = Integer.parseInt(range.trim().split("\\s+")[0]);
            return low > 2048 ? low : 32768;
        } catch (IOException | RuntimeException e) {
            return 32768;
        }
    }
}
