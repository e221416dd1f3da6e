package org.scif4j.spi;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.scif4j.Errno;
import org.scif4j.NodeEvent;
import org.scif4j.NodeListener;
import org.scif4j.NodeSubscription;
import org.scif4j.ScifException;

/**
 * The node events of one node attachment: which other nodes are online, watched on one daemon
 * thread that runs only while a {@link NodeSubscription} is open, and told to every
 * {@link NodeListener} as ONLINE/OFFLINE changes.
 *
 * <p>A transport feeds it two ways: a {@link Probe} that reads the online set (called each
 * period, and whenever woken), and {@link #report(int, boolean)} for a change it saw happen
 * (tcp: a link opened, a node lost), which is applied in order before the next probe, so that
 * a node that went offline and came back between two probes is still reported twice.
 *
 * <p>Delivery: the event thread alone calls listeners, one event at a time, so for each node id
 * ONLINE and OFFLINE alternate. A new listener is first told ONLINE for each node online when it
 * joins, then every later change. An exception a listener throws is logged; it stops nothing.
 *
 * <p>Invariants (guarded by {@code lock}): a subscription is in {@code joining} or
 * {@code active} exactly while it is open; the thread exists exactly while one of them is
 * non-empty and the source is not closed (it clears {@code thread} itself, under the lock, when
 * it finds them empty, so a subscribe either sees it running or starts a new one); a listener is
 * called only while its subscription is open and {@code delivering} names it, and whoever closes
 * it waits until {@code delivering} no longer does (the event thread signals after each call).
 *
 * <p>An idle poll allocates nothing (it runs every period for as long as anyone listens): the
 * event thread owns its buffers ({@link Poller}: the nodes it told, the probe's answer, their
 * difference, the drained reports), made once when it starts and touched by no other thread; it
 * waits by parking, not on {@code changed} (a condition's wait allocates a node each time), so
 * whoever changes what it waits for ({@code joining}, {@code active}, {@code reports},
 * {@code closed}) does so under the lock and then calls {@link #wake()}, which unparks it: it
 * reads that state under the lock before it parks, and an unpark that comes between its check
 * and its park leaves the permit that makes the park return at once, so no wake-up is lost. Only
 * a delivered event allocates (the event, the list of listeners it goes to).
 */
public final class NodeEventSource {
    /** How a transport reads which nodes are online. */
    @FunctionalInterface
    public interface Probe {
        /**
         * Reads the online nodes; called on the event thread only, every period for as long as
         * anyone listens, so it should allocate nothing.
         *
         * @param due  true once per period (a transport may then reach out to nodes it has not
         *             heard from), false when woken by a subscription or a report
         * @param into empty on entry: set the online node ids in it (the attachment's own id is
         *             ignored); owned by the event thread, so it must not be kept
         * @return true when {@code into} holds the online nodes, false when the transport tells
         *         changes only through {@link #report} ({@code into} is then ignored)
         * @throws ScifException when the nodes cannot be read now (logged; tried again next period)
         */
        boolean online(boolean due, BitSet into) throws ScifException;
    }

    private static final System.Logger LOG = System.getLogger("org.scif4j.events");

    private final String threadName;
    private final int self;
    private final Probe probe;
    private final long periodNanos;
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled on every change of the guarded state below (the event thread parks instead: {@link #wake()}). */
    private final Condition changed = lock.newCondition();
    private final List<Subscription> joining = new ArrayList<>();
    private final List<Subscription> active = new ArrayList<>();
    /** Reported changes not yet applied: node id * 2 + (1 if online). */
    private final ArrayDeque<Integer> reports = new ArrayDeque<>();
    private boolean closed;
    private Thread thread;
    private Subscription delivering;
    private String lastProbeFailure;

    /**
     * @param threadName   the event thread's name, e.g. {@code scif4j-node-events-shm-demo-node0}
     * @param self         the attachment's own node id, never reported
     * @param probe        how to read the online nodes
     * @param periodMillis how often to probe: the transport's liveness period
     */
    public NodeEventSource(String threadName, int self, Probe probe, long periodMillis) {
        this.threadName = threadName;
        this.self = self;
        this.probe = probe;
        this.periodNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(1, periodMillis));
    }

    /**
     * Registers a listener and starts the event thread if it is not running.
     *
     * @param listener told of every change from now on, after the nodes online now
     * @return the subscription; closing it stops delivery
     * @throws ScifException EINVAL for a null listener, EBADF once the node is closed
     */
    public NodeSubscription subscribe(NodeListener listener) throws ScifException {
        if (listener == null) {
            throw ScifException.of("addNodeListener(listener=null)", Errno.EINVAL, "a listener is required");
        }
        lock.lock();
        try {
            if (closed) {
                throw ScifException.of("addNodeListener(" + listener + ")", Errno.EBADF,
                    "the node attachment is closed");
            }
            Subscription s = new Subscription(listener);
            joining.add(s);
            wake();
            if (thread == null) {
                thread = new Thread(this::run, threadName);
                thread.setDaemon(true);
                thread.start();
            }
            return s;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A change the transport saw happen; applied in order, before the next probe. Cheap and
     * lock-short: callable from an I/O thread. Dropped when nobody listens (a new thread starts
     * from a probe).
     *
     * @param node   the node id
     * @param online whether it is online now
     */
    public void report(int node, boolean online) {
        if (node < 0 || node == self) {
            return;
        }
        lock.lock();
        try {
            if (thread != null) {
                reports.add(node * 2 + (online ? 1 : 0));
                wake();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Closes every subscription and waits for the event thread to end (unless called on it: then
     * it ends after the event in progress). Idempotent; the node calls it before closing its
     * endpoints, so no probe runs against a node being torn down.
     */
    public void close() {
        Thread t;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            for (Subscription s : joining) {
                s.open = false;
            }
            for (Subscription s : active) {
                s.open = false;
            }
            joining.clear();
            active.clear();
            wake();
            t = thread;
            if (t == null || t == Thread.currentThread()) {
                return;
            }
            while (thread == t) {
                changed.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
        joinQuietly(t);
    }

    // ---------------------------------------------------------------- the event thread

    /** Under the lock, after a change of what the event thread waits for: signals the other waiters and unparks it. */
    private void wake() {
        changed.signalAll();
        if (thread != null) {
            LockSupport.unpark(thread);
        }
    }

    /**
     * What the event thread keeps between polls, made when it starts and confined to it (a new
     * thread, after the last one ended, makes its own: it starts from a probe).
     */
    private static final class Poller {
        /** The nodes the listeners were told are online. */
        final BitSet known = new BitSet();
        /** The probe's answer. */
        final BitSet now = new BitSet();
        /** {@code known} xor {@code now}: the nodes whose state changed. */
        final BitSet differ = new BitSet();
        /** The reports taken from {@code reports} for this poll, {@code drainedCount} of them. */
        int[] drained = new int[8];
        int drainedCount;

        /** Takes the pending reports, in order; call under the lock. Grows only when reports pile up. */
        void drain(ArrayDeque<Integer> reports) {
            if (reports.size() > drained.length) {
                drained = new int[Math.max(reports.size(), 2 * drained.length)];
            }
            drainedCount = 0;
            for (Integer r; (r = reports.poll()) != null; ) {
                drained[drainedCount++] = r;
            }
        }
    }

    private void run() {
        Poller p = new Poller();
        boolean due = true; // the first round reads the nodes in full
        long nextDue = System.nanoTime() + periodNanos;
        while (true) {
            lock.lock();
            try {
                while (!due && reports.isEmpty() && joining.isEmpty() && !active.isEmpty() && !closed) {
                    long left = nextDue - System.nanoTime();
                    if (left <= 0) {
                        due = true;
                    } else {
                        // Parks with the lock released; the state is read again under it (see wake).
                        lock.unlock();
                        try {
                            LockSupport.parkNanos(this, left);
                            // nobody but close has business with this thread (and close does not
                            // interrupt): a listener's interrupt must not make the park spin
                            Thread.interrupted();
                        } finally {
                            lock.lock();
                        }
                    }
                }
                if (closed || (active.isEmpty() && joining.isEmpty())) {
                    thread = null;
                    changed.signalAll();
                    return;
                }
                p.drain(reports);
            } finally {
                lock.unlock();
            }
            for (int i = 0; i < p.drainedCount; i++) {
                int c = p.drained[i];
                apply(p.known, c >>> 1, (c & 1) != 0);
            }
            p.now.clear();
            if (probe(due, p.now)) {
                applySnapshot(p);
            }
            if (due) {
                due = false;
                nextDue = System.nanoTime() + periodNanos;
            }
            welcomeNewcomers(p.known);
        }
    }

    /** @return whether {@code into} now holds the online nodes */
    private boolean probe(boolean due, BitSet into) {
        lock.lock();
        try {
            if (closed) {
                return false; // the node is being torn down: read nothing of it
            }
        } finally {
            lock.unlock();
        }
        try {
            boolean read = probe.online(due, into);
            lastProbeFailure = null;
            return read;
        } catch (ScifException | RuntimeException e) {
            String why = String.valueOf(e.getMessage());
            if (!why.equals(lastProbeFailure)) { // say it once, not every period
                LOG.log(System.Logger.Level.WARNING, "scif4j: " + threadName + " cannot read the online nodes: " + e);
                lastProbeFailure = why;
            }
            return false;
        }
    }

    /** Tells the listeners every difference between {@code p.known} and the probe's {@code p.now}, by node id. */
    private void applySnapshot(Poller p) {
        if (self >= 0) {
            p.now.clear(self);
        }
        p.differ.clear();
        p.differ.or(p.known);
        p.differ.xor(p.now);
        for (int n = p.differ.nextSetBit(0); n >= 0; n = p.differ.nextSetBit(n + 1)) {
            apply(p.known, n, p.now.get(n));
        }
    }

    private void apply(BitSet known, int node, boolean online) {
        if (known.get(node) == online) {
            return;
        }
        known.set(node, online);
        NodeEvent event = new NodeEvent(node, online ? NodeEvent.Kind.ONLINE : NodeEvent.Kind.OFFLINE, Instant.now());
        List<Subscription> to;
        lock.lock();
        try {
            to = new ArrayList<>(active);
        } finally {
            lock.unlock();
        }
        for (Subscription s : to) {
            deliver(s, event);
        }
    }

    /** Newcomers hear of every node online now, then join the others for what follows. */
    private void welcomeNewcomers(BitSet known) {
        List<Subscription> newcomers;
        lock.lock();
        try {
            if (joining.isEmpty()) {
                return; // the common case, every idle poll: nothing to copy
            }
            newcomers = new ArrayList<>(joining);
            joining.clear();
            active.addAll(newcomers);
        } finally {
            lock.unlock();
        }
        if (newcomers.isEmpty()) {
            return;
        }
        Instant now = Instant.now();
        for (int n = known.nextSetBit(0); n >= 0; n = known.nextSetBit(n + 1)) {
            NodeEvent event = new NodeEvent(n, NodeEvent.Kind.ONLINE, now);
            for (Subscription s : newcomers) {
                deliver(s, event);
            }
        }
    }

    private void deliver(Subscription s, NodeEvent event) {
        lock.lock();
        try {
            if (!s.open) {
                return;
            }
            delivering = s;
        } finally {
            lock.unlock();
        }
        try {
            s.listener.onNodeEvent(event);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) { // a listener's failure is its own: later events still go out
            LOG.log(System.Logger.Level.WARNING, "scif4j: node listener " + s.listener + " failed on " + event, e);
        } finally {
            lock.lock();
            try {
                delivering = null;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    private static void joinQuietly(Thread t) {
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        lock.lock();
        try {
            return "NodeEventSource[" + threadName + ", " + (joining.size() + active.size()) + " subscriptions"
                + (thread != null ? ", running" : "") + (closed ? ", closed" : "") + "]";
        } finally {
            lock.unlock();
        }
    }

    /** One listener's registration. */
    private final class Subscription implements NodeSubscription {
        private final NodeListener listener;
        /** Guarded by lock. */
        private boolean open = true;

        Subscription(NodeListener listener) {
            this.listener = listener;
        }

        @Override
        public boolean isOpen() {
            lock.lock();
            try {
                return open;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() {
            Thread t;
            lock.lock();
            try {
                if (!open) {
                    return;
                }
                open = false;
                joining.remove(this);
                active.remove(this);
                wake();
                t = thread;
                if (t == null || t == Thread.currentThread()) {
                    return; // no thread, or the listener closes itself: it finishes this event
                }
                while (delivering == this) {
                    changed.awaitUninterruptibly();
                }
                // The last one out waits for the thread to end, unless someone subscribed meanwhile.
                while (thread == t && joining.isEmpty() && active.isEmpty()) {
                    changed.awaitUninterruptibly();
                }
                if (thread == t) {
                    return;
                }
            } finally {
                lock.unlock();
            }
            joinQuietly(t);
        }

        @Override
        public String toString() {
            return "NodeSubscription[" + listener + (isOpen() ? "" : ", closed") + "]";
        }
    }
}
