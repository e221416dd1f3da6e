package org.scif4j.tcp.internal;

import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * The socket of an open outbound link, which {@link LinkWriter} writes from the sending thread
 * (under its write lock; see its class comment for who may write when): on NIO the channel's
 * {@link SocketChannel}, on Netty's native epoll the channel's file descriptor. Both write what
 * the non-blocking socket takes now, and move the buffers' positions past the bytes written, as
 * {@link SocketChannel#write(ByteBuffer[], int, int)} does. Allocate nothing unless the write
 * fails.
 */
abstract class DirectSocket {
    /** @return bytes of {@code b} written (0 when the socket is full); its position moves past them */
    abstract long write(ByteBuffer b) throws IOException;

    /** @return bytes of {@code parts[offset..offset+length)} written, in order; their positions move past them */
    abstract long write(ByteBuffer[] parts, int offset, int length) throws IOException;

    /** @return whether this socket writes heap buffers too (epoll's descriptor writes direct ones only) */
    abstract boolean writesHeap();

    /** @return the socket of {@code channel} to write directly, or null when its kind has none */
    static DirectSocket of(Channel channel) {
        if (channel instanceof LinkChannel c) {
            return new Nio(c.socket());
        }
        if (channel instanceof EpollSocketChannel c) {
            return new EpollFd(c.fd());
        }
        return null;
    }

    /** A {@link LinkChannel}'s socket. */
    private static final class Nio extends DirectSocket {
        private final SocketChannel socket;

        Nio(SocketChannel socket) {
            this.socket = socket;
        }

        @Override
        long write(ByteBuffer b) throws IOException {
            return socket.write(b);
        }

        @Override
        long write(ByteBuffer[] parts, int offset, int length) throws IOException {
            return socket.write(parts, offset, length);
        }

        @Override
        boolean writesHeap() {
            return true;
        }
    }

    /**
     * An {@link EpollSocketChannel}'s descriptor, written with Netty's {@code write} and
     * {@code writev} (a would-block write gives 0, an error an IOException), which leave the
     * buffers' positions alone: moved here. The descriptor must not be closed during a write,
     * or its number could name another file by the time the write runs: LinkWriter's
     * invariant (an epoll link's channel closes only after {@link LinkWriter#stopDirect}).
     */
    private static final class EpollFd extends DirectSocket {
        private final FileDescriptor fd;

        EpollFd(FileDescriptor fd) {
            this.fd = fd;
        }

        @Override
        long write(ByteBuffer b) throws IOException {
            int n = fd.write(b, b.position(), b.limit());
            b.position(b.position() + n);
            return n;
        }

        @Override
        long write(ByteBuffer[] parts, int offset, int length) throws IOException {
            long n = fd.writev(parts, offset, length, Long.MAX_VALUE);
            long left = n;
            for (int i = offset; left > 0; i++) {
                ByteBuffer p = parts[i];
                int step = (int) Math.min(p.remaining(), left);
                p.position(p.position() + step);
                left -= step;
            }
            return n;
        }

        @Override
        boolean writesHeap() {
            return false;
        }
    }
}
