package org.scif4j.tcp.internal;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A hand-made peer for tests: a plain {@link Socket} to a node's 127.0.0.1 port that writes
 * whatever bytes a test gives it, honest or not, and reads the node's answers.
 */
final class RawPeer implements AutoCloseable {
    /** How long a read may wait for the node before the test fails (never a pass condition). */
    private static final int READ_TIMEOUT_MILLIS = 10_000;

    private final Socket socket;
    private final DataOutputStream out;
    private final DataInputStream in;

    RawPeer(int port) throws IOException {
        socket = new Socket(InetAddress.getByName("127.0.0.1"), port);
        socket.setSoTimeout(READ_TIMEOUT_MILLIS);
        socket.setTcpNoDelay(true);
        out = new DataOutputStream(socket.getOutputStream());
        in = new DataInputStream(socket.getInputStream());
    }

    /** Writes raw bytes. */
    RawPeer write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Writes a HELLO as node {@code from} to node {@code to}. @return the nonce it sent */
    byte[] hello(int from, int to, boolean keyed) throws IOException {
        byte[] nonce = FabricKey.nonce();
        out.writeInt(1 + Wire.HELLO_BODY);
        out.writeByte(Wire.HELLO);
        out.writeInt(Wire.MAGIC);
        out.writeShort(Wire.VERSION);
        out.writeShort(from);
        out.writeShort(to);
        out.writeShort(keyed ? Wire.FLAG_KEYED : 0);
        out.writeLong(ThreadLocalRandom.current().nextLong());
        out.write(nonce);
        out.flush();
        return nonce;
    }

    /** Reads one frame. @return its type followed by its body */
    byte[] readFrame() throws IOException {
        int length = in.readInt();
        byte[] frame = new byte[length];
        in.readFully(frame);
        return frame;
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
