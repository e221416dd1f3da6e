package org.scif4j.examples;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.scif4j.Endpoint;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifMemory;
import org.scif4j.ScifNode;

/**
 * RMA completion as futures: the host writes blocks into the card's window with
 * {@code writeToAsync}, and after each block queues {@code fenceSignalAsync}, which stores the
 * block's number into a word of the card's window once the block has landed. The host learns
 * of each completion from the futures (no word to poll, no {@code fenceWait} in its own
 * thread); the card, which is only told "done" at the end, finds every block and the last
 * number in its window.
 *
 * <p>The same with the SCIF calls alone is {@code writeTo}, {@code fenceSignal}, then
 * {@code fenceMark}/{@code fenceWait} or a loop on the signalled word (see {@link RmaOffload}).
 *
 * <p>Run: {@code java ... org.scif4j.examples.AsyncSignal [HOST-URI CARD-URI]}, by default two
 * nodes of a fresh shm fabric. Works on tcp too.
 */
public final class AsyncSignal {
    /** Blocks the host writes. */
    public static final int BLOCKS = 16;
    /** Bytes per block. */
    public static final int BLOCK = 64 * 1024;

    private static final int PAGE = 4096;
    private static final VarHandle WORD = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

    private AsyncSignal() {
    }

    /**
     * Byte {@code i} of the host's data.
     *
     * @param i the index, 0..BLOCKS*BLOCK-1
     * @return the byte
     */
    public static byte data(int i) {
        return (byte) (i * 31 + (i >>> 16));
    }

    /**
     * Runs host and card, each attached as its own node.
     *
     * @param args none, or the host's and the card's fabric URI
     * @throws Exception if a SCIF call or a future fails, or the card's window is wrong
     */
    public static void main(String[] args) throws Exception {
        String[] uris = Fabrics.hostAndCard(args, "asyncsignal");
        try (ScifNode host = Scif.attach(uris[0]);
             ScifNode card = Scif.attach(uris[1]);
             Endpoint listener = host.open()) {
            listener.bind(0);
            listener.listen(1);
            PortId hostPort = listener.localPort();
            Side cardSide = Side.start("card", () -> card(card, hostPort));
            host(host, listener);
            cardSide.join();
        }
    }

    /** Host: writes the blocks, a signal after each, and waits for the futures. */
    private static void host(ScifNode node, Endpoint listener) throws Exception {
        try (ScifMemory data = node.allocate((long) BLOCKS * BLOCK);
             Endpoint card = listener.accept(Scif.ACCEPT_SYNC)) {
            for (int i = 0; i < BLOCKS * BLOCK; i++) {
                data.buffer().put(i, data(i));
            }
            long local = card.register(data.buffer(), 0, Scif.PROT_READ, 0);
            ByteBuffer where = ByteBuffer.allocate(2 * Long.BYTES);
            card.recv(where, Scif.RECV_BLOCK);
            long window = where.getLong(0);
            long word = where.getLong(8);
            List<CompletableFuture<Void>> signals = new ArrayList<>();
            for (int b = 1; b <= BLOCKS; b++) {
                long at = (long) (b - 1) * BLOCK;
                card.writeToAsync(local + at, BLOCK, window + at, 0);
                int block = b;
                // stored in the card's word once this block (and every RMA before it) has landed
                signals.add(card.fenceSignalAsync(0, 0, word, b, Scif.FENCE_INIT_SELF | Scif.SIGNAL_REMOTE)
                    .thenRun(() -> {
                        if (block == BLOCKS) {
                            System.out.println("host: block " + block + " landed and signalled");
                        }
                    }));
            }
            CompletableFuture.allOf(signals.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            System.out.println("host: all " + BLOCKS + " signals completed");
            card.send(ByteBuffer.allocate(1), Scif.SEND_BLOCK); // "done"
            card.recv(ByteBuffer.allocate(1), Scif.RECV_BLOCK); // the card has checked its window
        }
    }

    /** Card: registers a window for the blocks and a word, then checks them when told. */
    private static void card(ScifNode node, PortId host) throws Exception {
        int bytes = BLOCKS * BLOCK;
        try (ScifMemory window = node.allocate(bytes + PAGE);
             Endpoint ep = node.open()) {
            ep.connect(host);
            long offset = ep.register(window.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
            ep.send(ByteBuffer.allocate(2 * Long.BYTES).putLong(offset).putLong(offset + bytes).flip(),
                Scif.SEND_BLOCK);
            ep.recv(ByteBuffer.allocate(1), Scif.RECV_BLOCK);
            CRC32 expected = new CRC32();
            CRC32 actual = new CRC32();
            for (int i = 0; i < bytes; i++) {
                expected.update(data(i));
                actual.update(window.buffer().get(i));
            }
            long last = (long) WORD.getVolatile(window.buffer(), bytes);
            System.out.printf("card: word = %d, crc32 %08x (expected %08x)%n", last, actual.getValue(),
                expected.getValue());
            if (last != BLOCKS || actual.getValue() != expected.getValue()) {
                throw new IllegalStateException("the card's window is not what the host wrote");
            }
            ep.send(ByteBuffer.allocate(1), Scif.SEND_BLOCK);
        }
    }
}
