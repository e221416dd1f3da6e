package org.scif4j.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A send's DATA frames written by the sender ({@link LinkWriter#writeDataDirect}): up to 16 frames
 * (1 MiB) go to the socket in one gathering write, straight from the caller's buffer, and what
 * the socket does not take follows through the event loop, so that the bytes on the wire are
 * exactly the frames {@link ConnectionWire#dataFrames} would have made, whichever byte the socket
 * stops at, the send's credit in its first frame alone. The socket here is a stand-in that takes a given number of bytes and records each
 * write; the event loop is an {@link EmbeddedChannel}'s.
 */
class DataGatherTest {
    private static final long DST = 0x1122334455667788L;
    /** Credit the first frame of each send gives back (ConnectionWire.DATA_CREDIT). */
    private static final int CREDIT = 0x0a0b0c0d;
    private static final int FRAME = Wire.FRAME_HEADER + ConnectionWire.DATA_HEADER + Wire.MAX_DATA;

    @Test
    void aSendOfSixteenFramesIsOneWrite() {
        Wiring w = new Wiring(Long.MAX_VALUE);
        ByteBuffer src = random(1 << 20, 1);
        byte[] expected = frames(src, 1 << 20);
        assertEquals(1 << 20, w.writer.writeDataDirect(src, DST, CREDIT, 1 << 20));
        assertEquals(List.of(32), w.socket.partsPerWrite, "one gathering write: 16 headers, 16 payloads");
        assertEquals(1 << 20, src.position());
        assertArrayEquals(expected, w.wire());
    }

    @Test
    void moreThanSixteenFramesTakeAWritePerSixteen() {
        Wiring w = new Wiring(Long.MAX_VALUE);
        int n = (33 << 16) + 100;
        ByteBuffer src = random(n, 2);
        byte[] expected = frames(src, n);
        assertEquals(n, w.writer.writeDataDirect(src, DST, CREDIT, n));
        assertEquals(List.of(32, 32, 4), w.socket.partsPerWrite);
        assertArrayEquals(expected, w.wire());
    }

    /**
     * Sends from one buffer, another, then the first again: each send's frames carry its own
     * buffer's bytes (frames after the first go out through views of the buffer, made again
     * when the buffer changes).
     */
    @Test
    void eachSendCarriesItsOwnBuffersBytes() {
        Wiring w = new Wiring(Long.MAX_VALUE);
        ByteBuffer a = random(1 << 20, 3);
        ByteBuffer b = random(1 << 20, 4);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (ByteBuffer src : new ByteBuffer[] {a, b, a, a}) {
            src.clear().position(7).limit(7 + 300_000);
            expected.writeBytes(frames(src, 300_000));
            assertEquals(300_000, w.writer.writeDataDirect(src, DST, CREDIT, 300_000));
            assertEquals(7 + 300_000, src.position());
            assertEquals(7 + 300_000, src.limit());
        }
        assertArrayEquals(expected.toByteArray(), w.wire());
    }

    /**
     * The socket fills after {@code room} bytes: in a header, at a frame's end, in a payload, in
     * the first frame or a later one. The frame it cut is finished by the event loop first, then
     * the frames the caller composed from the rest, as {@link Link#writeData} does.
     */
    @ParameterizedTest
    @ValueSource(longs = {0, 5, 13, 1000, FRAME, FRAME + 7, FRAME + 13, 5L * FRAME + 3000, 15L * FRAME + 20,
        (1 << 20) - 12345 + 16L * 13 - 1})
    void whatTheSocketDoesNotTakeFollowsInOrder(long room) {
        Wiring w = new Wiring(room);
        int n = (1 << 20) - 12345;
        ByteBuffer src = random(100 + n, 5);
        src.position(100);
        byte[] expected = frames(src, n);
        int taken = w.writer.writeDataDirect(src, DST, CREDIT, n);
        assertEquals(100 + taken, src.position());
        if (taken < n) {
            // the credit went with the first frame unless the socket took none of it
            w.writer.send(ConnectionWire.dataFrames(w.channel.alloc(), src, DST, taken == 0 ? CREDIT : 0, n - taken));
        }
        assertEquals(100 + n, src.position());
        assertArrayEquals(expected, w.wire());
    }

    /** @return the frames {@link ConnectionWire#dataFrames} makes of src's next {@code n} bytes (src unmoved) */
    private static byte[] frames(ByteBuffer src, int n) {
        ByteBuf f = ConnectionWire.dataFrames(UnpooledByteBufAllocator.DEFAULT, src.duplicate(), DST, CREDIT, n);
        try {
            return ByteBufUtil.getBytes(f);
        } finally {
            f.release();
        }
    }

    private static ByteBuffer random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return ByteBuffer.allocateDirect(n).put(b).clear();
    }

    /** A writer whose direct writes go to a {@link Socket}, and whose event loop is an {@link EmbeddedChannel}'s. */
    private static final class Wiring {
        final EmbeddedChannel channel = new EmbeddedChannel();
        final Socket socket;
        final LinkWriter writer = new LinkWriter(channel);

        Wiring(long room) {
            socket = new Socket(room);
            writer.startDirect(socket);
        }

        /** @return what went to the socket, then what the event loop wrote after it */
        byte[] wire() {
            channel.runPendingTasks();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(socket.taken.toByteArray());
            for (ByteBuf b; (b = channel.readOutbound()) != null; ) {
                out.writeBytes(ByteBufUtil.getBytes(b));
                b.release();
            }
            channel.finishAndReleaseAll();
            return out.toByteArray();
        }
    }

    /** Takes {@code room} bytes in all, then nothing (a full socket); records each write. */
    private static final class Socket extends DirectSocket {
        final ByteArrayOutputStream taken = new ByteArrayOutputStream();
        final List<Integer> partsPerWrite = new ArrayList<>();
        private long room;

        Socket(long room) {
            this.room = room;
        }

        @Override
        long write(ByteBuffer b) {
            return write(new ByteBuffer[] {b}, 0, 1);
        }

        @Override
        long write(ByteBuffer[] parts, int offset, int length) {
            partsPerWrite.add(length);
            long n = 0;
            for (int i = offset; i < offset + length && room > 0; i++) {
                ByteBuffer p = parts[i];
                byte[] a = new byte[(int) Math.min(p.remaining(), room)];
                p.get(a);
                taken.writeBytes(a);
                room -= a.length;
                n += a.length;
            }
            return n;
        }

        @Override
        boolean writesHeap() {
            return true;
        }
    }
}
