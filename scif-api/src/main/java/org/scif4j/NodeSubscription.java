package org.scif4j;

/**
 * A {@link NodeListener}'s registration with a node attachment; {@link #close()} ends it. Made
 * by {@link ScifNode#addNodeListener}. Once every subscription of an attachment is closed its
 * event thread ends, so idle watching costs no thread.
 *
 * <pre>{@code
 * try (NodeSubscription s = node.addNodeListener(e -> System.out.println(e))) {
 *     awaitShutdown();
 * } // no event is delivered after this
 * }</pre>
 *
 * Safe for use by several threads.
 */
public interface NodeSubscription extends AutoCloseable {
    /** @return whether the subscription still delivers events (not closed, node not closed) */
    boolean isOpen();

    /**
     * Stops delivery: once this returns the listener is not called again (unless close is
     * called by the listener itself, which then finishes its current event). Idempotent; closing
     * the node closes its subscriptions too.
     */
    @Override
    void close();
}
