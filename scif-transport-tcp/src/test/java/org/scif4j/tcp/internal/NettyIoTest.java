package org.scif4j.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.Test;
import org.scif4j.Errno;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;
import org.scif4j.tcp.TcpOptions;
import org.scif4j.tcp.conformance.TcpFixture;

/**
 * The node's Netty transport follows option {@code io}: auto picks native epoll when it loads
 * (the test class path holds Netty's epoll jar for linux-x86_64), nio forces Java NIO, and epoll
 * where it does not load fails with EINVAL naming the cause. The conformance suites run on nio,
 * and on epoll in the TcpEpoll*Test classes.
 */
class NettyIoTest {
    @Test
    void epollLoadsHereFromTheTestClassPath() {
        assertTrue(Epoll.isAvailable(), () -> "native epoll does not load: " + Epoll.unavailabilityCause());
    }

    @Test
    void optionIoChoosesTheTransport() throws ScifException {
        assertEquals(new NettyIo(true), NettyIo.of(TcpOptions.Io.AUTO, "attach"), "auto, where epoll loads");
        assertEquals(new NettyIo(true), NettyIo.of(TcpOptions.Io.EPOLL, "attach"));
        assertEquals(new NettyIo(false), NettyIo.of(TcpOptions.Io.NIO, "attach"));
    }

    @Test
    void attachedNodesUseTheChosenTransport() throws ScifException {
        TcpFixture fabric = new TcpFixture();
        try (ScifNode nio = Scif.attach(fabric.fabricUri(0, "io=nio"));
             ScifNode epoll = Scif.attach(fabric.fabricUri(1, "io=epoll"))) {
            assertTrue(nio.toString().contains("(nio)"), nio::toString);
            assertTrue(epoll.toString().contains("(epoll)"), epoll::toString);
        }
        fabric.assertNoLeftovers();
    }

    @Test
    void unknownIoIsRefused() {
        ScifException e = org.junit.jupiter.api.Assertions.assertThrows(ScifException.class,
            () -> Scif.attach(new TcpFixture().fabricUri(0, "io=kqueue")));
        assertEquals(Errno.EINVAL, e.errno());
    }
}
