package org.scif4j.tests.process;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.scif4j.Endpoint;
import org.scif4j.Mapping;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifMemory;
import org.scif4j.ScifNode;

/**
 * The Java side of the protocols of libscif's C test program {@code scif-peer}
 * ({@code libscif/tools/scif-peer.c}), so that a {@link PeerMain} process can be its partner: the
 * checksummed stream (byte i is {@code (i * 31 + 7) mod 256}, then the FNV-1a 64 checksum as 8
 * little-endian bytes) and the answering side of {@code scif-peer rma}. A mismatch throws
 * {@link IllegalStateException} saying which byte or word was wrong.
 */
public final class CPeerProtocol {
    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;
    private static final int WINDOW = 65536;
    private static final int PATTERN = 4096;

    private CPeerProtocol() {
    }

    /**
     * Sends {@code bytes} of the pattern, then its checksum.
     *
     * @param e     a connected endpoint
     * @param bytes how many
     * @throws ScifException when a send fails
     */
    public static void streamOut(Endpoint e, long bytes) throws ScifException {
        ByteBuffer b = ByteBuffer.allocateDirect(65536);
        long h = FNV_OFFSET;
        for (long at = 0; at < bytes;) {
            int n = (int) Math.min(b.capacity(), bytes - at);
            b.clear().limit(n);
            for (int i = 0; i < n; i++) {
                b.put(i, (byte) ((at + i) * 31 + 7));
                h = (h ^ (b.get(i) & 0xff)) * FNV_PRIME;
            }
            sendAll(e, b);
            at += n;
        }
        sendAll(e, ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, h));
    }

    /**
     * Receives {@code bytes} of the pattern and its checksum, and checks both.
     *
     * @param e     a connected endpoint
     * @param bytes how many
     * @throws ScifException when a recv fails
     */
    public static void streamIn(Endpoint e, long bytes) throws ScifException {
        ByteBuffer b = ByteBuffer.allocateDirect(65536);
        long h = FNV_OFFSET;
        for (long at = 0; at < bytes;) {
            b.clear().limit((int) Math.min(b.capacity(), bytes - at));
            int n = e.recv(b, Scif.RECV_BLOCK);
            for (int i = 0; i < n; i++) {
                byte want = (byte) ((at + i) * 31 + 7);
                if (b.get(i) != want) {
                    throw new IllegalStateException("byte " + (at + i) + " of the stream is " + b.get(i)
                        + ", expected " + want);
                }
                h = (h ^ (want & 0xff)) * FNV_PRIME;
            }
            at += n;
        }
        ByteBuffer sum = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
        while (sum.hasRemaining()) {
            e.recv(sum, Scif.RECV_BLOCK);
        }
        if (sum.getLong(0) != h) {
            throw new IllegalStateException("the stream's checksum is " + Long.toHexString(h) + ", the sender's "
                + Long.toHexString(sum.getLong(0)));
        }
    }

    /**
     * The answering side of {@code scif-peer rma}, on a connection to it: exchanges 64 KiB windows,
     * checks what the C program wrote into ours (a vwriteto, a fence signal, a store through its
     * mmap), writes into its window the same three ways, and waits for its verdict.
     *
     * @param node the node that allocates our window
     * @param e    the connection to {@code scif-peer rma}
     * @throws ScifException when a call fails
     */
    public static void answerRma(ScifNode node, Endpoint e) throws ScifException {
        try (ScifMemory mem = node.allocate(WINDOW)) {
            ByteBuffer mine = mem.buffer().order(ByteOrder.LITTLE_ENDIAN);
            long myOffset = e.register(mine, 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
            ByteBuffer off = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
            while (off.hasRemaining()) {
                e.recv(off, Scif.RECV_BLOCK);
            }
            long theirs = off.getLong(0);
            sendAll(e, off.clear().putLong(0, myOffset));
            ByteBuffer one = ByteBuffer.allocateDirect(1);
            e.recv(one, Scif.RECV_BLOCK); // the C program has written into our window
            for (int i = 0; i < PATTERN; i++) {
                expect("byte " + i + " of the C program's vwriteto", (byte) (i * 3 + 1), mine.get(i));
            }
            expect("the C program's fence signal", 0xC0FFEEL, mine.getLong(8192));
            expect("the C program's store through scif_mmap", 0x5151L, mine.getLong(12288));
            ByteBuffer b = ByteBuffer.allocateDirect(PATTERN);
            for (int i = 0; i < PATTERN; i++) {
                b.put(i, (byte) (i * 5 + 2));
            }
            e.vwriteTo(b, theirs, Scif.RMA_SYNC);
            e.fenceSignal(0, 0, theirs + 8192, 0xBEEF, Scif.FENCE_INIT_SELF | Scif.SIGNAL_REMOTE);
            e.fenceWait(e.fenceMark(Scif.FENCE_INIT_SELF));
            try (Mapping m = e.mmap(theirs, WINDOW, Scif.PROT_READ | Scif.PROT_WRITE)) {
                m.buffer().order(ByteOrder.LITTLE_ENDIAN).putLong(12288, 0x6161);
            }
            sendAll(e, one.clear());
            one.clear();
            e.recv(one, Scif.RECV_BLOCK);
            expect("the C program's verdict on our writes into its window", (byte) 1, one.get(0));
            // ours before the last byte: once it has that, the C program unregisters and closes
            e.unregister(myOffset, WINDOW);
            sendAll(e, one.clear()); // it may unregister its window now
        }
    }

    private static void expect(String what, long want, long got) {
        if (want != got) {
            throw new IllegalStateException(what + " is " + Long.toHexString(got) + ", expected "
                + Long.toHexString(want));
        }
    }

    private static void sendAll(Endpoint e, ByteBuffer b) throws ScifException {
        while (b.hasRemaining()) {
            e.send(b, Scif.SEND_BLOCK);
        }
    }
}
