package org.scif4j;

/**
 * A snapshot of one endpoint's counters, from {@link Endpoint#metrics()}: what it moved by
 * messages and by RMA, and how often it fenced. Every count starts at zero when the endpoint
 * is opened and only grows; an accepted endpoint has its own counters. Counts are of calls
 * that succeeded: a call that threw counts nothing, a non-blocking send or recv counts the
 * bytes it moved (zero is a call that moved nothing), and a timed-out blocking call counts
 * what it moved before the timeout.
 *
 * <pre>{@code
 * EndpointMetrics m = ep.metrics();
 * System.out.printf("sent %d B in %d sends, wrote %d B in %d RMAs%n",
 *     m.bytesSent(), m.sends(), m.rmaWriteBytes(), m.rmaWrites());
 * }</pre>
 *
 * The snapshot is taken without stopping the endpoint: each field is a value the counter
 * really had, but two fields may be read a few operations apart.
 *
 * @param bytesSent     bytes {@link Endpoint#send} moved to the peer
 * @param bytesReceived bytes {@link Endpoint#recv} moved from the peer
 * @param sends         send calls that moved at least one byte
 * @param receives      recv calls that moved at least one byte
 * @param rmaWrites     writeTo and vwriteTo calls (issued, not necessarily complete yet)
 * @param rmaWriteBytes bytes those calls asked to write into the peer's windows
 * @param rmaReads      readFrom and vreadFrom calls
 * @param rmaReadBytes  bytes those calls asked to read from the peer's windows
 * @param fenceMarks    fenceMark calls
 * @param fenceWaits    fenceWait calls that returned (the marked RMAs had completed)
 * @param fenceSignals  fenceSignal calls
 */
public record EndpointMetrics(long bytesSent, long bytesReceived, long sends, long receives,
                              long rmaWrites, long rmaWriteBytes, long rmaReads, long rmaReadBytes,
                              long fenceMarks, long fenceWaits, long fenceSignals) {
    /** All zero: an endpoint that has done nothing yet. */
    public static final EndpointMetrics ZERO = new EndpointMetrics(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /**
     * Field by field sum, for totals over several endpoints.
     *
     * @param other the counts to add
     * @return a new snapshot holding both
     */
    public EndpointMetrics plus(EndpointMetrics other) {
        return new EndpointMetrics(bytesSent + other.bytesSent, bytesReceived + other.bytesReceived,
            sends + other.sends, receives + other.receives, rmaWrites + other.rmaWrites,
            rmaWriteBytes + other.rmaWriteBytes, rmaReads + other.rmaReads, rmaReadBytes + other.rmaReadBytes,
            fenceMarks + other.fenceMarks, fenceWaits + other.fenceWaits, fenceSignals + other.fenceSignals);
    }
}
