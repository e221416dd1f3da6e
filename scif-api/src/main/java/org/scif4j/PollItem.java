package org.scif4j;

/**
 * One entry of {@link Scif#poll}, {@code struct scif_pollepd}: an endpoint, the events asked
 * for, and the events found.
 */
public final class PollItem {
    private final Endpoint endpoint;
    private final int events;
    private volatile int revents;

    /**
     * @param ep     the endpoint to watch; a null one makes {@link Scif#poll} fail with EFAULT,
     *               as a null item does (the constructor cannot throw a ScifException)
     * @param events {@link Scif#POLLIN} and/or {@link Scif#POLLOUT}; POLLERR and POLLHUP are
     *               always reported
     */
    public PollItem(Endpoint ep, int events) {
        this.endpoint = ep;
        this.events = events;
    }

    /** @return the endpoint watched */
    public Endpoint endpoint() {
        return endpoint;
    }

    /** @return the events asked for */
    public int events() {
        return events;
    }

    /** @return the events found by the last {@link Scif#poll} that included this item */
    public int revents() {
        return revents;
    }

    void revents(int revents) {
        this.revents = revents;
    }

    @Override
    public String toString() {
        return "PollItem[" + endpoint + ", events=0x" + Integer.toHexString(events)
            + ", revents=0x" + Integer.toHexString(revents) + "]";
    }
}
