package org.scif4j.spi;

/**
 * The page, SCIF's unit of registration, mapping and window offsets: one constant and the
 * arithmetic on it, so that every transport and the argument checks agree.
 */
public final class Pages {
    /** The page size SCIF assumes on host and card (scif_register(3): multiples of the page size). */
    public static final long PAGE = 4096;

    private Pages() {
    }

    /** @return whether {@code value} is a multiple of {@link #PAGE} */
    public static boolean isAligned(long value) {
        return (value & (PAGE - 1)) == 0;
    }

    /**
     * @param bytes a non-negative length
     * @return {@code bytes} rounded up to whole pages (wraps past 2^63 - 4096: callers check)
     */
    public static long roundUp(long bytes) {
        return (bytes + PAGE - 1) & ~(PAGE - 1);
    }

    /** Whether [offset, offset+length) is page-aligned inside [0, 2^63) (the end may be 2^63). */
    public static boolean isPageRange(long offset, long length) {
        return offset >= 0 && isAligned(offset) && offset - 1 <= Long.MAX_VALUE - length;
    }
}
