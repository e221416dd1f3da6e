package org.scif4j.tcp.internal;

/**
 * Judges, at each tick of a link's timer, whether the peer went silent: nothing read from the
 * link over {@code liveness} of the time this side could have read it. Time this side could
 * not read does not count against the peer:
 * <ul>
 * <li>a tick that runs more than a period after the one before (two periods apart or more)
 *     shows that this side itself stood still (its event loop starved of CPU, its process
 *     paused for a GC, stopped, or its VM descheduled): whatever the peer sent meanwhile still
 *     lies unread in the socket, and the tick runs before the event loop's next read takes it.
 *     The time past the tick's period is not counted;</li>
 * <li>a tick that finds reading paused on this side (Netty's auto-read off) counts none of the
 *     time since the tick before.</li>
 * </ul>
 * A peer that is really gone is still lost after {@code liveness} of time this side ran and
 * read: at the first on-time tick with more than that since its last byte, whatever this side's
 * own stalls in between. Without the first rule a pause of this side of {@code liveness} minus a
 * period (1.5 s with the defaults) was enough for a live peer to be declared lost (see
 * docs/decisions.md, "tcp liveness counts only the time a node could hear").
 *
 * <p>Confined to the link's event loop (its timer); {@code lastRead} comes from whoever read.
 */
final class LivenessWatch {
    private final long livenessNanos;
    private final long periodNanos;
    /** When the last tick ran, or the timer started. */
    private long lastTick;
    /** The last read's time as of the last tick: a newer one means the peer was heard again. */
    private long seenRead;
    /** Of the time since {@code seenRead}, how much this side could not read: not counted as silence. */
    private long unobserved;
    /** Whether the last tick found that this side had stood still or not read since the one before. */
    private boolean blind;

    /**
     * @param livenessNanos the silence after which the peer is lost
     * @param periodNanos   the timer's period
     */
    LivenessWatch(long livenessNanos, long periodNanos) {
        this.livenessNanos = livenessNanos;
        this.periodNanos = periodNanos;
    }

    /** The link's timer starts at {@code now}: its first tick is due a period later. */
    void start(long now) {
        lastTick = now;
    }

    /**
     * One tick of the link's timer (after {@link #start}).
     *
     * @param now      the clock now
     * @param lastRead when bytes last came in, on the same clock
     * @param reading  whether this side reads the link (its auto-read is on)
     * @return whether the peer is lost: silent over {@code liveness} of the time this side could
     *         have heard it
     */
    boolean tick(long now, long lastRead, boolean reading) {
        long gap = now - lastTick;
        lastTick = now;
        long missed = !reading ? gap : gap >= 2 * periodNanos ? gap - periodNanos : 0;
        blind = !reading || missed > 0;
        if (lastRead != seenRead) {
            seenRead = lastRead;
            unobserved = 0;
        }
        long silence = now - lastRead;
        // Only time after the last read is silence; a read inside the gap ends what went before.
        unobserved = Math.max(0, Math.min(silence, unobserved + missed));
        return silence - unobserved > livenessNanos;
    }

    /**
     * @return whether the last tick found this side unable to read since the tick before (it
     *         stood still, or reading was paused): the peer cannot be blamed for that time
     */
    boolean blind() {
        return blind;
    }
}
