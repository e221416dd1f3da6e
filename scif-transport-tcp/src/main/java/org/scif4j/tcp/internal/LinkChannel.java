package org.scif4j.tcp.internal;

import io.netty.channel.socket.nio.NioSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * The channel of an outbound link: Netty's NIO socket channel, with its socket reachable so
 * that {@link Link} can write a frame from the sending thread when nothing else is queued,
 * saving the hand-off to the event loop (a thread wake-up per send).
 */
final class LinkChannel extends NioSocketChannel {
    /** @return the non-blocking socket under this channel */
    SocketChannel socket() {
        return javaChannel();
    }
}
