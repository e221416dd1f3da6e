package org.scif4j.examples;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.util.concurrent.TimeUnit;
import org.scif4j.Endpoint;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifMemory;
import org.scif4j.ScifNode;

/**
 * Offloading work with RMA and fences, the way SCIF programs drive a coprocessor card.
 *
 * <p>The host registers two windows on its connection with the card: the input numbers, and
 * the results followed by a completion word. For each batch the host fills the input and sends
 * the card a short "go" message; the card pulls the input with {@code readFrom}, squares every
 * number, pushes the squares into the host's results window with an asynchronous
 * {@code writeTo}, and queues a {@code fenceSignal} that stores the batch number into the
 * host's completion word once every byte of that {@code writeTo} has landed. The host never
 * asks: it watches the word. The card, before it reuses its own buffer for the next batch,
 * waits with {@code fenceMark}/{@code fenceWait} until its {@code writeTo} has read it, and
 * does so before it signals: the host may close the connection as soon as it sees the last
 * signal, and after that only a {@code recv} of what is already queued succeeds.
 *
 * <p>Run: {@code java ... org.scif4j.examples.RmaOffload [HOST-URI CARD-URI]}, by default two
 * nodes of a fresh shm fabric. Works on tcp too (there the window's owner serves the RMA).
 */
public final class RmaOffload {
    /** Numbers per batch. */
    public static final int COUNT = 65_536;
    /** Batches the card computes. */
    public static final int BATCHES = 4;

    private static final int PAGE = 4096;
    private static final int BYTES = COUNT * Long.BYTES;
    /** Reads and writes a long of a ByteBuffer with volatile semantics, in native byte order. */
    private static final VarHandle WORD = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

    private RmaOffload() {
    }

    /**
     * Number {@code i} of batch {@code batch}.
     *
     * @param batch the batch, 1..{@link #BATCHES}
     * @param i     the index, 0..{@link #COUNT}-1
     * @return the number the host sends
     */
    public static long input(int batch, int i) {
        return (long) batch * COUNT + i;
    }

    /**
     * Runs host and card, each attached as its own node.
     *
     * @param args none, or the host's and the card's fabric URI
     * @throws Exception if a SCIF call fails, a result is wrong or the card never signals
     */
    public static void main(String[] args) throws Exception {
        String[] uris = Fabrics.hostAndCard(args, "offload");
        try (ScifNode host = Scif.attach(uris[0]);
             ScifNode card = Scif.attach(uris[1]);
             Endpoint listener = host.open()) {
            listener.bind(0);
            listener.listen(1);
            PortId hostPort = listener.localPort();
            Side cardSide = Side.start("card", () -> card(card, hostPort));
            long sum = host(host, listener);
            cardSide.join();
            System.out.println("offload: " + BATCHES + " batches of " + COUNT
                + " numbers squared by the card, all correct; sum of the squares = " + sum);
        }
    }

    /** Host: registers the windows, hands out the batches, waits on the completion word. */
    private static long host(ScifNode node, Endpoint listener) throws Exception {
        // allocate(): memory a transport can register without copying (the fast path)
        try (ScifMemory in = node.allocate(BYTES);
             ScifMemory out = node.allocate(BYTES + PAGE);  // the results, then a page for the word
             Endpoint card = listener.accept(Scif.ACCEPT_SYNC)) {
            // register() returns the window's offset in this connection's registered address space
            long inOffset = card.register(in.buffer(), 0, Scif.PROT_READ, 0);
            long outOffset = card.register(out.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
            int word = BYTES;                                 // index of the completion word in out
            card.send(ByteBuffer.allocate(3 * Long.BYTES)
                .putLong(inOffset).putLong(outOffset).putLong(outOffset + word).flip(), Scif.SEND_BLOCK);

            LongBuffer input = in.buffer().order(ByteOrder.nativeOrder()).asLongBuffer();
            LongBuffer results = out.buffer().order(ByteOrder.nativeOrder()).asLongBuffer();
            long sum = 0;
            for (int batch = 1; batch <= BATCHES; batch++) {
                for (int i = 0; i < COUNT; i++) {
                    input.put(i, input(batch, i));
                }
                card.send(ByteBuffer.allocate(Long.BYTES).putLong(0, batch), Scif.SEND_BLOCK); // "go"
                awaitWord(out.buffer(), word, batch);
                // the signal is stored only after the writeTo it follows: the results are all here
                for (int i = 0; i < COUNT; i++) {
                    long x = input(batch, i);
                    if (results.get(i) != x * x) {
                        throw new IllegalStateException("batch " + batch + ": result " + i + " is "
                            + results.get(i) + ", expected " + x * x);
                    }
                    sum += results.get(i);
                }
                System.out.println("host: batch " + batch + " done");
            }
            card.send(ByteBuffer.allocate(Long.BYTES).putLong(0, 0), Scif.SEND_BLOCK); // "no more"
            return sum;
        }   // closing the connection unregisters its windows
    }

    /** Waits until the word at {@code index} of {@code window} holds {@code value} (for 30 s at most). */
    private static void awaitWord(ByteBuffer window, int index, long value) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        // a volatile read: the card's signal is written by another node into this very memory
        while ((long) WORD.getVolatile(window, index) != value) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the card did not signal batch " + value + " within 30 s");
            }
            Thread.sleep(0, 100_000);                       // or Thread.onSpinWait() for the lowest latency
        }
    }

    /** Card: pulls each batch, squares it, pushes the squares and signals the host. */
    private static void card(ScifNode node, PortId host) throws Exception {
        try (ScifMemory work = node.allocate(BYTES);
             Endpoint ep = node.open()) {                   // closed first: unregisters `work`
            ep.connect(host);
            ByteBuffer where = ByteBuffer.allocate(3 * Long.BYTES);
            ep.recv(where, Scif.RECV_BLOCK);
            long input = where.getLong(0);
            long results = where.getLong(8);
            long word = where.getLong(16);
            long local = ep.register(work.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
            LongBuffer numbers = work.buffer().order(ByteOrder.nativeOrder()).asLongBuffer();
            ByteBuffer go = ByteBuffer.allocate(Long.BYTES);
            while (true) {
                go.clear();
                ep.recv(go, Scif.RECV_BLOCK);
                long batch = go.getLong(0);
                if (batch == 0) {
                    return;
                }
                ep.readFrom(local, BYTES, input, Scif.RMA_SYNC);  // RMA_SYNC: returns once the bytes are here
                for (int i = 0; i < COUNT; i++) {
                    numbers.put(i, numbers.get(i) * numbers.get(i));
                }
                ep.writeTo(local, BYTES, results, 0);             // asynchronous: returns at once
                // before the next readFrom overwrites `work`, the writeTo must have read it; and
                // it is waited for before the signal: once the host sees the last signal it may
                // close the connection, after which only recv (which drains the queue) succeeds
                ep.fenceWait(ep.fenceMark(Scif.FENCE_INIT_SELF));
                // after every RMA issued so far: store `batch` into the host's word (SIGNAL_REMOTE)
                ep.fenceSignal(0, 0, word, batch, Scif.FENCE_INIT_SELF | Scif.SIGNAL_REMOTE);
            }
        }
    }
}
