package org.scif4j.tests.examples;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifMemory;
import org.scif4j.ScifNode;

/**
 * Offloading work to a card with RMA, the pattern of SCIF's benchmarks and of HAM
 * (SCIF). The host registers its input and a result window and sends their
 * offsets to the card; the card pulls the input with {@code readFrom}, squares every number,
 * pushes the results back with an asynchronous {@code writeTo}, and queues a
 * {@code fenceSignal(INIT_SELF | SIGNAL_REMOTE)} that writes {@link #DONE} into the host's
 * window once the results have landed. The host just watches that word.
 *
 * <p>Run {@code main} for both sides in one JVM, or call {@link #host} and {@link #card} from
 * two processes (the conformance suite does).
 */
public final class OffloadExample {
    /** The value the card signals when the results are in the host's window. */
    public static final long DONE = 0x600D_F00DL;

    private static final int PAGE = 4096;
    private static final VarHandle WORD =
        MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

    private OffloadExample() {
    }

    /**
     * Host side: accepts one card, lets it square {@code input}, returns the squares.
     *
     * @param node     the host's node
     * @param listener a listening endpoint the card connects to
     * @param input    the numbers
     * @return their squares
     * @throws ScifException if a SCIF call fails, or ETIMEDOUT if the card never signals
     */
    public static long[] host(ScifNode node, Endpoint listener, long[] input)
        throws ScifException {
        int bytes = input.length * Long.BYTES;
        try (ScifMemory in = node.allocate(bytes);
             ScifMemory out = node.allocate(bytes + PAGE); // results, then a page for the flag
             Endpoint card = listener.accept(Scif.ACCEPT_SYNC)) {
            in.buffer().order(ByteOrder.nativeOrder()).asLongBuffer().put(input);
            long inOffset = card.register(in.buffer(), 0, Scif.PROT_READ, 0);
            long outOffset = card.register(out.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
            int flagIndex = (int) out.size() - PAGE;

            // tell the card where everything is: count, input, results, completion word
            ByteBuffer descriptor = ByteBuffer.allocate(4 * Long.BYTES).putLong(input.length)
                .putLong(inOffset).putLong(outOffset).putLong(outOffset + flagIndex).flip();
            card.send(descriptor, Scif.SEND_BLOCK);

            // the signal arrives only after every byte of the card's writeTo is visible
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while ((long) WORD.getVolatile(out.buffer(), flagIndex) != DONE) {
                if (System.nanoTime() > deadline) {
                    throw ScifException.of("host", Errno.ETIMEDOUT, "the card did not signal");
                }
                Thread.onSpinWait();
            }
            long[] result = new long[input.length];
            out.buffer().order(ByteOrder.nativeOrder()).asLongBuffer().get(result);
            card.send(ByteBuffer.allocate(1), Scif.SEND_BLOCK); // "done with your data"
            return result;
        }
    }

    /**
     * Card side: connects to the host, squares its numbers, signals completion.
     *
     * @param node the card's node
     * @param host the host's listening port
     * @throws ScifException if a SCIF call fails
     */
    public static void card(ScifNode node, PortId host) throws ScifException {
        try (Endpoint ep = node.open()) {
            ep.connect(host);
            ByteBuffer descriptor = ByteBuffer.allocate(4 * Long.BYTES);
            ep.recv(descriptor, Scif.RECV_BLOCK);
            int count = (int) descriptor.getLong(0);
            long input = descriptor.getLong(8);
            long results = descriptor.getLong(16);
            long flag = descriptor.getLong(24);
            int bytes = count * Long.BYTES;
            try (ScifMemory work = node.allocate(bytes)) {
                long local = ep.register(work.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
                ep.readFrom(local, bytes, input, Scif.RMA_SYNC);
                LongBuffer numbers = work.buffer().order(ByteOrder.nativeOrder()).asLongBuffer();
                for (int i = 0; i < count; i++) {
                    numbers.put(i, numbers.get(i) * numbers.get(i));
                }
                ep.writeTo(local, bytes, results, 0); // asynchronous: returns at once
                ep.fenceSignal(0, 0, flag, DONE, Scif.FENCE_INIT_SELF | Scif.SIGNAL_REMOTE);
                ep.recv(ByteBuffer.allocate(1), Scif.RECV_BLOCK); // keep our window until then
            }
        }
    }

    /**
     * Runs host and card in one JVM, each attached as its own node.
     *
     * @param hostUri the host's node, e.g. {@code shm:offload?node=0}
     * @param cardUri the card's node, e.g. {@code shm:offload?node=1}
     * @param count   how many numbers to square
     * @return whether every result was right
     * @throws Exception if either side fails
     */
    public static boolean run(String hostUri, String cardUri, int count) throws Exception {
        try (ScifNode hostNode = Scif.attach(hostUri); ScifNode cardNode = Scif.attach(cardUri);
             Endpoint listener = hostNode.open()) {
            listener.bind(0);
            listener.listen(1);
            Exception[] cardFailure = new Exception[1];
            Thread cardThread = new Thread(() -> {
                try {
                    card(cardNode, listener.localPort());
                } catch (ScifException e) {
                    cardFailure[0] = e;
                }
            }, "card");
            cardThread.start();
            long[] input = LongStream.range(0, count).map(i -> i - count / 2).toArray();
            long[] squares = host(hostNode, listener, input);
            cardThread.join();
            if (cardFailure[0] != null) {
                throw cardFailure[0];
            }
            return LongStream.range(0, count).allMatch(i -> squares[(int) i] == input[(int) i]
                * input[(int) i]);
        }
    }

    /**
     * Squares a million numbers on "node 1".
     *
     * @param args optional fabric URI without options, default {@code shm:offload-example}
     * @throws Exception if it fails
     */
    public static void main(String[] args) throws Exception {
        String fabric = args.length > 0 ? args[0] : "shm:offload-example";
        boolean ok = run(fabric + "?node=0", fabric + "?node=1", 1 << 20);
        System.out.println(ok ? "offload: all squares correct" : "offload: WRONG RESULTS");
        System.exit(ok ? 0 : 1);
    }
}
