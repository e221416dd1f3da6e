package org.scif4j.tests;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.scif4j.Endpoint;
import org.scif4j.EndpointChannel;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;
import org.scif4j.tests.process.PeerProcess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A connected endpoint as a {@code ByteChannel}, {@code InputStream} and {@code OutputStream}:
 * Data and Object streams run over SCIF unchanged, end of stream when the peer closes or dies,
 * closing an adapter closes the endpoint, and a read blocked when that happens ends.
 */
public abstract class AdapterTest extends ScifTestBase {
    @Test
    void dataStreamsRunOverAnEndpoint() throws Exception {
        try (Connection c = connect(attach(0), attach(1))) {
            byte[] blob = randomBytes(5, 10_000); // more than a ring: the writer must wait
            Async<Void> writer = async("writer", () -> {
                DataOutputStream out = new DataOutputStream(
                    new BufferedOutputStream(c.connector().asOutputStream()));
                out.writeInt(7);
                out.writeUTF("über SCIF");
                out.writeLong(-3L);
                out.write(blob);
                out.flush();
                return null;
            });
            DataInputStream in = new DataInputStream(new BufferedInputStream(c.acceptor().asInputStream()));
            assertEquals(7, in.readInt(), "int");
            assertEquals("über SCIF", in.readUTF(), "UTF");
            assertEquals(-3L, in.readLong(), "long");
            byte[] got = new byte[blob.length];
            in.readFully(got);
            assertArrayEquals(blob, got, "bytes");
            writer.get(SOON);
            c.connector().close();
            assertThrows(EOFException.class, in::readInt, "end of stream once the peer closed");
        }
    }

    @Test
    void objectStreamsRunOverAnEndpoint() throws Exception {
        try (Connection c = connect(attach(0), attach(1))) {
            Map<String, List<Integer>> sent = new TreeMap<>();
            for (int i = 0; i < 500; i++) {
                sent.put("key" + i, List.of(i, i * i));
            }
            Async<Void> writer = async("writer", () -> {
                ObjectOutputStream out = new ObjectOutputStream(c.connector().asOutputStream());
                out.writeObject(sent);
                out.flush();
                return null;
            });
            ObjectInputStream in = new ObjectInputStream(c.acceptor().asInputStream());
            assertEquals(sent, in.readObject(), "the map arrived whole");
            writer.get(SOON);
        }
    }

    @Test
    void channelReadsWhatIsThereAndMinusOneAtTheEnd() throws IOException {
        try (Connection c = connect(attach(0), attach(1))) {
            EndpointChannel ch = c.acceptor().asChannel();
            assertSame(c.acceptor(), ch.endpoint(), "endpoint");
            sendFully(c.connector(), new byte[] {1, 2, 3});
            ByteBuffer dst = ByteBuffer.allocate(8);
            int n = 0;
            while (n < 3) {
                int r = ch.read(dst);
                check(r > 0, "a blocking read returns at least one byte: " + r);
                n += r;
            }
            assertEquals(3, n, "the three bytes");
            assertEquals(0, ch.read(ByteBuffer.allocate(0)), "no room: 0");
            assertEquals(4, ch.write(ByteBuffer.wrap(new byte[] {4, 5, 6, 7})), "write sends all");
            assertArrayEquals(new byte[] {4, 5, 6, 7}, recvFully(c.connector(), 4), "peer got them");
            c.connector().close();
            assertEquals(-1, ch.read(dst), "end of stream once the peer closed");
            assertThrows(ScifException.class, () -> ch.write(ByteBuffer.allocate(1)),
                "write to a closed peer");
        }
    }

    @Test
    void closingAnAdapterClosesTheEndpoint() throws IOException {
        try (Connection c = connect(attach(0), attach(1))) {
            InputStream in = c.acceptor().asInputStream();
            in.close();
            assertTrue(isClosed(c.acceptor()), "closing the InputStream closed the endpoint");
            EndpointChannel ch = c.connector().asChannel();
            ch.close();
            assertFalse(ch.isOpen(), "isOpen after close");
            assertTrue(isClosed(c.connector()), "closing the channel closed the endpoint");
            assertThrows(ClosedChannelException.class, () -> ch.read(ByteBuffer.allocate(1)), "read");
            assertThrows(ClosedChannelException.class, () -> ch.write(ByteBuffer.allocate(1)), "write");
            ch.close(); // idempotent
        }
    }

    @Test
    void aReadBlockedWhenTheEndpointClosesEndsWithAsynchronousClose() throws IOException {
        try (Connection c = connect(attach(0), attach(1))) {
            EndpointChannel ch = c.acceptor().asChannel();
            Async<Integer> read = async("read", () -> ch.read(ByteBuffer.allocate(8)));
            read.awaitBlocked();
            c.acceptor().close();
            AssertionError failed = assertThrows(AssertionError.class, () -> read.get(SOON),
                "the read ended with an exception");
            assertInstanceOf(AsynchronousCloseException.class, failed.getCause(),
                "a read woken by the endpoint's close: " + failed.getCause());
            assertFalse(ch.isOpen(), "the channel knows it was closed");
        }
    }

    @Test
    void aReadBlockedOnAKilledPeerSeesTheEndOfStream() throws IOException {
        ScifNode n0 = attach(0);
        PeerProcess peer = startPeer(1);
        int port = Integer.parseInt(peer.ok("sink 0").get("port"));
        Endpoint ep = open(n0);
        ep.connect(port(1, port));
        assertEquals("ACCEPTED peer=" + ep.localPort(), peer.awaitEvent(SOON), "the child accepted");
        InputStream in = ep.asInputStream();
        Async<Integer> read = async("read", in::read);
        read.awaitBlocked();
        peer.kill();
        assertEquals(-1, read.get(Duration.ofSeconds(60)), "end of stream when the peer died");
        in.close();
    }
}
