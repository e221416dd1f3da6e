package org.scif4j;

import java.nio.ByteBuffer;

/**
 * Page-aligned memory from {@link ScifNode#allocate(long)}, registrable with
 * {@link Endpoint#register}; the zero-copy path of a transport. Closing it releases the
 * memory once no window uses it any more.
 */
public interface ScifMemory extends AutoCloseable {
    /**
     * @return a direct buffer over the whole allocation (position 0, limit {@link #size()}), in
     *         native byte order on every transport, the order fenceSignal stores its words in
     */
    ByteBuffer buffer();

    /** @return the size in bytes, a multiple of the page size */
    long size();

    /** Releases the memory; idempotent. */
    @Override
    void close();
}
