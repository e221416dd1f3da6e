package org.scif4j.natives;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One thread's native scratch memory: the bounce buffer for heap buffers, the small structs
 * libscif fills in (scif_portID, a new epd, a fence mark, the node ids, scif_pollepd), the
 * argument blocks of the {@link LibScif4j} helpers, and the addresses of the direct buffers it
 * used last. Allocated once per thread, so that no data-path call allocates; its fields are
 * written through a {@link ByteBuffer} view (a plain store, where JNA's {@code Memory.setInt}
 * is a JNI call).
 */
final class Scratch {
    /** The bounce buffer's size: a heap buffer moves through it in chunks of this many bytes. */
    static final int BOUNCE = 64 * 1024;
    private static final int SMALL = 1024;
    /** scif4j_io's block in the small structs (past the node ids at 16-528): 32 bytes (libscif's struct scif4j_io). */
    private static final int IO = 768;
    /** scif4j_rma's block: 40 bytes (struct scif4j_rma). */
    private static final int RMA = 832;
    /** scif4j_fence_wait's block: 24 bytes (struct scif4j_fence). */
    private static final int FENCE = 880;
    private static final ThreadLocal<Scratch> CURRENT = ThreadLocal.withInitial(Scratch::new);

    private final Memory memory = new Memory(BOUNCE + SMALL);
    /** The bounce buffer's address. */
    final long bounce = Pointer.nativeValue(memory);
    /** The small structs' address (BOUNCE bytes past the bounce buffer: never overlapping). */
    final long small = bounce + BOUNCE;
    /** The bounce buffer as a ByteBuffer, for the copies. */
    final ByteBuffer bounceView = memory.getByteBuffer(0, BOUNCE);
    /** The small structs as a ByteBuffer in the machine's byte order. */
    private final ByteBuffer smallView = memory.getByteBuffer(BOUNCE, SMALL).order(ByteOrder.nativeOrder());
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
    /** The {@link LibScif4j#generation()} this thread bound its block at, or -1. */
    private int boundAt = -1;
    /** {@code Thread.isVirtual} where it exists (Java 19+), else null. */
    private static final MethodHandle IS_VIRTUAL = isVirtualHandle();

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

    /**
     * {@link LibScif4j#scif4j_io}: one send or recv in one crossing.
     *
     * @param ep the endpoint's handle ({@link LibScif4j#scif4j_ep})
     * @param op {@link LibScif4j#SEND} or 0, with {@link LibScif4j#BLOCK} to wait and {@link LibScif4j#SERIAL}
     * @return the bytes moved, or -errno
     */
    int io(long ep, int op, long addr, int len, int timeoutMs) {
        smallView.putLong(IO, ep);
        smallView.putLong(IO + 8, addr);
        smallView.putInt(IO + 16, len);
        smallView.putInt(IO + 20, op);
        smallView.putInt(IO + 24, timeoutMs);
        smallView.putInt(IO + 28, 0);
        if (onVirtualThread()) {
            return LibScif4j.scif4j_io(small + IO); // its carrier, and so the library's thread-local, may change
        }
        int g = LibScif4j.generation();
        if (boundAt != g) {
            LibScif4j.scif4j_io_bind(small + IO);
            boundAt = g;
        }
        return LibScif4j.scif4j_io_bound();
    }

    /** @return whether this thread is a virtual thread (never before Java 19) */
    private static boolean onVirtualThread() {
        if (IS_VIRTUAL == null) {
            return false;
        }
        try {
            return (boolean) IS_VIRTUAL.invokeExact(Thread.currentThread());
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static MethodHandle isVirtualHandle() {
        try {
            return MethodHandles.publicLookup().findVirtual(Thread.class, "isVirtual", MethodType.methodType(boolean.class));
        } catch (NoSuchMethodException | IllegalAccessException e) {
            return null;
        }
    }

    /**
     * {@link LibScif4j#scif4j_rma}: one RMA call in one crossing.
     *
     * @param ep the endpoint's handle ({@link LibScif4j#scif4j_ep})
     * @param local the local offset, or the address for the v* calls
     * @return 0, or -errno
     */
    int rma(long ep, int op, long local, long len, long remote, int flags) {
        smallView.putLong(RMA, ep);
        smallView.putInt(RMA + 8, op);
        smallView.putInt(RMA + 12, flags);
        smallView.putLong(RMA + 16, local);
        smallView.putLong(RMA + 24, len);
        smallView.putLong(RMA + 32, remote);
        return LibScif4j.scif4j_rma(small + RMA);
    }

    /**
     * Fills in {@link LibScif4j#scif4j_fence_wait}'s block for a new fenceWait: the watchdog
     * starts at its first {@link #fenceWait}.
     */
    void fence(long ep, int mark) {
        smallView.putLong(FENCE, ep);
        smallView.putInt(FENCE + 8, mark);
        smallView.putLong(FENCE + 16, 0);
    }

    /**
     * {@link LibScif4j#scif4j_fence_wait} of the block {@link #fence} filled in, waiting at
     * most {@code sliceMs}.
     */
    int fenceWait(int sliceMs) {
        smallView.putInt(FENCE + 12, sliceMs);
        return LibScif4j.scif4j_fence_wait(small + FENCE);
    }

    int getInt(long offset) {
        return smallView.getInt((int) offset);
    }

    void putInt(long offset, int value) {
        smallView.putInt((int) offset, value);
    }

    short getShort(long offset) {
        return smallView.getShort((int) offset);
    }

    void putShort(long offset, short value) {
        smallView.putShort((int) offset, value);
    }
}
