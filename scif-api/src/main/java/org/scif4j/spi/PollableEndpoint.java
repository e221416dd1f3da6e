package org.scif4j.spi;

/** Implemented by a transport's endpoints so that {@link org.scif4j.Scif#poll} can find their poller. */
public interface PollableEndpoint {
    /** @return the poller of this endpoint's node; endpoints sharing one can be polled together */
    Poller poller();
}
