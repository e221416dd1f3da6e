package org.scif4j;

import java.nio.ByteBuffer;
import java.time.Duration;

/**
 * A SCIF endpoint ({@code scif_epd_t}): bound to a port, it listens for or makes one
 * connection, then moves bytes ({@link #send}/{@link #recv}) and memory (RMA) to its peer.
 * Semantics and errors follow SCIF (the SCIF man pages and the mainline Linux driver; the
 * project's docs/decisions.md says where scif4j chooses between them). Safe for use by several
 * threads: sends are serialised with each other, and so are receives.
 */
public interface Endpoint extends AutoCloseable {
    /**
     * {@code scif_bind}.
     *
     * @param port the port, or 0 for the lowest free port from {@code PORT_RSVD + 1}
     * @return the bound port
     * @throws ScifException EACCES below 1024 without privilege, EINVAL if bound or the port
     *                       is busy, EISCONN if listening or connected, ENOSPC if none free
     */
    int bind(int port) throws ScifException;

    /**
     * {@code scif_listen}: BOUND to LISTENING.
     *
     * @param backlog how many not yet accepted requests are queued; more are refused
     * @throws ScifException EINVAL if not bound, EISCONN if listening or connected
     */
    void listen(int backlog) throws ScifException;

    /**
     * {@code scif_connect}: blocks until the listener accepts or the request is refused.
     *
     * @param peer the listening port
     * @return the local port, bound automatically if the endpoint was unbound
     * @throws ScifException ECONNREFUSED, ENODEV for an offline node, EISCONN, EOPNOTSUPP when
     *                       listening, EINVAL when disconnected
     */
    int connect(PortId peer) throws ScifException;

    /**
     * {@link #connect} that gives up after {@code timeout}, built on the non-blocking connect
     * and {@link Scif#poll}. SCIF cannot cancel a handshake once the request is sent, so after
     * ETIMEDOUT the endpoint is where SCIF leaves a non-blocking connect nobody waited for:
     * the handshake goes on, poll reports POLLOUT when it has ended, and calling this method
     * (or the non-blocking connect) again collects its result; {@link #close} abandons it.
     * The blocking mode ({@link #isBlocking}) is the caller's again when this returns.
     *
     * <pre>{@code
     * try {
     *     ep.connect(new PortId(1, 2000), Duration.ofSeconds(5));
     * } catch (ScifException e) {
     *     if (e.errno() != Errno.ETIMEDOUT) throw e;
     *     ep.close();
     * }
     * }</pre>
     *
     * @param peer    the listening port
     * @param timeout how long to wait; zero checks once
     * @return the local port
     * @throws ScifException ETIMEDOUT, EINVAL for a null or negative timeout, else as
     *                       {@link #connect(PortId)}
     */
    default int connect(PortId peer, Duration timeout) throws ScifException {
        return Timeouts.connect(this, peer, timeout);
    }

    /**
     * Chooses blocking or non-blocking {@link #connect}, as {@code O_NONBLOCK} on the C
     * endpoint's descriptor does. Non-blocking, the first connect throws EINPROGRESS, poll
     * reports POLLOUT when the handshake has finished, and the next connect returns the local
     * port or throws the handshake's error. It does not change send or recv, which take flags.
     *
     * @param block true (the default) for blocking connect
     * @throws ScifException EBADF if closed
     */
    void configureBlocking(boolean block) throws ScifException;

    /** @return whether {@link #connect} blocks (the default) */
    boolean isBlocking();

    /**
     * {@code scif_accept}.
     *
     * @param flags {@link Scif#ACCEPT_SYNC} to block for a request, else 0
     * @return a new connected endpoint sharing this listener's port
     * @throws ScifException EAGAIN without SYNC and no request, EINTR when closed while
     *                       waiting, EINVAL when not listening or for bad flags
     */
    Endpoint accept(int flags) throws ScifException;

    /**
     * {@link #accept}{@code (ACCEPT_SYNC)} that gives up after {@code timeout}; built on the
     * non-blocking accept and {@link Scif#poll}. A timeout accepts nothing.
     *
     * @param timeout how long to wait for a request; zero checks once
     * @return the new connected endpoint
     * @throws ScifException ETIMEDOUT when no request came, EINVAL for a null or negative
     *                       timeout, else as {@link #accept(int)}
     */
    default Endpoint accept(Duration timeout) throws ScifException {
        return Timeouts.accept(this, timeout);
    }

    /** @return this endpoint's node and port (port 0 while unbound) */
    PortId localPort();

    /** @return the connected peer's node and port, or {@code null} if never connected */
    PortId peerPort();

    /**
     * {@code scif_send}: copies bytes from {@code src}'s position to its limit and advances
     * the position by the count sent.
     *
     * @param src   the bytes
     * @param flags {@link Scif#SEND_BLOCK} to send all of it, else 0 for what fits now
     * @return the number of bytes sent (0 is a valid answer without SEND_BLOCK)
     * @throws ScifException ENOTCONN, ECONNRESET, EINVAL for bad flags, EINTR
     */
    int send(ByteBuffer src, int flags) throws ScifException;

    /**
     * {@link #send}{@code (src, SEND_BLOCK)} that gives up after {@code timeout}; built on the
     * non-blocking send and {@link Scif#poll}. As a blocking send ended by a disconnection,
     * it returns the count when bytes were moved before the timeout or error.
     *
     * <pre>{@code
     * int n = ep.send(buf, Duration.ofMillis(100)); // n < len: the peer did not read in time
     * }</pre>
     *
     * @param src     the bytes; the position advances by the count sent
     * @param timeout how long to wait for room; zero sends what fits now
     * @return the bytes sent, at least 1 unless {@code src} was empty
     * @throws ScifException ETIMEDOUT when no byte could be sent in time, EINVAL for a null or
     *                       negative timeout, else as {@link #send(ByteBuffer, int)}
     */
    default int send(ByteBuffer src, Duration timeout) throws ScifException {
        return Timeouts.transfer(this, src, timeout, true);
    }

    /**
     * {@code scif_recv}: fills {@code dst} from its position towards its limit.
     *
     * @param dst   where the bytes go
     * @param flags {@link Scif#RECV_BLOCK} to fill it, else 0 for what is there now
     * @return the number of bytes received
     * @throws ScifException ENOTCONN, ECONNRESET once drained after the peer closed, EINVAL,
     *                       EINTR
     */
    int recv(ByteBuffer dst, int flags) throws ScifException;

    /**
     * {@link #recv}{@code (dst, RECV_BLOCK)} that gives up after {@code timeout}; built on the
     * non-blocking recv and {@link Scif#poll}. As a blocking recv ended by a disconnection,
     * it returns the count when bytes were moved before the timeout or error.
     *
     * <pre>{@code
     * ByteBuffer header = ByteBuffer.allocate(16);
     * int n = ep.recv(header, Duration.ofSeconds(1)); // 16, or fewer if the peer was slow
     * }</pre>
     *
     * @param dst     where the bytes go; the position advances by the count received
     * @param timeout how long to wait for bytes; zero takes what is there now
     * @return the bytes received, at least 1 unless {@code dst} was full
     * @throws ScifException ETIMEDOUT when no byte came in time, EINVAL for a null or
     *                       negative timeout, else as {@link #recv(ByteBuffer, int)}
     */
    default int recv(ByteBuffer dst, Duration timeout) throws ScifException {
        return Timeouts.transfer(this, dst, timeout, false);
    }

    /**
     * {@code scif_register}: makes a window of this endpoint's registered address space.
     * A transport may have to move the pages of memory that is not from
     * {@link ScifNode#allocate} (shm shares them with its peers by moving them into a file, and
     * back at the last unregister): do not write to such a region from other threads while it
     * is being registered or unregistered, or those writes may be lost.
     *
     * @param region page-aligned direct memory, a whole number of pages (position to limit)
     * @param offset the window offset with {@link Scif#MAP_FIXED}, else a hint
     * @param prot   {@link Scif#PROT_READ} and/or {@link Scif#PROT_WRITE}
     * @param flags  0 or {@link Scif#MAP_FIXED}
     * @return the offset of the window
     * @throws ScifException EINVAL, EADDRINUSE, ENOMEM, ENOTCONN, ECONNRESET
     */
    long register(ByteBuffer region, long offset, int prot, int flags) throws ScifException;

    /**
     * {@link #register} returning the window as an {@link AutoCloseable} {@link Window} whose
     * {@code close()} unregisters it; the registration itself is exactly {@code register}'s.
     *
     * <pre>{@code
     * try (Window w = ep.registerWindow(buf, 0, Scif.PROT_READ | Scif.PROT_WRITE, 0)) {
     *     peerLearns(w.offset());
     * }
     * }</pre>
     *
     * @param region page-aligned direct memory, a whole number of pages (position to limit)
     * @param offset the window offset with {@link Scif#MAP_FIXED}, else a hint
     * @param prot   {@link Scif#PROT_READ} and/or {@link Scif#PROT_WRITE}
     * @param flags  0 or {@link Scif#MAP_FIXED}
     * @return the window
     * @throws ScifException as {@link #register}
     */
    default Window registerWindow(ByteBuffer region, long offset, int prot, int flags)
        throws ScifException {
        long length = region == null ? 0 : region.remaining();
        long at = register(region, offset, prot, flags);
        return new Window(this, at, length, prot);
    }

    /**
     * {@code scif_unregister}: removes the whole windows in {@code [offset, offset+length)}.
     *
     * @param offset page-aligned start
     * @param length page-multiple length
     * @throws ScifException EINVAL, ENXIO, ENOTCONN, ECONNRESET
     */
    void unregister(long offset, long length) throws ScifException;

    /**
     * {@code scif_readfrom}: copies the peer's {@code [remoteOffset, +length)} into this
     * endpoint's {@code [localOffset, +length)}.
     *
     * @param localOffset  destination in the local registered address space
     * @param length       bytes to copy
     * @param remoteOffset source in the peer's registered address space
     * @param flags        RMA_* flags
     * @throws ScifException EINVAL, ENXIO, EPERM, ENOTCONN, ECONNRESET
     */
    void readFrom(long localOffset, long length, long remoteOffset, int flags) throws ScifException;

    /**
     * {@code scif_writeto}: copies this endpoint's {@code [localOffset, +length)} to the
     * peer's {@code [remoteOffset, +length)}.
     *
     * @param localOffset  source in the local registered address space
     * @param length       bytes to copy
     * @param remoteOffset destination in the peer's registered address space
     * @param flags        RMA_* flags
     * @throws ScifException EINVAL, ENXIO, EPERM, ENOTCONN, ECONNRESET
     */
    void writeTo(long localOffset, long length, long remoteOffset, int flags) throws ScifException;

    /**
     * {@code scif_vreadfrom}: copies from the peer's registered address space into
     * {@code dst}'s remaining bytes.
     *
     * @param dst          destination
     * @param remoteOffset source in the peer's registered address space
     * @param flags        RMA_* flags
     * @throws ScifException EINVAL, ENXIO, EPERM, ENOTCONN, ECONNRESET
     */
    void vreadFrom(ByteBuffer dst, long remoteOffset, int flags) throws ScifException;

    /**
     * {@code scif_vwriteto}: copies {@code src}'s remaining bytes into the peer's registered
     * address space.
     *
     * @param src          source
     * @param remoteOffset destination in the peer's registered address space
     * @param flags        RMA_* flags
     * @throws ScifException EINVAL, ENXIO, EPERM, ENOTCONN, ECONNRESET
     */
    void vwriteTo(ByteBuffer src, long remoteOffset, int flags) throws ScifException;

    /**
     * {@link #writeTo} whose completion is a future: the RMA is issued now, then marked
     * ({@code fenceMark(FENCE_INIT_SELF)}); a completion thread of this endpoint, asleep in
     * {@code fenceWait} while anything is pending, completes the future once the transfer is
     * complete, or fails it with the ScifException of the wait (ECONNRESET when the peer is
     * lost, EBADF when this endpoint closes). Errors of the call itself (EINVAL, ENXIO, ...)
     * give a future that has already failed. Callbacks attached without an executor run in
     * the completion thread and delay the next completions: keep them short, or use the
     * {@code *Async} forms of CompletableFuture.
     *
     * <pre>{@code
     * ep.writeToAsync(local.offset(), len, remoteOffset, 0)
     *   .thenRun(() -> ep.send(done, Scif.SEND_BLOCK)) // in practice handle ScifException
     *   .join();
     * }</pre>
     *
     * @param localOffset  source in the local registered address space
     * @param length       bytes to copy
     * @param remoteOffset destination in the peer's registered address space
     * @param flags        RMA_* flags
     * @return completed when the data is in the peer's window
     */
    default java.util.concurrent.CompletableFuture<Void> writeToAsync(long localOffset,
        long length, long remoteOffset, int flags) {
        return RmaCompletions.submit(this, () -> writeTo(localOffset, length, remoteOffset, flags));
    }

    /**
     * {@link #readFrom} whose completion is a future; see {@link #writeToAsync}.
     *
     * @param localOffset  destination in the local registered address space
     * @param length       bytes to copy
     * @param remoteOffset source in the peer's registered address space
     * @param flags        RMA_* flags
     * @return completed when the data is in the local window
     */
    default java.util.concurrent.CompletableFuture<Void> readFromAsync(long localOffset,
        long length, long remoteOffset, int flags) {
        return RmaCompletions.submit(this, () -> readFrom(localOffset, length, remoteOffset, flags));
    }

    /**
     * {@link #vwriteTo} whose completion is a future; see {@link #writeToAsync}. Do not
     * change {@code src}'s bytes until the future completed.
     *
     * @param src          source; its position advances as vwriteTo's does
     * @param remoteOffset destination in the peer's registered address space
     * @param flags        RMA_* flags
     * @return completed when the data is in the peer's window
     */
    default java.util.concurrent.CompletableFuture<Void> vwriteToAsync(ByteBuffer src,
        long remoteOffset, int flags) {
        return RmaCompletions.submit(this, () -> vwriteTo(src, remoteOffset, flags));
    }

    /**
     * {@link #vreadFrom} whose completion is a future; see {@link #writeToAsync}. Read
     * {@code dst} only once the future completed.
     *
     * @param dst          destination
     * @param remoteOffset source in the peer's registered address space
     * @param flags        RMA_* flags
     * @return completed when the data is in {@code dst}
     */
    default java.util.concurrent.CompletableFuture<Void> vreadFromAsync(ByteBuffer dst,
        long remoteOffset, int flags) {
        return RmaCompletions.submit(this, () -> vreadFrom(dst, remoteOffset, flags));
    }

    /**
     * {@code scif_fence_mark}.
     *
     * @param flags exactly one of {@link Scif#FENCE_INIT_SELF} or {@link Scif#FENCE_INIT_PEER}
     * @return the mark, an int that may be negative
     * @throws ScifException EINVAL, ENOTCONN, ECONNRESET
     */
    int fenceMark(int flags) throws ScifException;

    /**
     * {@code scif_fence_wait}: blocks until every RMA covered by {@code mark} has completed.
     *
     * @param mark a value returned by {@link #fenceMark(int)}
     * @throws ScifException ETIMEDOUT, EINTR, ENOTCONN, ECONNRESET
     */
    void fenceWait(int mark) throws ScifException;

    /**
     * {@link #fenceWait(int)} that gives up after {@code timeout}. The wait runs in a parked
     * helper thread (no core spins) that is interrupted at the deadline; the mark stays valid,
     * so a later wait on it is still correct.
     *
     * <pre>{@code
     * int mark = ep.fenceMark(Scif.FENCE_INIT_SELF);
     * ep.fenceWait(mark, Duration.ofSeconds(2));
     * }</pre>
     *
     * @param mark    a value returned by {@link #fenceMark(int)}
     * @param timeout how long to wait
     * @throws ScifException ETIMEDOUT, EINVAL for a null or negative timeout, else as
     *                       {@link #fenceWait(int)}
     */
    default void fenceWait(int mark, Duration timeout) throws ScifException {
        Timeouts.fenceWait(this, mark, timeout);
    }

    /**
     * {@code scif_fence_signal}: after the marked RMAs complete, stores 64-bit values in
     * native byte order at the local and/or remote offset.
     *
     * @param localOffset  4-byte aligned offset in the local registered address space
     * @param localValue   value for {@link Scif#SIGNAL_LOCAL}
     * @param remoteOffset 4-byte aligned offset in the peer's registered address space
     * @param remoteValue  value for {@link Scif#SIGNAL_REMOTE}
     * @param flags        one INIT flag and at least one SIGNAL flag
     * @throws ScifException EINVAL, ENXIO, EPERM, ENOTCONN, ECONNRESET
     */
    void fenceSignal(long localOffset, long localValue, long remoteOffset, long remoteValue,
                     int flags) throws ScifException;

    /**
     * {@link #fenceSignal} whose completion is a future: the signal is queued now, then marked
     * with a mark of its own INIT flag (an INIT_PEER signal is queued behind the peer's RMAs,
     * and so is an INIT_PEER mark); the future completes once the values are stored, so there
     * is no need to poll the signalled word. It fails with the ScifException of the call (EINVAL
     * for bad flags, ENXIO, EPERM) at once, with ECONNRESET when the peer is lost while the
     * signal is pending, and with EBADF (or EINTR) when this endpoint closes. See
     * {@link #writeToAsync} for the completion thread.
     *
     * <pre>{@code
     * ep.writeTo(local.offset(), len, remoteOffset, 0);
     * ep.fenceSignalAsync(flag.offset(), 1, peerFlag, 1,
     *         Scif.FENCE_INIT_SELF | Scif.SIGNAL_LOCAL | Scif.SIGNAL_REMOTE)
     *   .thenRun(() -> System.out.println("the write landed and the peer has been told"));
     * }</pre>
     *
     * @param localOffset  4-byte aligned offset in the local registered address space
     * @param localValue   value for {@link Scif#SIGNAL_LOCAL}
     * @param remoteOffset 4-byte aligned offset in the peer's registered address space
     * @param remoteValue  value for {@link Scif#SIGNAL_REMOTE}
     * @param flags        one INIT flag and at least one SIGNAL flag
     * @return completed when the values are stored
     */
    default java.util.concurrent.CompletableFuture<Void> fenceSignalAsync(long localOffset, long localValue,
        long remoteOffset, long remoteValue, int flags) {
        return RmaCompletions.submit(this, () -> fenceSignal(localOffset, localValue, remoteOffset, remoteValue,
            flags), (flags & Scif.FENCE_INIT_PEER) != 0 ? Scif.FENCE_INIT_PEER : Scif.FENCE_INIT_SELF);
    }

    /**
     * {@code scif_mmap}: maps the peer's registered memory into this process.
     *
     * @param remoteOffset page-aligned offset in the peer's registered address space
     * @param length       bytes to map, rounded up to whole pages
     * @param prot         PROT_* rights wanted
     * @return the mapping
     * @throws ScifException EINVAL, ENXIO, EPERM, ENOTCONN, ECONNRESET, EOPNOTSUPP
     */
    Mapping mmap(long remoteOffset, long length, int prot) throws ScifException;

    /**
     * This connected endpoint as a blocking {@link java.nio.channels.ByteChannel}; closing the
     * channel closes the endpoint. See {@link EndpointChannel}.
     *
     * <pre>{@code
     * ByteChannel ch = ep.asChannel();
     * ch.write(ByteBuffer.wrap(bytes));
     * }</pre>
     *
     * @return a new channel over this endpoint
     */
    default EndpointChannel asChannel() {
        return new EndpointChannel(this);
    }

    /**
     * This connected endpoint as an {@link java.io.InputStream}
     * ({@link java.nio.channels.Channels#newInputStream} over {@link #asChannel()}): -1 at the
     * end of stream (the peer closed or was lost, every byte read); closing the stream closes
     * the endpoint. Reads are not buffered: wrap it in a {@link java.io.BufferedInputStream}.
     *
     * <pre>{@code
     * var in = new DataInputStream(new BufferedInputStream(ep.asInputStream()));
     * long value = in.readLong();
     * }</pre>
     *
     * @return a new stream over this endpoint
     */
    default java.io.InputStream asInputStream() {
        return java.nio.channels.Channels.newInputStream(asChannel());
    }

    /**
     * This connected endpoint as an {@link java.io.OutputStream}
     * ({@link java.nio.channels.Channels#newOutputStream} over {@link #asChannel()}): each
     * write sends every byte; closing the stream closes the endpoint. Writes are not buffered:
     * wrap it in a {@link java.io.BufferedOutputStream} and flush.
     *
     * <pre>{@code
     * var out = new DataOutputStream(new BufferedOutputStream(ep.asOutputStream()));
     * out.writeLong(42);
     * out.flush();
     * }</pre>
     *
     * @return a new stream over this endpoint
     */
    default java.io.OutputStream asOutputStream() {
        return java.nio.channels.Channels.newOutputStream(asChannel());
    }

    /**
     * A snapshot of this endpoint's counters: bytes and calls of send and recv, RMA operations
     * and bytes by direction, fence calls. Cheap (no lock is taken; the data path is not
     * disturbed) and valid after close, when it holds the final counts.
     *
     * <pre>{@code
     * EndpointMetrics m = ep.metrics();
     * log.info("sent {} B, wrote {} B by RMA", m.bytesSent(), m.rmaWriteBytes());
     * }</pre>
     *
     * @return the counts now
     */
    EndpointMetrics metrics();

    /** {@code scif_close}: idempotent; wakes every call blocked on this endpoint. */
    @Override
    void close();
}
