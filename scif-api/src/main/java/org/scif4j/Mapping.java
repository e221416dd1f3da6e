package org.scif4j;

import java.nio.ByteBuffer;

/**
 * A peer's registered window mapped into this process by {@link Endpoint#mmap}
 * ({@code scif_mmap}). Loads and stores through {@link #buffer()} reach the peer's memory.
 */
public interface Mapping extends AutoCloseable {
    /**
     * @return a direct buffer over the mapped range, in native byte order (the order fenceSignal
     *         stores its words in); read-only without {@code PROT_WRITE}
     */
    ByteBuffer buffer();

    /** @return the offset in the peer's registered address space where the mapping starts */
    long remoteOffset();

    /** @return the length of the mapping in bytes */
    long length();

    /** Unmaps ({@code scif_munmap}); idempotent. */
    @Override
    void close();
}
