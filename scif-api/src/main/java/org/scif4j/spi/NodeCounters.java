package org.scif4j.spi;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.scif4j.EndpointMetrics;
import org.scif4j.NodeMetrics;

/**
 * The counters behind one node attachment's {@link NodeMetrics}: {@link AbstractNode} keeps one
 * and answers {@code metrics()} from it; a transport gives each endpoint it opens or accepts its
 * own {@link EndpointCounters} from {@link #opened()} (an accept is counted by the listener's
 * {@link EndpointCounters#accepted()}). The node's totals are the closed endpoints' counts,
 * folded in when each closes, plus the open ones' counts read at the snapshot.
 *
 * <pre>{@code
 * MyEndpoint openEndpoint() { return new MyEndpoint(this, counters().opened()); }
 * }</pre>
 *
 * <p>Counters that several endpoints' threads bump at once are {@link LongAdder}s (one CAS
 * uncontended, no lost counts); opening and closing take this object's lock, as does a
 * snapshot, so that an endpoint closing meanwhile is counted exactly once (never both open
 * and folded, never neither).
 */
public final class NodeCounters {
    final LongAdder connects = new LongAdder();
    final LongAdder accepts = new LongAdder();
    final LongAdder connectsRefused = new LongAdder();
    final LongAdder peersLost = new LongAdder();
    private final Set<EndpointCounters> open = ConcurrentHashMap.newKeySet();
    private long opened;
    private EndpointMetrics closedTotal = EndpointMetrics.ZERO;

    /** Counters of a node that has opened nothing yet. */
    public NodeCounters() {
    }

    /** @return the counters of a new endpoint (from open), counted as opened */
    public synchronized EndpointCounters opened() {
        EndpointCounters c = new EndpointCounters(this);
        open.add(c);
        opened++;
        return c;
    }

    synchronized void fold(EndpointCounters c) {
        if (open.remove(c)) {
            closedTotal = closedTotal.plus(c.snapshot());
        }
    }

    /** @return the counts now */
    public synchronized NodeMetrics snapshot() {
        EndpointMetrics totals = closedTotal;
        for (EndpointCounters c : open) {
            totals = totals.plus(c.snapshot());
        }
        return new NodeMetrics(opened, open.size(), connects.sum(), accepts.sum(), connectsRefused.sum(),
            peersLost.sum(), totals);
    }

    @Override
    public String toString() {
        return snapshot().toString();
    }
}
