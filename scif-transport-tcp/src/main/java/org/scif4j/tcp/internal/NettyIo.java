package org.scif4j.tcp.internal;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import org.scif4j.Errno;
import org.scif4j.ScifException;
import org.scif4j.tcp.TcpOptions;

/**
 * The Netty I/O transport of a node: native epoll when Netty's epoll jar for this platform is on
 * the class path and loads (option {@code io=auto}, the default, or {@code io=epoll}), else Java
 * NIO. A sender may write an open outbound link's socket itself on both ({@link DirectSocket}:
 * a {@link LinkChannel}'s socket on NIO, the channel's descriptor on epoll); only on NIO may a
 * waiting user thread read an inbound link itself (its channel is a {@link LinkChannel}), while
 * on epoll the event loop reads every link, into the link's own buffers once it is open
 * ({@link LinkReader#pipelineReadBuffer}).
 *
 * @param epoll whether this node uses epoll
 */
record NettyIo(boolean epoll) {
    /**
     * @param io   the option's value
     * @param call the attach call, for the error
     * @return the transport to use
     * @throws ScifException EINVAL when {@code io=epoll} and epoll does not load here
     */
    static NettyIo of(TcpOptions.Io io, String call) throws ScifException {
        if (io == TcpOptions.Io.NIO) {
            return new NettyIo(false);
        }
        boolean available = Epoll.isAvailable();
        if (io == TcpOptions.Io.EPOLL && !available) {
            throw ScifException.of(call, Errno.EINVAL, "option io=epoll, but Netty's native epoll does not load here ("
                + Epoll.unavailabilityCause() + "); expected netty-transport-native-epoll for this platform on the"
                + " class path, or io=auto|nio");
        }
        return new NettyIo(available);
    }

    IoHandlerFactory handlers() {
        return epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    }

    ChannelFactory<Channel> linkChannels() {
        return epoll ? EpollSocketChannel::new : LinkChannel::new;
    }

    ChannelFactory<ServerChannel> serverChannels() {
        return epoll ? EpollServerSocketChannel::new : LinkChannel.Server::new;
    }

    @Override
    public String toString() {
        return epoll ? "epoll" : "nio";
    }
}
