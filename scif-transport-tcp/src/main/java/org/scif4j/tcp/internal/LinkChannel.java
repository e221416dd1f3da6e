package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;

/**
 * The channel of a link on the NIO transport: Netty's NIO socket channel, with its socket
 * reachable so that {@link LinkWriter} can write a frame from the sending thread when nothing else is
 * queued (an outbound link), and read frames from a waiting thread (an inbound link), saving a
 * hand-off to or from the event loop (a thread wake-up) each time. On an inbound link the
 * event loop reads only when {@link LinkReader#eventLoopRead} lets it, and keeps the socket out of its
 * selector while user threads read it.
 */
final class LinkChannel extends NioSocketChannel {
    /** The reader of this channel's inbound link, or null (an outbound link: only the event loop reads it). */
    volatile LinkReader reader;

    /** An outbound link's channel. */
    LinkChannel() {
    }

    /** An accepted channel, an inbound link's. */
    LinkChannel(Channel parent, SocketChannel socket) {
        super(parent, socket);
    }

    /** @return the non-blocking socket under this channel */
    SocketChannel socket() {
        return javaChannel();
    }

    @Override
    protected int doReadBytes(ByteBuf buf) throws Exception {
        LinkReader l = reader;
        if (l != null && !l.eventLoopRead()) {
            // A user thread reads: stand aside, out of the selector, until LinkReader's take-back
            // timer calls read() (doBeginRead below keeps it out meanwhile).
            removeAndSubmit(readOps);
            return 0;
        }
        if (l != null && l.eventLoopReadsOwnBuffers()) {
            return l.readByEventLoop(); // dispatched there; Netty's buffer stays unused
        }
        return super.doReadBytes(buf);
    }

    @Override
    protected void doBeginRead() throws Exception {
        LinkReader l = reader;
        if (l != null && l.userMode()) {
            return; // user threads read; Netty's automatic read after each batch must not undo that
        }
        super.doBeginRead();
    }

    /** The server channel of a node on NIO: its accepted channels are {@link LinkChannel}s. */
    static final class Server extends NioServerSocketChannel {
        @Override
        protected int doReadMessages(List<Object> buf) throws Exception {
            SocketChannel ch = javaChannel().accept();
            if (ch == null) {
                return 0;
            }
            try {
                buf.add(new LinkChannel(this, ch));
                return 1;
            } catch (Throwable t) {
                ch.close();
                throw t;
            }
        }
    }
}
