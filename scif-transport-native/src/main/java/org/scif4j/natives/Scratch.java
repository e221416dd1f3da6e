package org.scif4j.natives;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;

/**
 * One thread's native scratch memory: the bounce buffer for heap buffers, the small structs
 * libscif fills in (scif_portID, a new epd, a fence mark, the node ids, scif_pollepd), and the
 * addresses of the direct buffers it used last. Allocated once per thread, so that no data-path
 * call allocates.
 */
final class Scratch {
    /** The bounce buffer's size: a heap buffer moves through it in chunks of this many bytes. */
    static final int BOUNCE = 64 * 1024;
    private static final int SMALL = 1024;
    private static final ThreadLocal<Scratch> CURRENT = ThreadLocal.withInitial(Scratch::new);

    private final Memory memory = new Memory(BOUNCE + SMALL);
    /** The bounce buffer's address. */
    final long bounce = Pointer.nativeValue(memory);
    /** The small structs' address (BOUNCE bytes past the bounce buffer: never overlapping). */
    final long small = bounce + BOUNCE;
    /** The bounce buffer as a ByteBuffer, for the copies. */
    final ByteBuffer bounceView = memory.getByteBuffer(0, BOUNCE);
    /** How many direct buffers' addresses are remembered: a round trip alternates two (what it
     *  sends, what it receives), a protocol adds a command buffer or two. */
    private static final int REMEMBERED = 4;
    /** The direct buffers whose addresses were asked for last, and their base addresses: a data
     *  path that reuses its buffers (as they all do) finds their addresses without a JNI call or
     *  an allocation ({@link Native#getDirectBufferPointer} makes a Pointer). */
    private final ByteBuffer[] buffers = new ByteBuffer[REMEMBERED];
    private final long[] bases = new long[REMEMBERED];
    /** The slot the next miss replaces, round robin. */
    private int next;

    private Scratch() {
    }

    static Scratch get() {
        return CURRENT.get();
    }

    /** @return the address of {@code direct}'s byte at its position */
    long address(ByteBuffer direct) {
        for (int i = 0; i < REMEMBERED; i++) {
            if (buffers[i] == direct) {
                return bases[i] + direct.position();
            }
        }
        int i = next;
        next = (next + 1) % REMEMBERED;
        bases[i] = Pointer.nativeValue(Native.getDirectBufferPointer(direct));
        buffers[i] = direct;
        return bases[i] + direct.position();
    }

    int getInt(long offset) {
        return memory.getInt(small - bounce + offset);
    }

    void putInt(long offset, int value) {
        memory.setInt(small - bounce + offset, value);
    }

    short getShort(long offset) {
        return memory.getShort(small - bounce + offset);
    }

    void putShort(long offset, short value) {
        memory.setShort(small - bounce + offset, value);
    }
}
