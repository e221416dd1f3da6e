package org.scif4j.examples;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Mapping;
import org.scif4j.PollItem;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifMemory;
import org.scif4j.ScifNode;

/**
 * A single-producer/single-consumer ring in shared memory: the host registers a window, the
 * card maps it with {@code mmap} and both then talk through plain memory, with no SCIF call per
 * message.
 *
 * <p>The window holds two counters, each in its own cache line, and {@link #SLOTS} slots of 8
 * bytes. The card (producer) writes a value into slot {@code tail % SLOTS} and then publishes
 * {@code tail + 1} with a release store; the host (consumer) reads {@code tail} with an acquire
 * load, reads the slots up to it, and publishes how far it got in {@code head} the same way.
 * Each counter has one writer, so no compare-and-set is needed. The host reads its own
 * registered buffer: on shm, a window and every mapping of it are one memory.
 *
 * <p>shm only: the tcp transport has no mmap (its nodes do not share memory), so {@code mmap}
 * there fails with {@code EOPNOTSUPP}; use RMA (see {@link RmaOffload}) across hosts.
 *
 * <p>Run: {@code java ... org.scif4j.examples.MmapRing [HOST-URI CARD-URI]}, by default two
 * nodes of a fresh shm fabric.
 */
public final class MmapRing {
    /** Values the card sends through the ring: 1..VALUES. */
    public static final int VALUES = 200_000;
    /** Slots of the ring, a power of two. */
    public static final int SLOTS = 1024;

    private static final int HEAD = 0;              // consumer's counter (written by the host)
    private static final int TAIL = 64;             // producer's counter (written by the card), its own cache line
    private static final int SLOT0 = 128;
    private static final int BYTES = 4096 + SLOTS * Long.BYTES; // whole pages: windows are page-granular
    /** Accesses a long of a ByteBuffer with explicit memory ordering, in native byte order. */
    private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

    private MmapRing() {
    }

    /**
     * Runs host (consumer) and card (producer), each attached as its own node.
     *
     * @param args none, or the host's and the card's fabric URI (both {@code shm:})
     * @throws Exception if a SCIF call fails or a value arrives out of order
     */
    public static void main(String[] args) throws Exception {
        String[] uris = Fabrics.hostAndCard(args, "mmap-ring");
        try (ScifNode host = Scif.attach(uris[0]);
             ScifNode card = Scif.attach(uris[1]);
             Endpoint listener = host.open()) {
            listener.bind(0);
            listener.listen(1);
            PortId hostPort = listener.localPort();
            Side cardSide = Side.start("card", () -> producer(card, hostPort));
            long sum;
            try {
                sum = consumer(host, listener);
            } catch (ScifException e) {
                throw cardSide.fail(e);   // the card's failure, e.g. no mmap on tcp, explains ours
            }
            cardSide.join();
            System.out.println("mmap ring: " + VALUES + " values through " + SLOTS
                + " slots of shared memory, in order; sum = " + sum);
        }
    }

    /** Host: registers the ring's window, tells the card its offset, consumes every value. */
    private static long consumer(ScifNode node, Endpoint listener) throws ScifException {
        try (ScifMemory ring = node.allocate(BYTES);        // zeroed: head = tail = 0
             Endpoint card = listener.accept(Scif.ACCEPT_SYNC)) {
            long offset = card.register(ring.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
            card.send(ByteBuffer.allocate(Long.BYTES).putLong(0, offset), Scif.SEND_BLOCK);
            ByteBuffer mem = ring.buffer();
            PollItem[] peer = {new PollItem(card, Scif.POLLIN)};
            long head = 0;
            long sum = 0;
            while (head < VALUES) {
                long tail = (long) LONG.getAcquire(mem, TAIL);  // the slots below tail are written
                if (tail == head) {
                    // empty: a real consumer might back off. A producer publishes its last value
                    // before it hangs up, so once the peer is gone one more read of tail is final.
                    if (peerHungUp(peer) && (long) LONG.getAcquire(mem, TAIL) == head) {
                        throw new ScifException(Errno.ECONNRESET, "the peer closed its connection at ring index "
                            + head + " of " + VALUES);
                    }
                    Thread.onSpinWait();
                    continue;
                }
                for (; head < tail; head++) {
                    long value = (long) LONG.get(mem, slot(head));
                    if (value != head + 1) {
                        throw new IllegalStateException("slot " + head + " holds " + value + ", expected " + (head + 1));
                    }
                    sum += value;
                }
                LONG.setRelease(mem, HEAD, head);               // the slots below head may be reused
            }
            // wait for the card to unmap before the window goes away with the connection
            card.recv(ByteBuffer.allocate(1), Scif.RECV_BLOCK);
            return sum;
        }
    }

    /** Card: maps the host's window and produces 1..VALUES into the ring. */
    private static void producer(ScifNode node, PortId host) throws ScifException {
        try (Endpoint ep = node.open()) {
            ep.connect(host);
            ByteBuffer where = ByteBuffer.allocate(Long.BYTES);
            ep.recv(where, Scif.RECV_BLOCK);
            PollItem[] peer = {new PollItem(ep, Scif.POLLIN)};
            try (Mapping map = mmap(ep, where.getLong(0))) {
                ByteBuffer mem = map.buffer();
                for (long tail = 0; tail < VALUES; tail++) {
                    while (tail - (long) LONG.getAcquire(mem, HEAD) == SLOTS) {   // full: wait for the host
                        if (peerHungUp(peer)) {
                            throw new ScifException(Errno.ECONNRESET, "the host closed its connection at ring index "
                                + tail + " of " + VALUES);
                        }
                        Thread.onSpinWait();
                    }
                    LONG.set(mem, slot(tail), tail + 1);
                    LONG.setRelease(mem, TAIL, tail + 1);        // publish the slot
                }
            }
            ep.send(ByteBuffer.allocate(1), Scif.SEND_BLOCK);   // "unmapped"
        }
    }

    /** Maps the peer's window, saying what to do instead on a transport without shared memory. */
    private static Mapping mmap(Endpoint ep, long offset) throws ScifException {
        try {
            return ep.mmap(offset, BYTES, Scif.PROT_READ | Scif.PROT_WRITE);
        } catch (ScifException e) {
            if (e.errno() == Errno.EOPNOTSUPP) {
                throw new ScifException(Errno.EOPNOTSUPP, "this example needs mmap, which only the shm: "
                    + "transport has (tcp nodes share no memory: use RMA there, as RmaOffload does)", e);
            }
            throw e;
        }
    }

    /**
     * Asks SCIF, without waiting, whether the peer hung up: shared memory alone never tells
     * that the other side is gone (a peer that failed, or died, would leave us spinning for ever).
     */
    private static boolean peerHungUp(PollItem[] peer) throws ScifException {
        return Scif.poll(peer, 0) > 0 && (peer[0].revents() & (Scif.POLLHUP | Scif.POLLERR)) != 0;
    }

    private static int slot(long index) {
        return SLOT0 + (int) (index & (SLOTS - 1)) * Long.BYTES;
    }
}
