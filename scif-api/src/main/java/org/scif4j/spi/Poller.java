package org.scif4j.spi;

import org.scif4j.Endpoint;
import org.scif4j.ScifException;

/**
 * Polls endpoints of one node for readiness; the transport side of
 * {@link org.scif4j.Scif#poll}.
 */
public interface Poller {
    /**
     * Fills {@code revents[i]} for {@code endpoints[i]} as {@code scif_poll} would, waiting up
     * to {@code timeoutMillis} (negative: forever) for at least one non-zero entry. The three
     * arrays have exactly one entry per endpoint and are the calling thread's, reused by its
     * next poll: keep no reference to them after returning.
     *
     * @param endpoints     endpoints, all of this poller's node
     * @param events        events asked for, per endpoint
     * @param revents       events found, per endpoint (output)
     * @param timeoutMillis milliseconds; 0 checks once; negative waits without limit
     * @return how many entries have non-zero revents
     * @throws ScifException EINTR when the thread is interrupted while waiting
     */
    int poll(Endpoint[] endpoints, int[] events, int[] revents, long timeoutMillis)
        throws ScifException;
}
