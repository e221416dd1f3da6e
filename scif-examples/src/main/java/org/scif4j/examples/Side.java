package org.scif4j.examples;

/**
 * One side of an example (the "card", a client) running in its own thread, so that an example
 * can show both ends of a connection in one {@code main}. {@link #join()} rethrows what the
 * side failed with, so a failure on either side ends the example with an exception.
 */
public final class Side {
    /** The body of a side: SCIF calls throw checked exceptions. */
    @FunctionalInterface
    public interface Body {
        /**
         * Runs the side.
         *
         * @throws Exception if the side fails
         */
        void run() throws Exception;
    }

    private final Thread thread;
    private volatile Exception failure;

    private Side(String name, Body body) {
        thread = new Thread(() -> {
            try {
                body.run();
            } catch (Exception e) {
                failure = e;
            }
        }, name);
    }

    /**
     * Starts {@code body} in a new thread.
     *
     * @param name the thread's name (shown in stack traces)
     * @param body what the side does
     * @return the running side
     */
    public static Side start(String name, Body body) {
        Side side = new Side(name, body);
        side.thread.start();
        return side;
    }

    /**
     * Waits for the side to finish.
     *
     * @throws Exception what the side failed with, if it did
     */
    public void join() throws Exception {
        thread.join();
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Called when the other side failed with {@code ours}: waits for this side and throws its
     * failure (usually the cause of ours, e.g. ours is "peer hung up"), with ours suppressed;
     * or ours when this side did not fail.
     *
     * @param ours what the calling side failed with
     * @return never returns normally
     * @throws Exception this side's failure, else {@code ours}
     */
    public Exception fail(Exception ours) throws Exception {
        thread.join();
        if (failure != null) {
            failure.addSuppressed(ours);
            throw failure;
        }
        throw ours;
    }
}
