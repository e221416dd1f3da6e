package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;

/**
 * Hands the SCIF frames of an open link to the endpoints they address. Runs on whichever
 * thread reads the link (its event loop, or a user thread that reads it while it waits; see
 * {@link Link}) and never blocks. A frame for an endpoint that no longer exists is dropped (its
 * close raced with the peer); a frame that no honest peer could have sent is reported, and
 * the link is closed by its {@link LinkHandler} before anything acted on it.
 */
final class FrameDispatcher {
    private final TcpNode node;

    FrameDispatcher(TcpNode node) {
        this.node = node;
    }

    /**
     * @param link the link the frame came on
     * @param type its type, already validated with its size
     * @param f    its body
     * @return what is wrong with the frame, or null when it was handled
     */
    String dispatch(Link link, byte type, ByteBuf f) {
        int from = link.peerNode;
        switch (type) {
            case Wire.CONNECT_REQ: {
                int ring = ConnectionWire.requestRing(f);
                if (Integer.bitCount(ring) != 1 || ring < 4096) {
                    return "CONNECT_REQ with a window of " + ring + " bytes; expected a power of two >= 4096";
                }
                node.connectRequest(new ConnectRequest(from, link.peerIncarnation, ConnectionWire.connector(f),
                    ConnectionWire.requestConnectorPort(f), ring), ConnectionWire.requestListenerPort(f));
                return null;
            }
            case Wire.CONNECT_ACK: {
                long acceptor = ConnectionWire.ackAcceptor(f);
                TcpEndpoint ep = node.endpoint(ConnectionWire.connector(f));
                if (ep == null || !ep.connector().onAccepted(link, acceptor, ConnectionWire.ackRing(f))) {
                    // The connector gave up (timed out, interrupted, closed): end the accepted side.
                    node.links().send(from, ConnectionWire.endpointFrame(node.alloc(), Wire.DISCONNECT, acceptor));
                }
                return null;
            }
            case Wire.CONNECT_NAK: {
                TcpEndpoint ep = node.endpoint(ConnectionWire.connector(f));
                if (ep != null) {
                    ep.connector().onRefused(from, ConnectionWire.nakErrno(f));
                }
                return null;
            }
            case Wire.CONNECT_CANCEL: {
                TcpEndpoint listener = node.listener(ConnectionWire.cancelListenerPort(f));
                if (listener != null) {
                    listener.acceptor().onCancel(from, ConnectionWire.connector(f));
                }
                return null;
            }
            case Wire.DATA: {
                TcpEndpoint ep = node.endpoint(ConnectionWire.endpoint(f));
                return ep == null ? null
                    : ep.messages().onData(link, ConnectionWire.dataCredit(f), f.skipBytes(ConnectionWire.DATA_HEADER));
            }
            case Wire.CREDIT: {
                TcpEndpoint ep = node.endpoint(ConnectionWire.endpoint(f));
                return ep == null ? null : ep.messages().onCredit(link, ConnectionWire.creditBytes(f));
            }
            case Wire.DISCONNECT: {
                TcpEndpoint ep = node.endpoint(ConnectionWire.endpoint(f));
                if (ep != null) {
                    ep.onDisconnect(link);
                }
                return null;
            }
            case Wire.DISCONNECT_ACK: {
                TcpEndpoint ep = node.endpoint(ConnectionWire.endpoint(f));
                if (ep != null) {
                    ep.onDisconnectAck(link);
                }
                return null;
            }
            default:
                if (type >= Wire.WINDOW_ADD && type <= Wire.SIGNAL_STORE) {
                    TcpEndpoint ep = node.endpoint(RmaWire.endpoint(f));
                    TcpRma rma = ep == null ? null : ep.rmaFrom(link);
                    return rma == null ? null : rma.onFrame(link, type, f);
                }
                return "a frame of type " + Wire.name(type) + " that no handler knows";
        }
    }
}
