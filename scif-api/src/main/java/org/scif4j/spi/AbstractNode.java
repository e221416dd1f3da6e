package org.scif4j.spi;

import java.util.BitSet;
import java.util.Collection;
import java.util.Collections;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.NodeListener;
import org.scif4j.NodeMetrics;
import org.scif4j.NodeSubscription;
import org.scif4j.ScifException;
import org.scif4j.ScifMemory;
import org.scif4j.ScifNode;

/**
 * The part of a node attachment every transport shares: the set of endpoints it opened, the
 * closed flag, the order of {@link #open()}, {@link #allocate} and {@link #close()}, and node
 * events ({@link NodeEventSource}).
 * A transport implements the few steps that differ — make an endpoint, allocate pages, leave
 * the fabric — the way Netty's {@code AbstractChannel} leaves {@code doBind}/{@code doClose}
 * to each transport.
 *
 * <p>Invariant (no endpoint outlives its node): {@code closed} is set before close walks the
 * endpoints, and every path that adds an endpoint ({@link #open()}, an accept through
 * {@link #adopt}) reads {@code closed} after adding it; so either close sees the endpoint, or
 * the adder sees {@code closed} and closes the endpoint itself.
 *
 * @param <E> the transport's endpoint type
 */
public abstract class AbstractNode<E extends Endpoint> implements ScifNode {
    private final Set<E> endpoints = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    /** Made by the first addNodeListener; guarded by this for writes. */
    private volatile NodeEventSource events;
    /** This node's totals; every endpoint adds to it when it closes (see {@link EndpointCounters}). */
    private final NodeCounters counters = new NodeCounters();

    /** The node event period of a transport that does not say (200 ms, shm's watchdog period). */
    public static final long DEFAULT_NODE_EVENT_PERIOD_MILLIS = 200;

    /** For subclasses. */
    protected AbstractNode() {
    }

    /**
     * {@code scif_open} in the transport: a new endpoint in state UNBOUND, not yet adopted.
     *
     * @return the endpoint
     * @throws ScifException ENOMEM when no endpoint can be created
     */
    protected abstract E openEndpoint() throws ScifException;

    /**
     * Allocates registrable memory of exactly {@code bytes} (already validated and rounded up
     * to whole pages).
     *
     * @param bytes the size, a positive multiple of the page size, at most 2 GiB
     * @param call  the user's call, for messages
     * @return the memory
     * @throws ScifException ENOMEM when none is left
     */
    protected abstract ScifMemory allocatePages(long bytes, Call call) throws ScifException;

    /**
     * Leaves the fabric once every endpoint is closed: the last step of {@link #close()}, run
     * once.
     */
    protected abstract void detach();

    /**
     * Closes one endpoint as part of the node's close; by default {@link Endpoint#close()}.
     *
     * @param endpoint an endpoint this node opened or adopted
     */
    protected void closeEndpoint(E endpoint) {
        endpoint.close();
    }

    /**
     * How often the node event thread reads the online nodes: the transport's liveness period.
     *
     * @return milliseconds; {@value #DEFAULT_NODE_EVENT_PERIOD_MILLIS} by default
     */
    protected long nodeEventPeriodMillis() {
        return DEFAULT_NODE_EVENT_PERIOD_MILLIS;
    }

    /**
     * Reads the online nodes for node events (see {@link NodeEventSource.Probe}); by default
     * {@link #nodeIds()}, which allocates: a transport overrides it to read them without
     * allocating, since it runs every {@link #nodeEventPeriodMillis()} while anyone listens.
     *
     * @param due  true once per {@link #nodeEventPeriodMillis()}, false when woken earlier
     * @param into empty: set the online node ids in it (self may be set or not); the event
     *             thread's own set, not to be kept
     * @return true when {@code into} holds them, false when the transport only
     *         {@link #reportNode reports}
     * @throws ScifException when they cannot be read now
     */
    protected boolean onlineNodes(boolean due, BitSet into) throws ScifException {
        for (int n : nodeIds().online()) {
            into.set(n);
        }
        return true;
    }

    /**
     * {@inheritDoc} Delivered on a daemon thread of this attachment, which runs while a
     * subscription is open and reads the online nodes every {@link #nodeEventPeriodMillis()}.
     */
    @Override
    public final NodeSubscription addNodeListener(NodeListener listener) throws ScifException {
        NodeEventSource source;
        synchronized (this) {
            checkOpen("addNodeListener(" + listener + ")");
            if (events == null) {
                events = new NodeEventSource("scif4j-node-events-" + getClass().getSimpleName() + "-node" + selfId(),
                    selfId(), this::onlineNodes, nodeEventPeriodMillis());
            }
            source = events;
        }
        return source.subscribe(listener);
    }

    /**
     * A change of a node's state that the transport saw happen (a link opened, a node lost):
     * listeners hear of it at once, not a period later. Cheap; callable from an I/O thread.
     *
     * @param node   the node id
     * @param online whether it is online now
     */
    protected final void reportNode(int node, boolean online) {
        NodeEventSource source = events;
        if (source != null) {
            source.report(node, online);
        }
    }

    @Override
    public final Endpoint open() throws ScifException {
        checkOpen("open()");
        E e = openEndpoint();
        endpoints.add(e);
        if (closed) { // closed concurrently: do not leak the endpoint (see the class invariant)
            e.close();
            checkOpen("open()");
        }
        return e;
    }

    @Override
    public final ScifMemory allocate(long bytes) throws ScifException {
        Call call = Call.of("allocate", "bytes", bytes);
        checkOpen(call.text());
        long rounded = Arguments.allocate(bytes, call);
        return allocatePages(rounded, call);
    }

    /** Closes every endpoint this attachment opened or adopted, then detaches; idempotent. */
    @Override
    public final void close() {
        NodeEventSource source;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            source = events;
        }
        if (source != null) { // first: no listener runs, and nothing is probed, while the node closes
            source.close();
        }
        for (E e : endpoints) {
            closeEndpoint(e);
        }
        detach();
    }

    /**
     * Adds an endpoint made by the transport itself (an accepted one). The caller then checks
     * {@link #isClosed()} and closes the endpoint if the node closed meanwhile.
     *
     * @param endpoint the new endpoint
     */
    public void adopt(E endpoint) {
        endpoints.add(endpoint);
    }

    /**
     * Removes an endpoint that closed.
     *
     * @param endpoint the endpoint, closed
     */
    public final void forget(E endpoint) {
        endpoints.remove(endpoint);
    }

    @Override
    public final NodeMetrics metrics() {
        return counters.snapshot();
    }

    /** @return the counters a new endpoint of this node takes its own from */
    public final NodeCounters counters() {
        return counters;
    }

    /** @return whether close has begun; an endpoint adopted after it must close itself */
    public final boolean isClosed() {
        return closed;
    }

    /** @return a live, unmodifiable view of the open endpoints, for walks that tolerate change */
    protected final Collection<E> endpoints() {
        return Collections.unmodifiableSet(endpoints);
    }

    /**
     * Fails a call made after close.
     *
     * @param call the user's call, for the message
     * @throws ScifException EBADF once the node is closed
     */
    protected final void checkOpen(String call) throws ScifException {
        if (closed) {
            throw ScifException.of(call, Errno.EBADF, "the node attachment is closed");
        }
    }
}
