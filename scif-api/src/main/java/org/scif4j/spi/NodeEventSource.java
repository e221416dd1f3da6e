package org.scif4j.spi;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
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
 */
public final class NodeEventSource {
    /** How a transport reads which nodes are online. */
    @FunctionalInterface
    public interface Probe {
        /**
         * Reads the online nodes; called on the event thread only.
         *
         * @param due true once per period (a transport may then reach out to nodes it has not
         *            heard from), false when woken by a subscription or a report
         * @return the online node ids in any order (the attachment's own id is ignored), or null
         *         when the transport tells changes only through {@link #report}
         * @throws ScifException when the nodes cannot be read now (logged; tried again next period)
         */
        int[] online(boolean due) throws ScifException;
    }

    private static final System.Logger LOG = System.getLogger("org.scif4j.events");

    private final String threadName;
    private final int self;
    private final Probe probe;
    private final long periodNanos;
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled on every change of the guarded state below. */
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
            changed.signalAll();
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
                changed.signalAll();
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
            changed.signalAll();
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

    private void run() {
        BitSet known = new BitSet();
        boolean due = true; // the first round reads the nodes in full
        long nextDue = System.nanoTime() + periodNanos;
        while (true) {
            List<Integer> changes = new ArrayList<>();
            lock.lock();
            try {
                while (!due && reports.isEmpty() && joining.isEmpty() && !active.isEmpty() && !closed) {
                    long left = nextDue - System.nanoTime();
                    if (left <= 0) {
                        due = true;
                    } else {
                        try {
                            changed.awaitNanos(left);
                        } catch (InterruptedException e) {
                            // nobody but close has business with this thread; it re-checks below
                        }
                    }
                }
                if (closed || (active.isEmpty() && joining.isEmpty())) {
                    thread = null;
                    changed.signalAll();
                    return;
                }
                changes.addAll(reports);
                reports.clear();
            } finally {
                lock.unlock();
            }
            for (int c : changes) {
                apply(known, c >>> 1, (c & 1) != 0);
            }
            int[] online = probe(due);
            if (online != null) {
                applySnapshot(known, online);
            }
            if (due) {
                due = false;
                nextDue = System.nanoTime() + periodNanos;
            }
            welcomeNewcomers(known);
        }
    }

    private int[] probe(boolean due) {
        lock.lock();
        try {
            if (closed) {
                return null; // the node is being torn down: read nothing of it
            }
        } finally {
            lock.unlock();
        }
        try {
            int[] online = probe.online(due);
            lastProbeFailure = null;
            return online;
        } catch (ScifException | RuntimeException e) {
            String why = String.valueOf(e.getMessage());
            if (!why.equals(lastProbeFailure)) { // say it once, not every period
                LOG.log(System.Logger.Level.WARNING, "scif4j: " + threadName + " cannot read the online nodes: " + e);
                lastProbeFailure = why;
            }
            return null;
        }
    }

    private void applySnapshot(BitSet known, int[] online) {
        BitSet now = new BitSet();
        for (int n : online) {
            if (n >= 0 && n != self) {
                now.set(n);
            }
        }
        BitSet differ = (BitSet) known.clone();
        differ.xor(now);
        for (int n = differ.nextSetBit(0); n >= 0; n = differ.nextSetBit(n + 1)) {
            apply(known, n, now.get(n));
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
                changed.signalAll();
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
