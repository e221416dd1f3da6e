package org.scif4j.examples;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import org.scif4j.Endpoint;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifMemory;
import org.scif4j.ScifNode;

/**
 * A two-node fabric over TCP: the same API as on shm, with nodes that may sit on different
 * hosts.
 *
 * <p>A tcp fabric is a list of {@code NODE@HOST:PORT}; every node is given the whole list and
 * its own id ({@code node=N}), and listens on its own address. Here both nodes are attached in
 * one JVM on free ports of 127.0.0.1; across two hosts, start the same program on each with
 * the same list and a different {@code node=}. Node 1 connects to node 0, says hello with a
 * message, then writes 1 MiB into a window node 0 registered ({@code vwriteTo} straight from a
 * buffer of its own, {@code RMA_SYNC} so it returns once the bytes are there) and tells node
 * 0, which checksums its window.
 *
 * <p>Run: {@code java ... org.scif4j.examples.TcpFabric [NODE0-URI NODE1-URI]}, e.g.
 * {@code tcp:0@127.0.0.1:7000,1@127.0.0.1:7001?node=0} and the same with {@code node=1}; by
 * default two free ports of 127.0.0.1.
 */
public final class TcpFabric {
    /** Bytes node 1 writes into node 0's window. */
    public static final int BYTES = 1 << 20;

    private TcpFabric() {
    }

    /**
     * The bytes node 1 writes.
     *
     * @return a recognisable pattern of {@link #BYTES} bytes
     */
    public static ByteBuffer pattern() {
        ByteBuffer data = ByteBuffer.allocateDirect(BYTES);
        for (int i = 0; i < BYTES; i++) {
            data.put(i, (byte) (i * 31 % 251));
        }
        return data;
    }

    /**
     * Runs node 0 and node 1 of a tcp fabric.
     *
     * @param args none, or node 0's and node 1's fabric URI
     * @throws Exception if a SCIF call fails or the checksum differs
     */
    public static void main(String[] args) throws Exception {
        String[] uris = args.length == 0 ? loopbackFabric() : Fabrics.hostAndCard(args, "tcp");
        System.out.println("node 0: " + uris[0] + "\nnode 1: " + uris[1]);
        try (ScifNode node0 = Scif.attach(uris[0]);      // listens on its own address at once
             ScifNode node1 = Scif.attach(uris[1]);
             Endpoint listener = node0.open()) {
            listener.bind(0);
            listener.listen(1);
            PortId port = listener.localPort();
            Side one = Side.start("node-1", () -> node1(node1, port));
            long crc = node0(node0, listener);
            one.join();
            System.out.printf("tcp fabric: node 0's window holds node 1's %d bytes, crc32 %08x%n", BYTES, crc);
        }
    }

    /** Node 0: accepts, reads the greeting, lends a window, checksums what lands in it. */
    private static long node0(ScifNode node, Endpoint listener) throws Exception {
        try (ScifMemory window = node.allocate(BYTES);
             Endpoint conn = listener.accept(Scif.ACCEPT_SYNC)) {
            ByteBuffer length = ByteBuffer.allocate(Integer.BYTES);
            conn.recv(length, Scif.RECV_BLOCK);
            ByteBuffer hello = ByteBuffer.allocate(length.getInt(0));
            conn.recv(hello, Scif.RECV_BLOCK);
            System.out.println("node 0: " + new String(hello.array(), StandardCharsets.UTF_8));

            long offset = conn.register(window.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
            conn.send(ByteBuffer.allocate(Long.BYTES).putLong(0, offset), Scif.SEND_BLOCK);
            conn.recv(ByteBuffer.allocate(1), Scif.RECV_BLOCK);   // "written": the RMA has completed
            CRC32 crc = new CRC32();
            crc.update(window.buffer().duplicate().clear());
            return crc.getValue();
        }
    }

    /** Node 1: connects, says hello, writes the pattern into node 0's window. */
    private static void node1(ScifNode node, PortId node0) throws Exception {
        try (Endpoint ep = node.open()) {
            ep.connect(node0);
            byte[] hello = ("hello from node " + node.selfId() + ", port " + ep.localPort().port())
                .getBytes(StandardCharsets.UTF_8);
            ep.send(ByteBuffer.allocate(Integer.BYTES + hello.length).putInt(hello.length).put(hello).flip(),
                Scif.SEND_BLOCK);
            ByteBuffer offset = ByteBuffer.allocate(Long.BYTES);
            ep.recv(offset, Scif.RECV_BLOCK);
            ep.vwriteTo(pattern(), offset.getLong(0), Scif.RMA_SYNC); // no window of our own needed
            ep.send(ByteBuffer.allocate(1), Scif.SEND_BLOCK);
        }
    }

    /**
     * Nodes 0 and 1 of a tcp fabric on two free ports of 127.0.0.1.
     *
     * @return {node 0's URI, node 1's URI}
     * @throws IOException if no port is free
     */
    public static String[] loopbackFabric() throws IOException {
        // hold both sockets at once so the two ports differ, then free them for the nodes
        try (ServerSocket a = new ServerSocket(); ServerSocket b = new ServerSocket()) {
            InetAddress lo = InetAddress.getLoopbackAddress();
            a.bind(new InetSocketAddress(lo, 0));
            b.bind(new InetSocketAddress(lo, 0));
            String nodes = "tcp:0@127.0.0.1:" + a.getLocalPort() + ",1@127.0.0.1:" + b.getLocalPort();
            return new String[] {nodes + "?node=0", nodes + "?node=1"};
        }
    }
}
