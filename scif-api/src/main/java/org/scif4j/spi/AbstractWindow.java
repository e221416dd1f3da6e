package org.scif4j.spi;

/**
 * What every transport's window record holds from registration on: its place in a registered
 * address space (offset and length) and the access it was registered with. Transports extend
 * it with their memory and with whether it was unregistered; the three fields never change.
 */
public abstract class AbstractWindow implements WindowSet.Window {
    /** The window's first offset in the registered address space. */
    public final long offset;
    /** Its length in bytes, a multiple of the page size. */
    public final long length;
    /** Its protection, {@code PROT_READ} and/or {@code PROT_WRITE}. */
    public final int prot;

    /**
     * @param offset the window's first offset
     * @param length its length in bytes
     * @param prot its protection
     */
    protected AbstractWindow(long offset, long length, int prot) {
        this.offset = offset;
        this.length = length;
        this.prot = prot;
    }

    @Override
    public final long offset() {
        return offset;
    }

    @Override
    public final long length() {
        return length;
    }
}
