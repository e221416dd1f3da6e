package org.scif4j.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.Mapping;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifException;

/**
 * The skeleton's rules over a fake transport that keeps its state in a field and applies
 * {@link EndpointRules} as a real one does: the state machine, the errno of every bad
 * argument, and that a refused call never reaches the transport.
 */
class AbstractEndpointTest {
    /** A transport with no fabric: ports from a counter, connections that are answered at once. */
    private static final class FakeEndpoint extends AbstractEndpoint {
        final List<String> calls = new ArrayList<>();
        EndpointState state = EndpointState.UNBOUND;
        int port;
        int queued;
        boolean privileged;
        boolean fast;
        volatile CountDownLatch sending;
        volatile CountDownLatch release;

        FakeEndpoint() {
            super(DataPathLock.reentrant(), DataPathLock.reentrant(), new NodeCounters().opened());
        }

        @Override
        protected boolean mayBindAdminPorts() {
            return privileged;
        }

        @Override
        protected synchronized int doBind(int p, String call) throws ScifException {
            calls.add("bind");
            EndpointRules.bindState(state, port, call);
            port = p == 0 ? 1024 : p;
            state = EndpointState.BOUND;
            return port;
        }

        @Override
        protected synchronized void doListen(int backlog, String call) throws ScifException {
            calls.add("listen");
            EndpointRules.listen(state, backlog, call);
            state = EndpointState.LISTENING;
        }

        @Override
        protected synchronized int doConnect(PortId dst, String call) throws ScifException {
            calls.add("connect");
            EndpointRules.connect(state, dst, call);
            state = EndpointState.CONNECTED;
            return port;
        }

        @Override
        protected synchronized Endpoint doAccept(boolean sync, String call) throws ScifException {
            calls.add("accept");
            EndpointRules.accept(state, call);
            if (queued == 0) {
                throw EndpointRules.nothingToAccept(call);
            }
            queued--;
            FakeEndpoint e = new FakeEndpoint();
            e.state = EndpointState.CONNECTED;
            return e;
        }

        @Override
        protected int doSend(ByteBuffer src, boolean block, int flags) throws ScifException {
            calls.add("send");
            CountDownLatch s = sending;
            if (s != null) {
                s.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            synchronized (this) {
                EndpointRules.connected(state, new PortId(1, 2), EndpointRules.dataCall(true, src, flags));
            }
            int n = src.remaining();
            src.position(src.limit());
            return n;
        }

        @Override
        protected int doRecv(ByteBuffer dst, boolean block, int flags) throws ScifException {
            calls.add("recv");
            synchronized (this) {
                throw EndpointRules.notConnected(isClosed(), state, new PortId(1, 2),
                    EndpointRules.dataCall(false, dst, flags));
            }
        }

        @Override
        protected long addressOf(ByteBuffer direct) {
            return 4096; // page-aligned, so that the other arguments decide
        }

        @Override
        protected boolean tryFastRma(boolean write, long localOffset, long length, long remoteOffset, int flags) {
            if (fast) {
                calls.add("fast");
            }
            return fast;
        }

        @Override
        protected long doRegister(ByteBuffer region, long address, long offset, int prot, int flags, Call call) {
            calls.add("register");
            return offset;
        }

        @Override
        protected void doUnregister(long offset, long length, Call call) {
            calls.add("unregister");
        }

        @Override
        protected void doRma(boolean write, long localOffset, ByteBuffer buffer, long length, long remoteOffset,
                             int flags, Call call) {
            calls.add(write ? "write" : "read");
        }

        @Override
        protected int doFenceMark(int flags, Call call) {
            calls.add("fenceMark");
            return 7;
        }

        @Override
        protected void doFenceWait(int mark, Call call) {
            calls.add("fenceWait");
        }

        @Override
        protected void doFenceSignal(long lo, long lv, long ro, long rv, int flags, Call call) {
            calls.add("fenceSignal");
        }

        @Override
        protected Mapping doMmap(long remoteOffset, long rounded, long length, int prot, Call call) {
            calls.add("mmap " + rounded);
            return null;
        }

        @Override
        protected synchronized int readiness() {
            return EndpointRules.readiness(state, queued > 0, true, false, false);
        }

        @Override
        public PortId localPort() {
            return new PortId(0, port);
        }

        @Override
        public PortId peerPort() {
            return null;
        }

        @Override
        public Poller poller() {
            return null;
        }

        @Override
        public synchronized void close() {
            if (markClosed()) {
                state = EndpointState.CLOSED;
            }
        }
    }

    private static ScifException assertErrno(Errno errno, Executable call) {
        ScifException e = assertThrows(ScifException.class, call);
        assertEquals(errno, e.errno(), e.getMessage());
        return e;
    }

    @Test
    void bindChecksThePortBeforeTheTransportSeesIt() throws ScifException {
        FakeEndpoint e = new FakeEndpoint();
        assertErrno(Errno.EINVAL, () -> e.bind(-1));
        assertErrno(Errno.EINVAL, () -> e.bind(65536));
        ScifException admin = assertErrno(Errno.EACCES, () -> e.bind(5));
        assertTrue(admin.getMessage().startsWith("bind(port=5): EACCES"), admin.getMessage());
        assertEquals(List.of(), e.calls, "refused arguments never reach the transport");
        e.privileged = true;
        assertEquals(5, e.bind(5));
    }

    @Test
    void theStateMachineOfBindListenConnectAccept() throws ScifException {
        FakeEndpoint e = new FakeEndpoint();
        assertErrno(Errno.EINVAL, () -> e.listen(1)); // UNBOUND: bind first
        assertEquals(1024, e.bind(0));
        assertErrno(Errno.EINVAL, () -> e.bind(0)); // already bound: EINVAL, not EISCONN
        assertErrno(Errno.EINVAL, () -> e.listen(0)); // backlog below 1
        assertErrno(Errno.EINVAL, () -> e.accept(Scif.ACCEPT_SYNC)); // not LISTENING
        e.listen(4);
        assertErrno(Errno.EISCONN, () -> e.bind(0));
        assertErrno(Errno.EISCONN, () -> e.listen(4));
        assertErrno(Errno.EOPNOTSUPP, () -> e.connect(new PortId(1, 2000)));
        assertErrno(Errno.EAGAIN, () -> e.accept(0));
        e.queued = 1;
        assertEquals(Scif.POLLIN, e.pollEvents(Scif.POLLIN | Scif.POLLOUT), "a queued request is POLLIN");
        Endpoint accepted = e.accept(0);
        assertEquals(0, accepted.send(ByteBuffer.allocate(0), 0));

        FakeEndpoint c = new FakeEndpoint();
        assertErrno(Errno.EINVAL, () -> c.connect(null));
        assertErrno(Errno.EINVAL, () -> c.connect(new PortId(1, 70000)));
        c.connect(new PortId(1, 2000));
        assertErrno(Errno.EISCONN, () -> c.connect(new PortId(1, 2000)));
        assertErrno(Errno.EISCONN, () -> c.bind(0));
        c.state = EndpointState.DISCONNECTED;
        assertErrno(Errno.EINVAL, () -> c.connect(new PortId(1, 2000))); // cannot be reused
        assertErrno(Errno.ECONNRESET, () -> c.send(ByteBuffer.allocate(1), 0));
        c.state = EndpointState.BOUND;
        assertErrno(Errno.ENOTCONN, () -> c.recv(ByteBuffer.allocate(1), 0));
    }

    @Test
    void acceptFlagsAreCheckedFirst() {
        FakeEndpoint e = new FakeEndpoint();
        assertErrno(Errno.EINVAL, () -> e.accept(2));
        assertEquals(List.of(), e.calls);
    }

    @Test
    void everyCallOnAClosedEndpointIsEbadfAndNeverReachesTheTransport() {
        FakeEndpoint e = new FakeEndpoint();
        e.close();
        ByteBuffer b = ByteBuffer.allocateDirect(4096);
        List<Executable> calls = List.of(() -> e.bind(0), () -> e.listen(1), () -> e.connect(new PortId(1, 2)),
            () -> e.accept(0), () -> e.send(b, 0), () -> e.recv(b, 0), () -> e.configureBlocking(false),
            () -> e.register(b, 0, Scif.PROT_READ, 0), () -> e.unregister(0, 4096),
            () -> e.readFrom(0, 4096, 0, 0), () -> e.writeTo(0, 4096, 0, 0), () -> e.vreadFrom(b, 0, 0),
            () -> e.vwriteTo(b, 0, 0), () -> e.fenceMark(Scif.FENCE_INIT_SELF), () -> e.fenceWait(0),
            () -> e.fenceSignal(0, 1, 0, 1, Scif.FENCE_INIT_SELF | Scif.SIGNAL_LOCAL),
            () -> e.mmap(0, 4096, Scif.PROT_READ));
        for (Executable c : calls) {
            assertErrno(Errno.EBADF, c);
        }
        assertEquals(List.of(), e.calls);
        assertEquals(Scif.POLLNVAL, e.pollEvents(0), "POLLNVAL whatever was asked");
    }

    @Test
    void sendAndRecvPrologue() throws ScifException {
        FakeEndpoint e = new FakeEndpoint();
        assertErrno(Errno.EFAULT, () -> e.send(null, 0));
        assertErrno(Errno.EFAULT, () -> e.recv(null, 0));
        assertErrno(Errno.EFAULT, () -> e.recv(ByteBuffer.allocate(8).asReadOnlyBuffer(), 0));
        assertEquals(0, e.send(ByteBuffer.allocate(0), 2), "an empty send returns 0 before the flags are looked at");
        ScifException flags = assertErrno(Errno.EINVAL, () -> e.send(ByteBuffer.allocate(8), 2));
        assertTrue(flags.getMessage().startsWith("send(len=8, flags=2): EINVAL"), flags.getMessage());
        assertErrno(Errno.EINVAL, () -> e.recv(ByteBuffer.allocate(8), 6));
        assertEquals(List.of(), e.calls);
        e.state = EndpointState.CONNECTED;
        assertEquals(8, e.send(ByteBuffer.allocate(8), 3), "SEND_BLOCK with other bits: the others are ignored");
    }

    @Test
    void anUncontendedSendCompletesWithTheInterruptPending() throws ScifException {
        FakeEndpoint e = new FakeEndpoint();
        e.state = EndpointState.CONNECTED;
        Thread.currentThread().interrupt();
        try {
            assertEquals(4, e.send(ByteBuffer.allocate(4), Scif.SEND_BLOCK));
            assertTrue(Thread.currentThread().isInterrupted(), "the status is kept for the next wait");
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void waitingForAnotherThreadsSendIsInterruptible() throws Exception {
        FakeEndpoint e = new FakeEndpoint();
        e.state = EndpointState.CONNECTED;
        e.sending = new CountDownLatch(1);
        e.release = new CountDownLatch(1);
        Thread holder = new Thread(() -> {
            try {
                e.send(ByteBuffer.allocate(4), Scif.SEND_BLOCK);
            } catch (ScifException ignored) {
                // the test looks at the waiter
            }
        });
        holder.start();
        e.sending.await();
        AtomicReference<Throwable> waiterResult = new AtomicReference<>();
        AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            try {
                e.send(ByteBuffer.allocate(4), Scif.SEND_BLOCK);
            } catch (Throwable t) {
                waiterResult.set(t);
            }
            stillInterrupted.set(Thread.currentThread().isInterrupted());
        });
        waiter.start();
        while (waiter.getState() != Thread.State.WAITING) { // parked on the send lock
            Thread.onSpinWait();
        }
        waiter.interrupt();
        waiter.join();
        e.release.countDown();
        holder.join();
        ScifException x = (ScifException) waiterResult.get();
        assertEquals(Errno.EINTR, x.errno(), x.getMessage());
        assertTrue(x.getMessage().contains("waiting for another send"), x.getMessage());
        assertTrue(stillInterrupted.get(), "EINTR leaves the interrupt status set");
    }

    @Test
    void rmaArgumentsAreCheckedBeforeTheTransport() {
        FakeEndpoint e = new FakeEndpoint();
        assertErrno(Errno.EINVAL, () -> e.readFrom(0, 0, 0, 0));
        assertErrno(Errno.EINVAL, () -> e.writeTo(0, 4096, 0, 1 << 8));
        assertErrno(Errno.EFAULT, () -> e.vreadFrom(ByteBuffer.allocate(8).asReadOnlyBuffer(), 0, 0));
        assertErrno(Errno.EFAULT, () -> e.vwriteTo(null, 0, 0));
        assertErrno(Errno.EFAULT, () -> e.register(ByteBuffer.allocate(4096), 0, Scif.PROT_READ, 0));
        assertErrno(Errno.EINVAL, () -> e.unregister(1, 4096));
        assertErrno(Errno.EINVAL, () -> e.fenceMark(Scif.FENCE_INIT_SELF | Scif.FENCE_INIT_PEER));
        assertErrno(Errno.EINVAL, () -> e.fenceSignal(2, 1, 0, 1, Scif.FENCE_INIT_SELF | Scif.SIGNAL_LOCAL));
        assertErrno(Errno.EINVAL, () -> e.mmap(100, 4096, Scif.PROT_READ));
        assertEquals(List.of(), e.calls);
    }

    @Test
    void goodRmaArgumentsReachTheTransportOnce() throws ScifException {
        FakeEndpoint e = new FakeEndpoint();
        e.readFrom(0, 4096, 0, 0);
        e.vwriteTo(ByteBuffer.allocate(8).asReadOnlyBuffer(), 0, Scif.RMA_SYNC);
        assertEquals(7, e.fenceMark(Scif.FENCE_INIT_PEER));
        e.mmap(0, 100, Scif.PROT_READ);
        e.fast = true;
        e.writeTo(0, 4096, 0, 0);
        assertEquals(List.of("read", "write", "fenceMark", "mmap 4096", "fast"), e.calls,
            "mmap gets the length in whole pages; the fast path ends the call");
    }

    @Test
    void pollMasksWhatWasNotAskedForButKeepsErrAndHup() {
        FakeEndpoint e = new FakeEndpoint();
        assertEquals(Scif.POLLERR, e.pollEvents(Scif.POLLIN), "an unbound endpoint: POLLERR even unasked");
        e.state = EndpointState.CONNECTED;
        assertEquals(0, e.pollEvents(Scif.POLLIN), "only POLLOUT is ready");
        assertEquals(Scif.POLLOUT, e.pollEvents(Scif.POLLIN | Scif.POLLOUT));
        e.state = EndpointState.DISCONNECTED;
        assertEquals(Scif.POLLHUP, e.pollEvents(0));
    }

    @Test
    void configureBlockingIsKeptByTheSkeleton() throws ScifException {
        FakeEndpoint e = new FakeEndpoint();
        assertTrue(e.isBlocking());
        e.configureBlocking(false);
        assertEquals(false, e.isBlocking());
    }
}
