package org.scif4j.tcp.internal;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A hand-made peer for tests: a plain {@link Socket} to a node's 127.0.0.1 port (or one a node
 * opened to the port of the node this peer claims to be) that writes whatever bytes a test
 * gives it, honest or not, and reads the node's answers.
 */
final class RawPeer implements AutoCloseable {
    /** How long a read may wait for the node before the test fails (never a pass condition). */
    private static final int READ_TIMEOUT_MILLIS = 10_000;

    private final Socket socket;
    private final DataOutputStream out;
    private final DataInputStream in;

    RawPeer(int port) throws IOException {
        this(new Socket(InetAddress.getByName("127.0.0.1"), port));
    }

    private RawPeer(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(READ_TIMEOUT_MILLIS);
        socket.setTcpNoDelay(true);
        out = new DataOutputStream(socket.getOutputStream());
        in = new DataInputStream(socket.getInputStream());
    }

    /**
     * Listens on 127.0.0.1:{@code port}, the address of the node a raw peer claims to be: a node
     * sends its SCIF frames for that node over a link it opens itself, so a raw peer that wants
     * the answers must be there to take that link.
     */
    static ServerSocket listen(int port) throws IOException {
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true); // the fixture found the port free; its probe may be in TIME_WAIT
        server.setSoTimeout(READ_TIMEOUT_MILLIS);
        server.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
        return server;
    }

    /** Takes the next link a node opens to {@code server}; fails by timeout when none comes. */
    static RawPeer accept(ServerSocket server) throws IOException {
        return new RawPeer(server.accept());
    }

    /** Writes raw bytes. */
    RawPeer write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** @return the bytes of a frame: the length prefix, {@code type}, {@code body} */
    static byte[] frame(byte type, byte[] body) {
        return ByteBuffer.allocate(4 + 1 + body.length).putInt(1 + body.length).put(type).put(body).array();
    }

    /** Writes one frame of {@code type} with {@code body}. */
    RawPeer send(byte type, byte[] body) throws IOException {
        return write(frame(type, body));
    }

    /** Writes a HELLO as node {@code from} to node {@code to}. @return the nonce it sent */
    byte[] hello(int from, int to, boolean keyed) throws IOException {
        return hello(from, to, keyed, ThreadLocalRandom.current().nextLong());
    }

    /**
     * Writes a HELLO as incarnation {@code incarnation} of node {@code from}: a peer holding two
     * links with a node must give both the same one, or the node takes the second for a restart
     * and drops everything of the first.
     *
     * @return the nonce it sent
     */
    byte[] hello(int from, int to, boolean keyed, long incarnation) throws IOException {
        byte[] nonce = FabricKey.nonce();
        byte[] body = Arrays.copyOf(helloBody(from, to, keyed, incarnation, nonce).array(), HandshakeWire.HELLO_SIZE);
        write(frame(Wire.HELLO, body));
        return nonce;
    }

    /** @return HELLO's fields, with room after them for HELLO_ACK's proof (left zero) */
    private static ByteBuffer helloBody(int from, int to, boolean keyed, long incarnation, byte[] nonce) {
        return ByteBuffer.allocate(HandshakeWire.HELLO_SIZE + HandshakeWire.PROOF_BYTES).putInt(HandshakeWire.MAGIC_VALUE).putShort(HandshakeWire.VERSION_VALUE)
            .putShort((short) from).putShort((short) to).putShort((short) (keyed ? HandshakeWire.FLAG_KEYED : 0))
            .putLong(incarnation).put(nonce);
    }

    /**
     * The acceptor's half of an unkeyed handshake on a link a node opened to this peer: reads
     * the node's HELLO, checks it is from {@code from} to {@code self}, and answers HELLO_ACK
     * (with the all-zero proof of an unkeyed fabric).
     */
    void answerHello(int self, int from, long incarnation) throws IOException {
        ByteBuffer hello = expect(Wire.HELLO);
        int magic = hello.getInt();
        int version = hello.getShort();
        int sender = hello.getShort() & 0xffff;
        int to = hello.getShort() & 0xffff;
        int flags = hello.getShort();
        if (magic != HandshakeWire.MAGIC_VALUE || version != HandshakeWire.VERSION_VALUE || sender != from || to != self || flags != 0) {
            throw new AssertionError("an unexpected HELLO: magic 0x" + Integer.toHexString(magic) + ", version "
                + version + ", from " + sender + ", to " + to + ", flags " + flags);
        }
        // HELLO_BODY + PROOF bytes, the proof left zero: the fields of HELLO, then no proof.
        send(Wire.HELLO_ACK, helloBody(self, from, false, incarnation, FabricKey.nonce()).array());
    }

    /** Reads one frame. @return its type followed by its body */
    byte[] readFrame() throws IOException {
        int length = in.readInt();
        byte[] frame = new byte[length];
        in.readFully(frame);
        return frame;
    }

    /**
     * Reads the next frame that is not a HEARTBEAT (the node beats on a timer, whatever else it
     * sends), or learns that the node closed the connection.
     *
     * @return its type followed by its body, or null once the node has closed the connection
     */
    byte[] nextOrClosed() throws IOException {
        try {
            while (true) {
                byte[] f = readFrame();
                if (f.length == 0 || f[0] != Wire.HEARTBEAT) {
                    return f;
                }
            }
        } catch (EOFException e) {
            return null;
        } catch (SocketException e) {
            return null; // reset by the node: closed as well (a read timeout is not one: it propagates)
        }
    }

    /**
     * Reads the next frame that is not a HEARTBEAT and checks its type.
     *
     * @return its body, positioned after the type byte
     */
    ByteBuffer expect(byte type) throws IOException {
        byte[] f = nextOrClosed();
        if (f == null) {
            throw new AssertionError("the node closed the connection; expected " + Wire.name(type));
        }
        if (f.length == 0 || f[0] != type) {
            throw new AssertionError("the node sent " + (f.length == 0 ? "an empty frame" : Wire.name(f[0]))
                + "; expected " + Wire.name(type));
        }
        return ByteBuffer.wrap(f, 1, f.length - 1).slice();
    }

    /** Half-closes: the node sees the end of the stream. */
    void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    /**
     * Reads until the node closes the connection, discarding what comes (a HELLO_ACK, a
     * heartbeat). Fails by timeout, never by a sleep, when the node keeps it open.
     *
     * @return true once the node has closed it
     */
    boolean closedByNode() throws IOException {
        try {
            while (in.read() >= 0) {
                // drain
            }
            return true;
        } catch (EOFException | SocketException e) {
            return true; // reset by the node: closed as well
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
