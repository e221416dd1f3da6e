package org.scif4j.shm.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Memory#copy} moves the same bytes between arrays and native memory in every direction,
 * at any alignment and across its 1 MiB pieces.
 */
class MemoryTest {
    @Test
    void copyMovesTheSameBytesBetweenArraysAndNativeMemoryInEveryDirection() {
        int n = (1 << 20) * 2 + 12345; // three pieces
        byte[] source = new byte[n];
        new Random(42).nextBytes(source);
        ByteBuffer first = ByteBuffer.allocateDirect(n + 16);
        ByteBuffer second = ByteBuffer.allocateDirect(n + 16);
        long a = Memory.address(first) + 3; // unaligned on purpose
        long b = Memory.address(second) + 5;

        Memory.copy(source, 0, null, a, n); // array to native
        Memory.copy(null, a, null, b, n); // native to native
        byte[] back = new byte[n + 7];
        Memory.copy(null, b, back, 7, n); // native to array, at an index
        byte[] again = new byte[n];
        Memory.copy(back, 7, again, 0, n); // array to array
        assertArrayEquals(source, again);
    }
}
