package org.scif4j.shm.internal;

import java.util.BitSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.scif4j.Errno;
import org.scif4j.NodeIds;
import org.scif4j.ScifException;
import org.scif4j.ScifMemory;
import org.scif4j.shm.ShmOptions;
import org.scif4j.spi.AbstractNode;
import org.scif4j.spi.Call;

/** This process attached as one node of an shm fabric; opens endpoints and closes them all on close. */
public final class ShmNode extends AbstractNode<ShmEndpoint> {
    /** Counts for {@link #metrics()}; each endpoint takes its own from it. */

    /** Open attachments of this JVM, closed by a shutdown hook so that a normal exit leaves nothing behind. */
    private static final Set<ShmNode> OPEN = ConcurrentHashMap.newKeySet();

    /**
     * Attaches run under its read lock, the shutdown hook takes its write lock: so the hook
     * waits for an attach in progress (whose node it then closes with the others), and an attach
     * that starts after it fails, rather than registering with the fabric behind the hook's back
     * and leaving it behind when the JVM ends (Ctrl-C during an attach did).
     */
    private static final ReentrantReadWriteLock ATTACHING = new ReentrantReadWriteLock();
    /** Guarded by ATTACHING. */
    private static boolean shuttingDown;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            ATTACHING.writeLock().lock();
            try {
                shuttingDown = true;
            } finally {
                ATTACHING.writeLock().unlock();
            }
            for (ShmNode n : OPEN) {
                n.close();
            }
        }, "scif4j-shm-shutdown"));
    }

    /**
     * Attaches this process as a node of the fabric {@code options} name.
     *
     * @param options the URI's options
     * @param call    the attach call, for messages
     * @return the node
     * @throws ScifException ENODEV once the JVM is shutting down, or what joining the fabric gives
     */
    public static ShmNode attach(ShmOptions options, String call) throws ScifException {
        ATTACHING.readLock().lock();
        try {
            if (shuttingDown) {
                throw ScifException.of(call, Errno.ENODEV, "the JVM is shutting down");
            }
            Waiter.checkSettings(call);
            Fabric fabric = Fabric.acquire(options, call);
            try {
                return new ShmNode(options, fabric);
            } catch (RuntimeException e) {
                fabric.release();
                throw e;
            }
        } finally {
            ATTACHING.readLock().unlock();
        }
    }

    private final ShmOptions options;
    private final Fabric fabric;
    private final Waiter waiter;
    private final DmaEngine dma;

    /**
     * @param options the URI's options
     * @param fabric  this JVM's attachment to the fabric, with a reference taken for this node
     */
    private ShmNode(ShmOptions options, Fabric fabric) {
        this.options = options;
        this.fabric = fabric;
        this.waiter = new Waiter(options.waitMode(), fabric.file());
        this.dma = new DmaEngine(options.dmaThreads(), "scif4j-" + options.name() + "-node" + options.node());
        fabric.attachNode(options.node());
        OPEN.add(this);
    }

    @Override
    public int selfId() {
        return options.node();
    }

    @Override
    public NodeIds nodeIds() throws ScifException {
        checkOpen("nodeIds()");
        fabric.enter();
        try {
            return new NodeIds(selfId(), fabric.onlineNodes());
        } finally {
            fabric.exit();
        }
    }

    /** {@inheritDoc} What {@link #nodeIds()} reads, without allocating. */
    @Override
    protected boolean onlineNodes(boolean due, BitSet into) throws ScifException {
        checkOpen("nodeIds()");
        fabric.enter();
        try {
            fabric.onlineNodes(into);
            return true;
        } finally {
            fabric.exit();
        }
    }

    @Override
    protected ShmEndpoint openEndpoint() throws ScifException {
        int slot;
        fabric.enter();
        fabric.lock();
        try {
            while (true) { // again if the lock was pre-empted while this process was stopped (Fabric.commit)
                try {
                    slot = fabric.endpoints().slots().allocLocked(selfId());
                    fabric.commit();
                    break;
                } catch (Fabric.Preempted e) {
                    // the lock is held again, and the tables changed: read them again
                }
            }
        } finally {
            fabric.unlock();
            fabric.exit();
        }
        if (slot < 0) {
            throw ScifException.of("open()", Errno.ENOMEM, "the fabric's endpoint table is full ("
                + FabricDescriptor.MAX_ENDPOINTS + " endpoints)");
        }
        return new ShmEndpoint(this, slot);
    }

    @Override
    protected ScifMemory allocatePages(long bytes, Call call) throws ScifException {
        fabric.enter();
        try {
            return new ShmMemory(fabric.memory(), fabric.memory().allocate(bytes, call));
        } finally {
            fabric.exit();
        }
    }

    @Override
    protected void detach() {
        dma.stop();
        fabric.detachNode(selfId());
        fabric.release();
        OPEN.remove(this);
    }

    ShmOptions options() {
        return options;
    }

    Fabric fabric() {
        return fabric;
    }

    Waiter waiter() {
        return waiter;
    }

    DmaEngine dma() {
        return dma;
    }

    @Override
    public String toString() {
        return "ShmNode[" + options.name() + " node " + selfId() + ", " + endpoints().size() + " endpoints"
            + (isClosed() ? ", closed" : "") + "]";
    }
}
