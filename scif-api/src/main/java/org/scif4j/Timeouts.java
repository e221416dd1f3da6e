package org.scif4j;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The timed overloads of {@link Endpoint}, built only on the SCIF calls every transport has:
 * the non-blocking forms and {@link Scif#poll}. Waiting is always in poll (or, for fenceWait,
 * in a parked helper thread): no core spins while nothing happens.
 */
final class Timeouts {
    private Timeouts() {
    }

    /** @return the deadline in {@link System#nanoTime()} terms, saturated */
    static long deadline(String call, Duration timeout) throws ScifException {
        if (timeout == null || timeout.isNegative()) {
            throw ScifException.of(call, Errno.EINVAL, "timeout is " + timeout
                + "; expected zero or a positive duration");
        }
        long now = System.nanoTime();
        long nanos = timeout.compareTo(Duration.ofDays(365 * 100)) > 0 ? Long.MAX_VALUE / 2
            : timeout.toNanos();
        return now + nanos;
    }

    /**
     * Polls {@code ep} for {@code events} until the deadline.
     *
     * @return the revents, 0 when the deadline passed
     */
    static int await(Endpoint ep, int events, long deadline) throws ScifException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            return 0;
        }
        // Round up so that a sub-millisecond remainder sleeps instead of polling with 0.
        long millis = TimeUnit.NANOSECONDS.toMillis(left + 999_999);
        PollItem[] item = {new PollItem(ep, events)};
        Scif.poll(item, millis);
        return item[0].revents();
    }

    /** send or recv of every remaining byte, until the deadline; see the Endpoint overloads. */
    static int transfer(Endpoint ep, ByteBuffer buf, Duration timeout, boolean send)
        throws ScifException {
        String call = (send ? "send" : "recv") + "(len=" + (buf == null ? -1 : buf.remaining())
            + ", timeout=" + timeout + ")";
        long deadline = deadline(call, timeout);
        int moved = 0;
        while (true) {
            try {
                moved += send ? ep.send(buf, 0) : ep.recv(buf, 0);
                if (!buf.hasRemaining()) {
                    return moved;
                }
                int revents = await(ep, send ? Scif.POLLOUT : Scif.POLLIN, deadline);
                if (revents == 0 && System.nanoTime() - deadline >= 0) {
                    if (moved > 0) {
                        return moved;
                    }
                    throw ScifException.of(call, Errno.ETIMEDOUT, "no byte could be "
                        + (send ? "sent" : "received") + " within " + timeout);
                }
            } catch (ScifException e) {
                // As a blocking scif_send/scif_recv ended by a signal or a disconnection: the
                // bytes already moved are reported, the error only when there were none.
                if (moved > 0 && e.errno() != Errno.EINVAL && e.errno() != Errno.EFAULT) {
                    return moved;
                }
                throw e;
            }
        }
    }

    /** accept until the deadline. */
    static Endpoint accept(Endpoint ep, Duration timeout) throws ScifException {
        String call = "accept(timeout=" + timeout + ")";
        long deadline = deadline(call, timeout);
        while (true) {
            try {
                return ep.accept(0);
            } catch (ScifException e) {
                if (e.errno() != Errno.EAGAIN) {
                    throw e;
                }
            }
            if (await(ep, Scif.POLLIN, deadline) == 0 && System.nanoTime() - deadline >= 0) {
                throw ScifException.of(call, Errno.ETIMEDOUT, "no connection request arrived"
                    + " within " + timeout);
            }
        }
    }

    /** connect as a non-blocking scif_connect collected with poll; see the Endpoint overload. */
    static int connect(Endpoint ep, PortId peer, Duration timeout) throws ScifException {
        String call = "connect(peer=" + peer + ", timeout=" + timeout + ")";
        long deadline = deadline(call, timeout);
        boolean wasBlocking = ep.isBlocking();
        if (wasBlocking) {
            ep.configureBlocking(false);
        }
        try {
            while (true) {
                try {
                    return ep.connect(peer);
                } catch (ScifException e) {
                    if (e.errno() != Errno.EINPROGRESS) {
                        throw e;
                    }
                }
                if (await(ep, Scif.POLLOUT, deadline) == 0
                    && System.nanoTime() - deadline >= 0) {
                    throw ScifException.of(call, Errno.ETIMEDOUT, "the listener did not accept"
                        + " within " + timeout + "; the handshake goes on as a non-blocking"
                        + " connect's does: connect again to collect its result, or close");
                }
            }
        } finally {
            if (wasBlocking) {
                restoreBlocking(ep);
            }
        }
    }

    private static void restoreBlocking(Endpoint ep) {
        try {
            ep.configureBlocking(true);
        } catch (ScifException closed) {
            // EBADF: the endpoint was closed meanwhile, the mode no longer matters.
        }
    }

    /** fenceWait in a parked helper thread, interrupted (EINTR) when the deadline passes. */
    static void fenceWait(Endpoint ep, int mark, Duration timeout) throws ScifException {
        String call = "fenceWait(mark=" + mark + ", timeout=" + timeout + ")";
        long deadline = deadline(call, timeout);
        FutureTask<Void> wait = new FutureTask<>(() -> {
            ep.fenceWait(mark);
            return null;
        });
        // A thread of its own, not a pool's: it ends with the wait (or with the EINTR of the
        // interrupt at the deadline), so nothing of scif4j outlives the endpoint's calls.
        Thread waiter = new Thread(wait, "scif4j-fence-wait-timeout");
        waiter.setDaemon(true);
        waiter.start();
        try {
            wait.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            if (!wait.cancel(true)) {
                fenceWait(ep, mark, Duration.ZERO); // it ended meanwhile: report how
                return;
            }
            throw ScifException.of(call, Errno.ETIMEDOUT, "the RMAs of the mark did not"
                + " complete within " + timeout + " (the mark stays valid: wait again)");
        } catch (InterruptedException e) {
            wait.cancel(true);
            Thread.currentThread().interrupt();
            throw ScifException.of(call, Errno.EINTR, "interrupted while waiting");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ScifException se) {
                throw new ScifException(se.errno(), se.getMessage(), se);
            }
            throw new IllegalStateException(call + ": fenceWait failed unexpectedly", e.getCause());
        }
    }
}
