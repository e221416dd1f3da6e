package org.scif4j.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.scif4j.Endpoint;
import org.scif4j.Scif;
import org.scif4j.ScifNode;
import org.scif4j.tcp.conformance.TcpFixture;

/**
 * A raw peer claiming to be node 2 connects to a listener of node 0 and gets a window of the
 * accepted endpoint, then lies about it: RMA frames outside that window or beyond its
 * protection, out of sequence, oversized, completions of operations it never received, a
 * malformed window of its own. Each time node 0 closes the links with "node 2" with a logged
 * protocol violation, writes nothing into any window, answers nothing more, and keeps serving
 * node 1's honest connection, messages and RMA alike. A positive control shows the same raw
 * peer's honest frames are served, so the hostile ones fail for the reason claimed.
 *
 * <p>The raw peer holds two sockets, as a real node 2 would: {@code front}, the link it opens to
 * node 0, on which it sends its frames; and {@code back}, the link node 0 opens to node 2's
 * address of the fabric, on which node 0 sends everything for node 2 (docs/tcp-protocol.md,
 * "Fabric and links").
 */
@Timeout(60)
class HostileRmaPeerTest {
    private static final int PORT = 3002;
    /** The node the raw peer claims to be: in the fabric, never attached by the test. */
    private static final int RAW_NODE = 2;
    /** The raw peer's name for its endpoint; node 0 addresses its frames for it with this. */
    private static final long CONNECTOR = 0x5241570000000001L;
    /** Where the accepted endpoint registers its window for the raw peer (MAP_FIXED). */
    private static final long WINDOW = 1L << 20;
    /** Larger than {@link Wire#MAX_RMA}: an oversized RMA_READ still falls inside the window. */
    private static final int WINDOW_BYTES = 2 << 20;
    /** Where node 0's honest endpoint registers its window for node 1, unlike {@link #WINDOW}. */
    private static final long HONEST_WINDOW = 1L << 30;
    private static final int HONEST_BYTES = 8192;
    private static final int PAGE = 4096;

    private final TcpFixture fabric = new TcpFixture();
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private LogCapture log;
    private ScifNode node0;
    private ScifNode node1;
    private Endpoint listener;
    private Endpoint client;
    private Endpoint server;
    /** Node 0's window for node 1, and what node 1 last wrote there. */
    private final ByteBuffer honestWindow = aligned(HONEST_BYTES);
    private byte[] honestExpected;
    /** Node 1's source window for its writes into {@link #honestWindow}. */
    private final ByteBuffer clientWindow = aligned(HONEST_BYTES);
    private int honestRound;
    private int node0Port;
    private int node2Port;

    // The raw peer's connection, made by a test with connectRaw.
    private ServerSocket node2;
    private RawPeer front;
    private RawPeer back;
    private Endpoint accepted;
    private long acceptor;
    private ByteBuffer window;
    /** What the raw peer's window must hold: the pattern, plus what honest frames wrote. */
    private byte[] expected;
    private int probes;

    @BeforeEach
    void honestPeers() throws Exception {
        log = new LogCapture();
        // Unkeyed: a raw peer needs no key to get this far, and the checks under test come after
        // the handshake. A long liveness, so that the raw peer, which sends no heartbeats, is
        // not lost for silence while a test runs: every loss seen here is a violation.
        String options = "liveness=60000";
        node0 = Scif.attach(fabric.fabricUri(0, options));
        node1 = Scif.attach(fabric.fabricUri(1, options));
        node0Port = Honest.tcpPort(fabric.fabricUri(0, options), 0);
        node2Port = Honest.tcpPort(fabric.fabricUri(0, options), RAW_NODE);
        listener = Honest.listener(node0, PORT);
        Endpoint[] pair = Honest.connect(node1, listener);
        client = pair[0];
        server = pair[1];
        assertEquals(HONEST_WINDOW, server.register(honestWindow, HONEST_WINDOW, Scif.PROT_READ | Scif.PROT_WRITE,
            Scif.MAP_FIXED));
        assertEquals(0, client.register(clientWindow, 0, Scif.PROT_READ | Scif.PROT_WRITE, Scif.MAP_FIXED));
        honestStillServed();
    }

    @AfterEach
    void close() throws Exception {
        // The raw sockets first: node 0 then loses node 2 and the accepted endpoint closes at
        // once, rather than waiting out the watchdog for a DISCONNECT_ACK nobody would send.
        for (AutoCloseable c : new AutoCloseable[] {front, back, node2, accepted, client, server, listener, node1,
            node0, log}) {
            if (c != null) {
                c.close();
            }
        }
        pool.shutdownNow();
        fabric.assertNoLeftovers();
    }

    // ---------------------------------------------------------------- the hostile frames

    @Test
    void rmaWriteOutsideEveryWindow() throws Exception {
        connectRaw(Scif.PROT_READ | Scif.PROT_WRITE);
        long past = WINDOW + WINDOW_BYTES; // the first byte after the window: no window there
        assertRefused(rmaWrite(1, past, RmaWire.RMA_LAST, payload(16)),
            "RMA_WRITE of [" + past + ", +16) outside the windows registered with PROT_WRITE");
    }

    @Test
    void rmaWriteAcrossTheEndOfTheWindow() throws Exception {
        connectRaw(Scif.PROT_READ | Scif.PROT_WRITE);
        // Its first 8 bytes are inside: a node that checked only the start would write them.
        long start = WINDOW + WINDOW_BYTES - 8;
        assertRefused(rmaWrite(1, start, RmaWire.RMA_LAST, payload(16)),
            "RMA_WRITE of [" + start + ", +16) outside the windows registered with PROT_WRITE");
    }

    @Test
    void rmaWriteIntoAReadOnlyWindow() throws Exception {
        connectRaw(Scif.PROT_READ);
        assertRefused(rmaWrite(1, WINDOW, RmaWire.RMA_LAST, payload(16)),
            "RMA_WRITE of [" + WINDOW + ", +16) outside the windows registered with PROT_WRITE");
    }

    @Test
    void rmaWriteOutOfSequence() throws Exception {
        connectRaw(Scif.PROT_READ | Scif.PROT_WRITE);
        assertRefused(rmaWrite(2, WINDOW, RmaWire.RMA_LAST, payload(16)), "RMA_WRITE for operation 2; expected 1");
    }

    @Test
    void rmaWriteReplayed() throws Exception {
        connectRaw(Scif.PROT_READ | Scif.PROT_WRITE);
        honestWrite(1, WINDOW + 64, payload(16));
        // The same operation number again, other bytes: only the first write may be there.
        assertRefused(rmaWrite(1, WINDOW + 128, RmaWire.RMA_LAST, payload(16)), "RMA_WRITE for operation 1; expected 2");
    }

    @Test
    void rmaReadLongerThanMaxRma() throws Exception {
        connectRaw(Scif.PROT_READ | Scif.PROT_WRITE);
        int length = RmaWire.MAX_RMA + 1; // inside the window: only its size is wrong
        assertRefused(rmaRead(1, WINDOW, length), "RMA_READ of " + length + " bytes; expected 1.." + RmaWire.MAX_RMA);
    }

    @Test
    void rmaReadOutsideEveryWindow() throws Exception {
        connectRaw(Scif.PROT_READ | Scif.PROT_WRITE);
        // Bytes before the window would leak whatever node 0 keeps there.
        long start = WINDOW - PAGE;
        assertRefused(rmaRead(1, start, 2 * PAGE),
            "RMA_READ of [" + start + ", +" + 2 * PAGE + ") outside the windows registered with PROT_READ");
    }

    @Test
    void remoteSignalIntoAReadOnlyWindow() throws Exception {
        connectRaw(Scif.PROT_READ);
        byte[] body = ByteBuffer.allocate(Wire.bodySize(Wire.SIGNAL)).putLong(acceptor).putInt(1)
            .putInt(Scif.SIGNAL_REMOTE).putLong(WINDOW).putLong(0xBADL).array();
        assertRefused(RawPeer.frame(Wire.SIGNAL, body),
            "SIGNAL of [" + WINDOW + ", +8) outside the windows registered with PROT_WRITE");
    }

    @Test
    void peerSignalIntoAReadOnlyWindow() throws Exception {
        connectRaw(Scif.PROT_READ);
        // An INIT_PEER fence signal whose remote word (node 0's) lies in the read-only window.
        byte[] body = ByteBuffer.allocate(Wire.bodySize(Wire.PEER_SIGNAL)).putLong(acceptor).putInt(1)
            .putInt(Scif.SIGNAL_REMOTE).putLong(0).putLong(0).putLong(WINDOW).putLong(0xBADL).array();
        assertRefused(RawPeer.frame(Wire.PEER_SIGNAL, body),
            "PEER_SIGNAL of [" + WINDOW + ", +8) outside the windows registered with PROT_WRITE");
    }

    @Test
    void rmaDoneForAnOperationNeverStarted() throws Exception {
        connectRaw(Scif.PROT_READ | Scif.PROT_WRITE);
        assertRefused(endpointInt(Wire.RMA_DONE, 1),
            "RMA_DONE for operation 1 that is not the write or signal in progress");
    }

    @Test
    void rmaDataForAReadNeverStarted() throws Exception {
        connectRaw(Scif.PROT_READ | Scif.PROT_WRITE);
        // Node 0 has no read in flight: a node that took the data would write it somewhere.
        byte[] data = payload(64);
        byte[] body = ByteBuffer.allocate(RmaWire.DATA_HEADER + data.length).putLong(acceptor).putInt(1)
            .put((byte) RmaWire.RMA_LAST).put(data).array();
        assertRefused(RawPeer.frame(Wire.RMA_DATA, body), "RMA_DATA for operation 1 that is not the read in progress");
    }

    @Test
    void windowAddAtAnUnalignedOffset() throws Exception {
        connectRaw(Scif.PROT_READ | Scif.PROT_WRITE);
        byte[] body = ByteBuffer.allocate(Wire.bodySize(Wire.WINDOW_ADD)).putLong(acceptor).putInt(1).putLong(100)
            .putLong(PAGE).putInt(Scif.PROT_READ | Scif.PROT_WRITE).array();
        assertRefused(RawPeer.frame(Wire.WINDOW_ADD, body),
            "WINDOW_ADD of " + PAGE + " bytes at 100 with prot 3; expected whole pages");
    }

    /**
     * One RMA_DONE answers every operation up to its number, but only writes and signals: a
     * read completes with its own RMA_DATA. The raw peer, as the owner of a window node 0
     * writes and reads, claims a write after a read is done before sending the read's data.
     */
    @Test
    void rmaDoneThatCoversAReadNeverAnswered() throws Exception {
        connectRaw(Scif.PROT_READ | Scif.PROT_WRITE);
        long theirs = 1L << 40;
        front.write(RawPeer.frame(Wire.WINDOW_ADD, ByteBuffer.allocate(Wire.bodySize(Wire.WINDOW_ADD))
            .putLong(acceptor).putInt(1).putLong(theirs).putLong(2 * PAGE).putInt(Scif.PROT_READ | Scif.PROT_WRITE)
            .array()));
        back.expect(Wire.WINDOW_ACK);
        accepted.writeTo(WINDOW, PAGE, theirs, 0);
        accepted.readFrom(WINDOW + PAGE, PAGE, theirs + PAGE, 0);
        accepted.writeTo(WINDOW + 2 * PAGE, PAGE, theirs, 0);
        for (byte type : new byte[] {Wire.RMA_WRITE, Wire.RMA_READ, Wire.RMA_WRITE}) {
            back.expect(type);
        }
        assertRefused(endpointInt(Wire.RMA_DONE, 3),
            "RMA_DONE for operation 3 that is not the write or signal in progress (operation 2 before it is not one)");
    }

    /**
     * SIGNAL_STORE is node 0's own request coming back: the peer, having served a PEER_SIGNAL
     * with SIGNAL_LOCAL, tells the requester to store its local word. Sent unasked into a
     * read-only window it is a write the peer was never granted (node 0 never asks for one
     * there: fenceSignal refuses a local word outside a writable window with EPERM).
     *
     * <p>Guards against a SIGNAL_STORE handler that stores whatever it is sent once the 8 bytes
     * lie in one local window ({@link RmaFences} refuses a store no request of ours asked for).
     */
    @Test
    void signalStoreNobodyAskedForIntoAReadOnlyWindow() throws Exception {
        connectRaw(Scif.PROT_READ);
        byte[] body = ByteBuffer.allocate(Wire.bodySize(Wire.SIGNAL_STORE)).putLong(acceptor).putLong(WINDOW + 8)
            .putLong(0xBADBADBADL).array();
        assertRefused(RawPeer.frame(Wire.SIGNAL_STORE, body), "SIGNAL_STORE");
    }

    /**
     * Frames for other endpoints of node 0 (the raw peer guesses wire ids, which are small
     * numbers) must not reach node 1's window on node 0: a frame not from an endpoint's own
     * peer is dropped, or refused, but never served.
     */
    @Test
    void rmaWritesForAnotherConnectionsEndpoint() throws Exception {
        connectRaw(Scif.PROT_READ | Scif.PROT_WRITE);
        ByteArrayOutputStream spray = new ByteArrayOutputStream();
        // The operation number node 1's next write takes (one per round): the frames are right
        // in every respect but the sender.
        int seq = honestRound + 1;
        for (long id = 1; id <= 64; id++) {
            if (id != acceptor) {
                spray.write(rmaWrite(id, seq, HONEST_WINDOW, RmaWire.RMA_LAST, payload(16)));
            }
        }
        spray.write(probe());
        front.write(spray.toByteArray());
        byte[] answer = back.nextOrClosed();
        // Either answer is fine: the frames were dropped (the probe is answered) or refused (the
        // link closed); the point is that both come after node 0 handled every one of them.
        if (answer != null) {
            assertEquals(Wire.MARK_ACK, answer[0], "node 0's answer to the probe; got " + Wire.name(answer[0]));
        }
        assertArrayEquals(honestExpected, bytes(honestWindow), "node 1's window on node 0");
        assertArrayEquals(expected, bytes(window), "the raw peer's window");
        honestStillServed();
    }

    // ---------------------------------------------------------------- the positive control

    /**
     * The raw peer asks for far more than an honest initiator may have in flight and never reads
     * the answers: node 0 answers until what waits unsent for node 2 exceeds what its one
     * connection may honestly leave (TcpRma.UNSENT_PER_CONNECTION plus the slack), then closes
     * the links with a logged violation rather than buffering the rest. The probe after the
     * reads is never answered, so node 0 did not serve them all.
     */
    @Test
    void readsWhoseAnswersNobodyReads() throws Exception {
        connectRaw(Scif.PROT_READ | Scif.PROT_WRITE);
        int reads = 256; // 256 MiB asked for, against an allowance of about 97 MiB
        ByteArrayOutputStream hostile = new ByteArrayOutputStream();
        for (int seq = 1; seq <= reads; seq++) {
            hostile.write(rmaRead(seq, WINDOW, RmaWire.MAX_RMA));
        }
        hostile.write(probe());
        front.write(hostile.toByteArray());
        String warning = log.await("does not read what it asked for");
        assertTrue(warning.contains("protocol violation: "), warning);
        long answered = 0;
        for (byte[] f; (f = back.nextOrClosed()) != null; ) {
            assertEquals(Wire.RMA_DATA, f[0], "node 0 sends only answers to the reads, never the probe's");
            answered += f.length;
        }
        assertTrue(answered < (long) reads * RmaWire.MAX_RMA, "node 0 answered " + answered + " bytes of "
            + (long) reads * RmaWire.MAX_RMA + " asked for");
        assertTrue(front.closedByNode(), "node 0 closed the raw peer's link to it");
        assertArrayEquals(expected, bytes(window), "reads change no window");
        honestStillServed();
    }

    /**
     * The same raw peer, honest: a write inside the window with the right operation number
     * lands and is answered with RMA_DONE, a read comes back as RMA_DATA, and the link stays
     * open. So the cases above fail for the reason they claim, not because the raw peer's
     * connection or framing is wrong.
     */
    @Test
    void honestFramesFromTheRawPeerAreServed() throws Exception {
        connectRaw(Scif.PROT_READ | Scif.PROT_WRITE);
        honestWrite(1, WINDOW + 64, payload(16));
        // A write of two frames, its last one flagged, crossing a page: one operation.
        byte[] first = payload(Wire.MAX_DATA);
        byte[] second = payload(100);
        long at = WINDOW + 3 * PAGE - 10;
        front.write(rmaWrite(2, at, 0, first));
        System.arraycopy(first, 0, expected, (int) (at - WINDOW), first.length);
        honestWrite(2, at + first.length, second);

        // Two RMA_DATA frames: the last one flagged, the bytes those of the window.
        int length = Wire.MAX_DATA + 300;
        front.write(rmaRead(3, WINDOW + 8, length));
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        int flags = 0;
        while ((flags & RmaWire.RMA_LAST) == 0) {
            ByteBuffer d = back.expect(Wire.RMA_DATA);
            assertEquals(CONNECTOR, d.getLong(), "RMA_DATA names the raw peer's endpoint");
            assertEquals(3, d.getInt(), "RMA_DATA carries the read's operation number");
            flags = d.get();
            got.write(d.array(), d.arrayOffset() + d.position(), d.remaining());
        }
        assertArrayEquals(Arrays.copyOfRange(expected, 8, 8 + length), got.toByteArray(), "the bytes read");

        front.write(probe());
        ByteBuffer ack = back.expect(Wire.MARK_ACK);
        assertEquals(CONNECTOR, ack.getLong());
        assertEquals(probes, ack.getInt(), "MARK_ACK answers the probe");
        assertEquals(0, ack.getInt(), "node 0 itself started no operation");
        honestStillServed();
    }

    // ---------------------------------------------------------------- the raw connection

    /**
     * Makes the raw peer's connection: node 2's handshake on a link to node 0, CONNECT_REQ to
     * {@link #PORT} (accepted by the test on another thread), node 0's own link to node 2 and
     * its CONNECT_ACK there, then a window of {@link #WINDOW_BYTES} at {@link #WINDOW} with
     * {@code prot}, filled with a pattern, which register makes known to the raw peer.
     */
    private void connectRaw(int prot) throws Exception {
        node2 = RawPeer.listen(node2Port); // before anything makes node 0 dial node 2
        // Both links carry the same incarnation: another would tell node 0 that node 2 restarted.
        long incarnation = ThreadLocalRandom.current().nextLong();
        front = new RawPeer(node0Port);
        front.hello(RAW_NODE, 0, false, incarnation);
        front.expect(Wire.HELLO_ACK); // unkeyed: the link is open, node 0 takes SCIF frames on it

        Future<Endpoint> accepting = pool.submit(() -> listener.accept(Scif.ACCEPT_SYNC));
        int ring = 4096;
        front.send(Wire.CONNECT_REQ, ByteBuffer.allocate(Wire.bodySize(Wire.CONNECT_REQ)).putLong(CONNECTOR)
            .putShort((short) 4000).putShort((short) PORT).putInt(ring).array());
        back = RawPeer.accept(node2);
        back.answerHello(RAW_NODE, 0, incarnation);
        ByteBuffer ack = back.expect(Wire.CONNECT_ACK);
        assertEquals(CONNECTOR, ack.getLong(), "CONNECT_ACK names the raw peer's connector");
        acceptor = ack.getLong();
        assertEquals(ring, ack.getInt());
        accepted = accepting.get(10, TimeUnit.SECONDS);

        window = aligned(WINDOW_BYTES);
        expected = payload(WINDOW_BYTES);
        window.put(0, expected);
        Future<Long> registering = pool.submit(() -> accepted.register(window, WINDOW, prot, Scif.MAP_FIXED));
        ByteBuffer add = back.expect(Wire.WINDOW_ADD);
        assertEquals(CONNECTOR, add.getLong());
        int id = add.getInt();
        assertEquals(WINDOW, add.getLong(), "WINDOW_ADD offset");
        assertEquals(WINDOW_BYTES, add.getLong(), "WINDOW_ADD length");
        assertEquals(prot, add.getInt(), "WINDOW_ADD prot");
        // Register returns only once the peer acknowledged the window, on its own link.
        front.write(endpointInt(Wire.WINDOW_ACK, id));
        assertEquals(WINDOW, registering.get(10, TimeUnit.SECONDS));
    }

    /**
     * Sends {@code hostile} and a probe after it, and checks node 0 refused it: it answered
     * nothing (not the probe, which it answers on a link it still serves: the check needs no
     * timeout to fail), closed both links with the raw peer, logged a protocol violation with
     * {@code reason}, left every window as it was, and still serves node 1.
     */
    private void assertRefused(byte[] hostile, String reason) throws Exception {
        // One write: the probe is on its way before node 0 can close the link.
        ByteArrayOutputStream both = new ByteArrayOutputStream();
        both.write(hostile);
        both.write(probe());
        front.write(both.toByteArray());
        byte[] answer = back.nextOrClosed();
        if (answer != null) {
            fail("node 0 kept serving the raw peer after the hostile frame and answered "
                + (answer.length == 0 ? "an empty frame" : Wire.name(answer[0])) + "; its window is "
                + describeChange(expected, bytes(window)));
        }
        assertTrue(front.closedByNode(), "node 0 closed the raw peer's link to it");
        String warning = log.await(reason);
        assertTrue(warning.contains("protocol violation: "), warning);
        assertArrayEquals(expected, bytes(window), "the raw peer's window after the hostile frame");
        assertArrayEquals(honestExpected, bytes(honestWindow), "node 1's window on node 0");
        honestStillServed();
    }

    /** A correct RMA_WRITE of one frame: it lands in the window and RMA_DONE answers it. */
    private void honestWrite(int seq, long offset, byte[] data) throws Exception {
        front.write(rmaWrite(seq, offset, RmaWire.RMA_LAST, data));
        ByteBuffer done = back.expect(Wire.RMA_DONE);
        assertEquals(CONNECTOR, done.getLong(), "RMA_DONE names the raw peer's endpoint");
        assertEquals(seq, done.getInt(), "RMA_DONE carries the operation number");
        System.arraycopy(data, 0, expected, (int) (offset - WINDOW), data.length);
        assertArrayEquals(expected, bytes(window), "the window after an honest RMA_WRITE");
    }

    /** Node 1's connection still exchanges messages and writes into node 0's window. */
    private void honestStillServed() throws Exception {
        Honest.exchange(client, server);
        byte[] data = payload(HONEST_BYTES);
        data[0] = (byte) ++honestRound; // each round's bytes differ from the last
        clientWindow.put(0, data);
        client.writeTo(0, HONEST_BYTES, HONEST_WINDOW, Scif.RMA_SYNC);
        honestExpected = data;
        assertArrayEquals(honestExpected, bytes(honestWindow), "node 1's RMA_SYNC write into node 0's window");
    }

    // ---------------------------------------------------------------- frames and bytes

    private byte[] rmaWrite(int seq, long offset, int flags, byte[] data) {
        return rmaWrite(acceptor, seq, offset, flags, data);
    }

    private static byte[] rmaWrite(long endpoint, int seq, long offset, int flags, byte[] data) {
        return RawPeer.frame(Wire.RMA_WRITE, ByteBuffer.allocate(RmaWire.WRITE_HEADER + data.length)
            .putLong(endpoint).putInt(seq).putLong(offset).put((byte) flags).put(data).array());
    }

    private byte[] rmaRead(int seq, long offset, int length) {
        return RawPeer.frame(Wire.RMA_READ, ByteBuffer.allocate(Wire.bodySize(Wire.RMA_READ)).putLong(acceptor)
            .putInt(seq).putLong(offset).putInt(length).array());
    }

    /** A frame whose body is the accepted endpoint's wire id and one number. */
    private byte[] endpointInt(byte type, int value) {
        return RawPeer.frame(type, ByteBuffer.allocate(12).putLong(acceptor).putInt(value).array());
    }

    /** A MARK_REQ: touches no window, and a node still serving the link answers it with MARK_ACK. */
    private byte[] probe() {
        return endpointInt(Wire.MARK_REQ, ++probes);
    }

    /** @return random bytes, none of them what a test writes by accident (a zeroed window) */
    private static byte[] payload(int n) {
        byte[] b = new byte[n];
        ThreadLocalRandom.current().nextBytes(b);
        for (int i = 0; i < n; i++) {
            if (b[i] == 0) {
                b[i] = 1;
            }
        }
        return b;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] copy = new byte[b.capacity()];
        b.get(0, copy);
        return copy;
    }

    private static String describeChange(byte[] before, byte[] now) {
        int first = Arrays.mismatch(before, now);
        if (first < 0) {
            return "unchanged";
        }
        int last = first;
        for (int i = first; i < now.length; i++) {
            if (before[i] != now[i]) {
                last = i;
            }
        }
        return "CHANGED at bytes " + first + ".." + last;
    }

    /** A page-aligned direct buffer, as register needs. */
    private static ByteBuffer aligned(int bytes) {
        return ByteBuffer.allocateDirect(bytes + PAGE).alignedSlice(PAGE).slice(0, bytes);
    }
}
