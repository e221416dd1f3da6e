package org.scif4j.examples;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import org.scif4j.Endpoint;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifNode;

/**
 * Messaging between two nodes: the host listens and accepts, the card connects, and the card
 * sends framed messages that the host checksums and answers.
 *
 * <p>SCIF's send/recv move a stream of bytes, like TCP: message boundaries are not kept. So
 * each message goes as a frame, a 4-byte length then that many bytes, and a frame of length 0
 * says "no more". The host answers with the CRC-32 of everything it received, and the card
 * checks it against its own.
 *
 * <p>Run: {@code java ... org.scif4j.examples.Messaging [HOST-URI CARD-URI]}, by default two
 * nodes of a fresh shm fabric. Works on tcp too.
 */
public final class Messaging {
    /** How many messages the card sends. */
    public static final int MESSAGES = 1000;

    private Messaging() {
    }

    /**
     * Message {@code i}: its length varies from a few bytes to a few KiB.
     *
     * @param i the message's number
     * @return its bytes
     */
    public static byte[] message(int i) {
        return ("message #" + i + " ").repeat(1 + i % 300).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Runs host and card, each attached as its own node (usually they are two processes).
     *
     * @param args none, or the host's and the card's fabric URI
     * @throws Exception if a SCIF call fails or the checksums differ
     */
    public static void main(String[] args) throws Exception {
        String[] uris = Fabrics.hostAndCard(args, "messaging");
        try (ScifNode host = Scif.attach(uris[0]);
             ScifNode card = Scif.attach(uris[1]);
             Endpoint listener = host.open()) {
            int port = listener.bind(0);           // 0: any free port (the first is 1089)
            listener.listen(16);                   // up to 16 connections wait to be accepted
            PortId hostPort = new PortId(host.selfId(), port);

            Side cardSide = Side.start("card", () -> card(card, hostPort));
            try (Endpoint conn = listener.accept(Scif.ACCEPT_SYNC)) { // blocks until the card connects
                System.out.println("host: accepted a connection from " + conn.peerPort());
                host(conn);
            }
            cardSide.join();
        }                                          // closing a node closes its endpoints
    }

    /** Host: receives frames until the empty one, answers with the CRC-32 of their bytes. */
    private static void host(Endpoint conn) throws Exception {
        ByteBuffer length = ByteBuffer.allocate(Integer.BYTES);
        CRC32 crc = new CRC32();
        int messages = 0;
        long bytes = 0;
        while (true) {
            length.clear();
            conn.recv(length, Scif.RECV_BLOCK);    // RECV_BLOCK: returns when the buffer is full
            int n = length.getInt(0);
            if (n == 0) {
                break;
            }
            ByteBuffer body = ByteBuffer.allocate(n);
            conn.recv(body, Scif.RECV_BLOCK);
            crc.update(body.array());
            messages++;
            bytes += n;
        }
        System.out.printf("host: received %d messages, %d bytes, crc32 %08x%n", messages, bytes, crc.getValue());
        conn.send(ByteBuffer.allocate(Long.BYTES).putLong(0, crc.getValue()), Scif.SEND_BLOCK);
    }

    /** Card: connects, sends every message as a frame, then checks the host's checksum. */
    private static void card(ScifNode card, PortId host) throws Exception {
        try (Endpoint ep = card.open()) {
            ep.connect(host);                      // blocks until the host accepts
            CRC32 crc = new CRC32();
            for (int i = 0; i < MESSAGES; i++) {
                byte[] body = message(i);
                crc.update(body);
                ByteBuffer frame = ByteBuffer.allocate(Integer.BYTES + body.length).putInt(body.length).put(body).flip();
                ep.send(frame, Scif.SEND_BLOCK);   // SEND_BLOCK: returns when all of it is sent
            }
            ep.send(ByteBuffer.allocate(Integer.BYTES), Scif.SEND_BLOCK); // length 0: the end
            ByteBuffer answer = ByteBuffer.allocate(Long.BYTES);
            ep.recv(answer, Scif.RECV_BLOCK);
            if (answer.getLong(0) != crc.getValue()) {
                throw new IllegalStateException(String.format("the host's crc32 %08x differs from the card's %08x",
                    answer.getLong(0), crc.getValue()));
            }
            System.out.printf("card: the host's crc32 matches: %08x%n", crc.getValue());
        }
    }
}
