package org.scif4j.tests;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.scif4j.Endpoint;
import org.scif4j.EndpointMetrics;
import org.scif4j.Errno;
import org.scif4j.NodeMetrics;
import org.scif4j.Scif;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Endpoint.metrics() and ScifNode.metrics(): after known traffic the counts are exact (bytes and
 * calls of send and recv, RMA operations and bytes by direction, fence calls), a call that fails
 * counts nothing, the node's totals are its endpoints' sums and keep closed endpoints, and
 * connects, accepts, refused connects and lost peers are counted once each.
 */
public abstract class MetricsTest extends RmaTestBase {
    private static final int RW = Scif.PROT_READ | Scif.PROT_WRITE;
    private static final long L = 0x10_0000L;
    private static final long R = 0x20_0000L;

    @Test
    void sendAndRecvCountBytesAndCalls() throws Exception {
        sendFully(local, randomBytes(1, 100));
        sendFully(local, randomBytes(2, 200));
        sendFully(local, randomBytes(3, 300));
        ByteBuffer all = ByteBuffer.allocate(600);
        assertEquals(600, remote.recv(all, Scif.RECV_BLOCK));
        EndpointMetrics sent = local.metrics();
        assertEquals(600, sent.bytesSent(), "bytes sent");
        assertEquals(3, sent.sends(), "three send calls");
        assertEquals(0, sent.bytesReceived(), "nothing came back");
        EndpointMetrics got = remote.metrics();
        assertEquals(600, got.bytesReceived(), "bytes received");
        assertEquals(1, got.receives(), "one recv call");
        assertEquals(0, remote.recv(ByteBuffer.allocate(8), 0), "nothing more to receive");
        assertEquals(1, remote.metrics().receives(), "a recv that moved nothing is no receive");
        assertEquals(sent, node0.metrics().totals(), "node 0's totals are its one endpoint's counts");
        assertEquals(got, node1.metrics().totals(), "node 1's: the accepted endpoint's (the listener did nothing)");
    }

    @Test
    void rmaCountsOperationsAndBytesByDirection() throws Exception {
        windows(local, node0, L, RW, 4);
        windows(remote, node1, R, RW, 4);
        local.writeTo(L, 3 * PAGE, R, Scif.RMA_SYNC);
        local.readFrom(L, PAGE, R + PAGE, Scif.RMA_SYNC);
        local.vwriteTo(ByteBuffer.allocateDirect(100), R, Scif.RMA_SYNC);
        local.vreadFrom(ByteBuffer.allocateDirect(50), R, Scif.RMA_SYNC);
        local.fenceSignal(L, 1, R, 2, Scif.FENCE_INIT_SELF | Scif.SIGNAL_LOCAL | Scif.SIGNAL_REMOTE);
        local.fenceWait(local.fenceMark(Scif.FENCE_INIT_SELF));
        assertErrno(Errno.ENXIO, () -> local.writeTo(L, PAGE, R + 64 * PAGE, 0), "a window the peer lacks");
        assertEquals(new EndpointMetrics(0, 0, 0, 0, 2, 3 * PAGE + 100, 2, PAGE + 50, 1, 1, 1), local.metrics(),
            "the calls that succeeded, and nothing of the one that failed");
        assertEquals(EndpointMetrics.ZERO, remote.metrics(), "the peer initiated nothing");
    }

    @Test
    void nodesCountConnectsAcceptsAndEndpoints() throws Exception {
        NodeMetrics n0 = node0.metrics();
        NodeMetrics n1 = node1.metrics();
        assertEquals(1, n0.connects(), "node 0 connected once");
        assertEquals(0, n0.accepts());
        assertEquals(1, n0.endpointsOpened());
        assertEquals(1, n1.accepts(), "node 1 accepted once");
        assertEquals(2, n1.endpointsOpened(), "the listener and the accepted endpoint");
        assertEquals(0, n0.connectsRefused() + n1.connectsRefused() + n0.peersLost() + n1.peersLost());
    }

    @Test
    void aRefusedConnectIsCounted() throws Exception {
        Endpoint ep = open(node0);
        assertErrno(Errno.ECONNREFUSED, () -> ep.connect(port(1, 3333)), "no listener on the port");
        assertEquals(1, node0.metrics().connectsRefused());
        assertEquals(1, node0.metrics().connects(), "only the fixture's connect connected");
        ep.close();
    }

    @Test
    void aPeerThatClosedIsCountedOnceByTheEndpointThatLearnsOfIt() throws Exception {
        sendFully(local, randomBytes(4, 10));
        remote.close();
        assertErrno(Errno.ECONNRESET, () -> local.recv(ByteBuffer.allocate(4), Scif.RECV_BLOCK), "the peer closed");
        assertErrno(Errno.ECONNRESET, () -> local.send(ByteBuffer.allocate(4), Scif.SEND_BLOCK), "still closed");
        assertEquals(1, node0.metrics().peersLost(), "one connection lost its peer, counted once");
        assertEquals(0, node1.metrics().peersLost(), "the side that closed lost no peer");
    }

    @Test
    void totalsKeepWhatClosedEndpointsMoved() throws Exception {
        sendFully(local, randomBytes(5, 4000));
        recvFully(remote, 4000);
        local.close();
        NodeMetrics n0 = node0.metrics();
        assertEquals(4000, n0.totals().bytesSent(), "the closed endpoint's bytes stay in the totals");
        assertEquals(0, n0.endpointsOpen(), "its one endpoint is closed");
        assertEquals(1, n0.endpointsOpened());
    }
}
