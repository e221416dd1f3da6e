package org.scif4j.tests;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * send/recv (SCIF): a reliable, ordered byte stream per direction, with
 * random sizes, both directions at once, many endpoints at once, messages much larger than
 * the ring, blocking and non-blocking calls (non-blocking moves what fits, possibly 0, never
 * EAGAIN), 0-byte calls, bad flags, concurrent senders that never interleave one call's bytes,
 * and the exact 4095-byte limit of a 4096-byte ring.
 */
public abstract class MessagingTest extends ScifTestBase {

    /** Sends {@code total} bytes in random-size chunks, mixing blocking and non-blocking calls. */
    private static long randomSender(Endpoint ep, long seed, int total) throws ScifException {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] data = randomBytes(seed, total);
        ByteBuffer src = rnd.nextBoolean() ? ByteBuffer.wrap(data)
            : ByteBuffer.allocateDirect(total).put(data).flip();
        while (src.hasRemaining()) {
            int chunk = Math.min(src.remaining(), 1 + rnd.nextInt(rnd.nextBoolean() ? 100 : 300_000));
            ByteBuffer slice = src.slice().limit(chunk);
            if (rnd.nextInt(3) == 0) {
                int n = ep.send(slice, 0);
                assertTrue(n >= 0 && n <= chunk, "non-blocking send returns 0.." + chunk + ": " + n);
                if (n == 0) {
                    awaitEvents(ep, Scif.POLLOUT, Scif.POLLOUT, "send space");
                }
                src.position(src.position() + n);
            } else {
                assertEquals(chunk, ep.send(slice, Scif.SEND_BLOCK), "blocking send sends all");
                src.position(src.position() + chunk);
            }
        }
        return crc(data);
    }

    /** Receives {@code total} bytes in random-size reads; returns their CRC32. */
    private static long randomReceiver(Endpoint ep, long seed, int total) throws ScifException {
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x5DEECE66DL);
        CRC32 crc = new CRC32();
        ByteBuffer dst = ByteBuffer.allocateDirect(300_000);
        int got = 0;
        while (got < total) {
            int want = Math.min(total - got, 1 + rnd.nextInt(rnd.nextBoolean() ? 100 : 300_000));
            dst.clear().limit(want);
            int n;
            if (rnd.nextInt(3) == 0) {
                n = ep.recv(dst, 0);
                assertTrue(n >= 0 && n <= want, "non-blocking recv returns 0.." + want + ": " + n);
                if (n == 0) {
                    awaitEvents(ep, Scif.POLLIN, Scif.POLLIN, "data to receive");
                }
            } else {
                n = ep.recv(dst, Scif.RECV_BLOCK);
                assertEquals(want, n, "blocking recv fills the buffer");
            }
            assertEquals(n, dst.position(), "recv advances the position by its result");
            dst.flip();
            crc.update(dst);
            got += n;
        }
        return crc.getValue();
    }

    @Test
    void byteStreamIntegrityWithRandomSizes() throws ScifException {
        ScifNode n0 = attach(0);
        ScifNode n1 = attach(1);
        try (Connection c = connect(n0, n1)) {
            int total = 6 << 20;
            Async<Long> sender = async("sender", () -> randomSender(c.connector(), 1, total));
            long received = randomReceiver(c.acceptor(), 1, total);
            assertEquals(sender.get(SOON), received, "CRC32 of the 6 MiB received");
            assertEquals(0, c.acceptor().recv(ByteBuffer.allocate(1), 0), "nothing more arrived");
        }
    }

    @Test
    void bothDirectionsAtOnce() throws ScifException {
        bothDirectionsAtOnce(attach(0), attach(1), 4 << 20);
    }

    /**
     * Both directions at once through SCIF's own 4096-byte ring: the senders block on a full
     * ring nearly every call, and the room one side makes may reach the other with its own
     * messages (tcp gives credit back with DATA), so a sender must wake for that too.
     */
    @Test
    void bothDirectionsAtOnceThroughA4096ByteRing() throws ScifException {
        bothDirectionsAtOnce(attach(0, SCIF_RING), attach(1, SCIF_RING), 1 << 20);
    }

    private void bothDirectionsAtOnce(ScifNode n0, ScifNode n1, int total) throws ScifException {
        try (Connection c = connect(n0, n1)) {
            Async<Long> s1 = async("send-a", () -> randomSender(c.connector(), 11, total));
            Async<Long> s2 = async("send-b", () -> randomSender(c.acceptor(), 12, total));
            Async<Long> r1 = async("recv-a", () -> randomReceiver(c.acceptor(), 11, total));
            long r2 = randomReceiver(c.connector(), 12, total);
            assertEquals(s1.get(SOON), r1.get(SOON), "CRC32 connector -> acceptor");
            assertEquals(s2.get(SOON), r2, "CRC32 acceptor -> connector");
        }
    }

    @Test
    void manyEndpointsAtOnce() throws ScifException {
        ScifNode n0 = attach(0);
        ScifNode n1 = attach(1);
        int pairs = 16;
        int total = 256 << 10;
        List<Connection> cs = new ArrayList<>();
        for (int i = 0; i < pairs; i++) {
            cs.add(connect(n0, i % 2 == 0 ? n1 : n0));
        }
        List<Async<Long>> senders = new ArrayList<>();
        List<Async<Long>> receivers = new ArrayList<>();
        for (int i = 0; i < pairs; i++) {
            Connection c = cs.get(i);
            long seed = 100 + i;
            senders.add(async("send-" + i, () -> randomSender(c.connector(), seed, total)));
            receivers.add(async("recv-" + i, () -> randomReceiver(c.acceptor(), seed, total)));
        }
        for (int i = 0; i < pairs; i++) {
            assertEquals(senders.get(i).get(SOON.multipliedBy(3)),
                receivers.get(i).get(SOON.multipliedBy(3)), "CRC32 of pair " + i);
        }
        cs.forEach(Connection::close);
    }

    @Test
    @Tag("slow")
    void messagesMuchLargerThanTheRing() throws ScifException {
        try (Connection c = connectThroughScifRing()) {
            byte[] big = randomBytes(7, 3 << 20);
            Async<Integer> s = async("send", () -> c.connector().send(ByteBuffer.wrap(big),
                Scif.SEND_BLOCK));
            ByteBuffer dst = ByteBuffer.allocateDirect(big.length);
            assertEquals(big.length, c.acceptor().recv(dst, Scif.RECV_BLOCK),
                "one blocking recv of 3 MiB through a 4 KiB ring");
            assertEquals(big.length, s.get(SOON), "one blocking send of 3 MiB");
            byte[] got = new byte[big.length];
            dst.flip().get(got);
            assertArrayEquals(big, got, "3 MiB arrive intact and in order");
        }
    }

    @Test
    void nonBlockingCallsMoveWhatFitsAndNeverFail() throws ScifException {
        ScifNode n0 = attach(0);
        ScifNode n1 = attach(1);
        try (Connection c = connect(n0, n1)) {
            assertEquals(0, c.acceptor().recv(ByteBuffer.allocate(100), 0),
                "non-blocking recv with nothing queued returns 0, not EAGAIN");
            byte[] data = randomBytes(3, 100);
            assertEquals(100, c.connector().send(ByteBuffer.wrap(data), Scif.SEND_BLOCK), "send");
            awaitEvents(c.acceptor(), Scif.POLLIN, Scif.POLLIN, "100 bytes queued");
            ByteBuffer dst = ByteBuffer.allocate(1000);
            long deadline = System.nanoTime() + SOON.toNanos();
            while (dst.position() < 100 && System.nanoTime() < deadline) {
                int n = c.acceptor().recv(dst, 0);
                assertTrue(n >= 0 && dst.position() <= 100, "non-blocking recv returns what is "
                    + "there, never more: " + n);
            }
            assertArrayEquals(data, Arrays.copyOf(dst.array(), dst.position()), "received bytes");
            // fill the ring with non-blocking sends until one returns 0
            ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
            long sent = 0;
            int n;
            int rounds = 0;
            do {
                chunk.clear();
                n = c.connector().send(chunk, 0);
                assertTrue(n >= 0 && n <= chunk.capacity(), "non-blocking send result " + n);
                sent += n;
                check(++rounds < 100_000, "a ring that never fills: sent " + sent);
            } while (n > 0);
            assertEquals(0, c.connector().send(ByteBuffer.allocate(10), 0),
                "a non-blocking send on a full ring returns 0, never EAGAIN");
            assertEquals(0, poll(c.connector(), Scif.POLLOUT, 0), "no POLLOUT on a full ring");
            assertEquals(sent, drain(c.acceptor(), sent), "every byte sent arrives");
            awaitEvents(c.connector(), Scif.POLLOUT, Scif.POLLOUT, "room again once read");
        }
    }

    /**
     * The API: only a call that waits ends with EINTR. With the interrupt status already set,
     * a call that can complete without waiting (the lock uncontended, room in the ring, bytes
     * queued, or non-blocking) completes, as the driver completes a call that does not sleep
     * while a signal is pending, and as ReentrantLock.lock and NIO's non-blocking reads do; the
     * interrupt status stays set for whoever waits next. A blocking call that must wait ends
     * with EINTR at once and keeps the status, as Object.wait does.
     */
    @Test
    void callsThatNeedNotWaitCompleteWithTheInterruptStatusSet() throws ScifException {
        try (Connection c = connectThroughScifRing()) {
            Endpoint ep = c.connector();
            sendFully(c.acceptor(), new byte[] {1, 2, 3, 4, 5, 6, 7, 8}); // one send: arrives as a whole
            awaitEvents(ep, Scif.POLLIN, Scif.POLLIN, "8 bytes queued for the connector");
            Thread.currentThread().interrupt();
            try {
                assertEquals(10, ep.send(ByteBuffer.allocate(10), 0),
                    "a non-blocking send with room in the ring, interrupt status set");
                assertEquals(10, ep.send(ByteBuffer.allocate(10), Scif.SEND_BLOCK),
                    "a blocking send with room in the ring, interrupt status set");
                ByteBuffer first = ByteBuffer.allocate(4);
                assertEquals(4, ep.recv(first, 0), "a non-blocking recv with bytes queued, interrupt status set");
                ByteBuffer second = ByteBuffer.allocate(4);
                assertEquals(4, ep.recv(second, Scif.RECV_BLOCK),
                    "a blocking recv with bytes queued, interrupt status set");
                assertArrayEquals(new byte[] {1, 2, 3, 4}, first.array(), "the first 4 bytes");
                assertArrayEquals(new byte[] {5, 6, 7, 8}, second.array(), "the next 4 bytes");
                assertEquals(0, ep.recv(ByteBuffer.allocate(4), 0),
                    "a non-blocking recv with nothing queued returns 0, interrupt status set");
                assertEquals(Scif.POLLOUT, poll(ep, Scif.POLLIN | Scif.POLLOUT, 0),
                    "a poll that need not wait, interrupt status set");
                assertEquals(4075, ep.send(ByteBuffer.allocate(8192), 0),
                    "a non-blocking send fills the rest of the ring, interrupt status set");
                assertEquals(0, ep.send(ByteBuffer.allocate(4), 0),
                    "a non-blocking send on a full ring returns 0, interrupt status set");
                assertTrue(Thread.currentThread().isInterrupted(),
                    "calls that did not wait leave the interrupt status set");
            } finally {
                Thread.interrupted(); // clear it: the fixture's own waits come next
            }
            // Calls that must wait, each in its own thread so that one that waited anyway
            // could not hang the test; nothing else interrupts them before the bound.
            Async<Integer> recv = async("recv", () -> {
                Thread.currentThread().interrupt();
                return ep.recv(ByteBuffer.allocate(4), Scif.RECV_BLOCK);
            });
            recv.awaitFailure(Errno.EINTR, SOON, "a blocking recv with nothing queued, interrupt status set");
            assertTrue(recv.interruptedAtEnd(), "EINTR keeps the interrupt status (recv)");
            Async<Integer> send = async("send", () -> {
                Thread.currentThread().interrupt();
                return ep.send(ByteBuffer.allocate(4), Scif.SEND_BLOCK);
            });
            send.awaitFailure(Errno.EINTR, SOON, "a blocking send on a full ring, interrupt status set");
            assertTrue(send.interruptedAtEnd(), "EINTR keeps the interrupt status (send)");
            assertEquals(4095, drain(c.acceptor(), 4095), "every byte sent arrives");
        }
    }

    /**
     * SCIF: a blocking send interrupted after some bytes moved returns how many moved (the
     * buffer's position says the same, and the peer receives exactly those); EINTR is only for
     * a send interrupted before any byte moved. The ring is empty when the send begins, so its
     * first 4095 bytes move at once and it then waits for room that never comes.
     */
    @Test
    void anInterruptedBlockingSendReturnsTheBytesAlreadySent() throws ScifException {
        try (Connection c = connectThroughScifRing()) {
            ByteBuffer src = ByteBuffer.allocateDirect(8192);
            Async<Integer> send = async("send", () -> c.connector().send(src, Scif.SEND_BLOCK));
            send.awaitBlocked();
            awaitRingFull(c.connector());
            send.thread().interrupt();
            assertEquals(4095, send.get(SOON), "the interrupted send returns the bytes it moved");
            assertTrue(send.interruptedAtEnd(), "the interrupt status stays set");
            assertEquals(4095, src.position(), "the position moved by the bytes sent");
            assertEquals(4095, drain(c.acceptor(), 4095), "the peer receives them");
            assertEquals(0, c.acceptor().recv(ByteBuffer.allocate(1), 0), "and nothing more");
        }
    }

    /** Polls until {@code ep} no longer reports POLLOUT: its 4096-byte ring holds 4095 bytes. */
    private static void awaitRingFull(Endpoint ep) throws ScifException {
        long deadline = System.nanoTime() + SOON.toNanos();
        while (poll(ep, Scif.POLLOUT, 0) != 0) {
            assertTrue(System.nanoTime() < deadline, "the sender filled the ring within " + SOON);
            Thread.onSpinWait();
        }
    }

    /** The option for SCIF's own 4096-byte ring, where SCIF's exact limits (4095 bytes) hold. */
    private static final String SCIF_RING = "ring=4096";

    /** @return a connection from node 0 to node 1, both attached with {@link #SCIF_RING} */
    private Connection connectThroughScifRing() throws ScifException {
        return connect(attach(0, SCIF_RING), attach(1, SCIF_RING));
    }

    private static long drain(Endpoint ep, long bytes) throws ScifException {
        ByteBuffer dst = ByteBuffer.allocate(64 * 1024);
        long got = 0;
        while (got < bytes) {
            dst.clear().limit((int) Math.min(dst.capacity(), bytes - got));
            got += ep.recv(dst, Scif.RECV_BLOCK);
        }
        return got;
    }

    @Test
    void exactScifLimitWithA4096ByteRing() throws ScifException {
        try (Connection c = connectThroughScifRing()) {
            byte[] data = randomBytes(9, 10000);
            ByteBuffer src = ByteBuffer.wrap(data);
            assertEquals(4095, c.connector().send(src, 0),
                "non-blocking send of 10000 bytes to a peer that does not read (a 4096-byte queue keeps one byte free: 4095)");
            assertEquals(4095, src.position(), "the position advanced by 4095");
            assertEquals(0, c.connector().send(src, 0), "a further non-blocking send returns 0");
            assertEquals(0, poll(c.connector(), Scif.POLLOUT, 0), "no POLLOUT with 4095 queued");
            assertArrayEquals(Arrays.copyOf(data, 4095), recvFully(c.acceptor(), 4095),
                "the 4095 bytes arrive");
            assertEquals(0, c.acceptor().recv(ByteBuffer.allocate(10), 0), "and nothing else");
            awaitEvents(c.connector(), Scif.POLLOUT, Scif.POLLOUT, "ring drained");
            assertEquals(4095, c.connector().send(src, 0), "again 4095 fit once the ring drained");
        }
    }

    /**
     * SCIF: a send's room is what the peer has not taken yet, however little it took. Once the
     * peer took the bytes sent and answered, a non-blocking send moves the full 4095 again,
     * whether the peer took one byte or a quarter ring (a transport that gives room back in
     * batches must still have given it back by the time the answer arrives).
     */
    @Test
    void theWholeRingIsFreeOnceThePeerTookTheBytesAndAnswered() throws ScifException {
        try (Connection c = connectThroughScifRing()) {
            Endpoint a = c.connector();
            Endpoint b = c.acceptor();
            for (int taken : new int[] {1, 4, 1023, 1024, 1025, 3000, 4095}) {
                byte[] first = randomBytes(taken, taken);
                assertEquals(taken, a.send(ByteBuffer.wrap(first), Scif.SEND_BLOCK));
                assertArrayEquals(first, recvFully(b, taken), "the peer takes the " + taken + " bytes");
                assertEquals(1, b.send(ByteBuffer.allocate(1), Scif.SEND_BLOCK), "and answers");
                recvFully(a, 1);
                byte[] fill = randomBytes(taken + 1, 10000);
                assertEquals(4095, a.send(ByteBuffer.wrap(fill), 0),
                    "a non-blocking send after the peer took " + taken + " bytes and answered finds all 4095 free");
                assertArrayEquals(Arrays.copyOf(fill, 4095), recvFully(b, 4095), "the 4095 bytes arrive");
                assertEquals(1, b.send(ByteBuffer.allocate(1), Scif.SEND_BLOCK), "and the peer answers again");
                recvFully(a, 1);
            }
        }
    }

    @Test
    void zeroLengthAndBadFlags() throws ScifException {
        ScifNode n0 = attach(0);
        try (Connection c = connect(n0, n0)) {
            assertEquals(0, c.connector().send(ByteBuffer.allocate(0), 0), "send of 0 bytes");
            assertEquals(0, c.connector().recv(ByteBuffer.allocate(0), Scif.RECV_BLOCK),
                "blocking recv of 0 bytes returns at once");
            assertErrno(Errno.EINVAL, () -> c.connector().send(ByteBuffer.allocate(4), 2),
                "send flags 2");
            assertErrno(Errno.EINVAL, () -> c.connector().recv(ByteBuffer.allocate(4), 2),
                "recv flags 2");
            assertEquals(4, c.connector().send(ByteBuffer.allocate(4), 3),
                "flags 3: bits beside bit 0 are ignored, so this is a blocking send");
            assertEquals(4, c.acceptor().recv(ByteBuffer.allocate(4), 3), "recv flags 3");
        }
    }

    @Test
    void concurrentSendersNeverInterleaveOneCallsBytes() throws ScifException {
        ScifNode n0 = attach(0, SCIF_RING);
        ScifNode n1 = attach(1, SCIF_RING);
        int threads = 4;
        int blocks = 150;
        int block = 10_000; // larger than the ring: each send needs several ring turns
        try (Connection c = connect(n0, n1)) {
            List<Async<Void>> senders = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                senders.add(async("sender-" + t, () -> {
                    ByteBuffer b = ByteBuffer.allocate(block);
                    for (int seq = 0; seq < blocks; seq++) {
                        b.clear();
                        b.putInt(id).putInt(seq);
                        byte fill = (byte) (id * 16 + seq % 16);
                        while (b.hasRemaining()) {
                            b.put(fill);
                        }
                        b.flip();
                        assertEquals(block, c.connector().send(b, Scif.SEND_BLOCK), "send");
                    }
                    return null;
                }));
            }
            int[] next = new int[threads];
            for (int i = 0; i < threads * blocks; i++) {
                ByteBuffer b = ByteBuffer.wrap(recvFully(c.acceptor(), block));
                int id = b.getInt();
                int seq = b.getInt();
                assertTrue(id >= 0 && id < threads, "block " + i + " starts with a thread id: " + id
                    + " (bytes of two sends interleaved?)");
                assertEquals(next[id], seq, "thread " + id + "'s blocks arrive in order");
                next[id]++;
                byte fill = (byte) (id * 16 + seq % 16);
                while (b.hasRemaining()) {
                    int pos = b.position();
                    assertEquals(fill, b.get(), "block " + i + " (thread " + id + ", seq " + seq
                        + ") byte " + pos + " is uniform: one send's bytes were interleaved");
                }
            }
            for (Async<Void> s : senders) {
                s.get(SOON);
            }
        }
    }

    @Test
    void orderIsKeptAcrossManySmallSends() throws ScifException {
        ScifNode n0 = attach(0);
        ScifNode n1 = attach(1);
        try (Connection c = connect(n0, n1)) {
            int count = 20_000;
            Async<Void> s = async("sender", () -> {
                ByteBuffer b = ByteBuffer.allocate(4);
                for (int i = 0; i < count; i++) {
                    b.clear();
                    b.putInt(i).flip();
                    c.connector().send(b, Scif.SEND_BLOCK);
                }
                return null;
            });
            ByteBuffer all = ByteBuffer.wrap(recvFully(c.acceptor(), count * 4));
            for (int i = 0; i < count; i++) {
                assertEquals(i, all.getInt(), "sequence number " + i);
            }
            s.get(SOON);
        }
    }
}
