package org.scif4j.shm.internal;

import org.scif4j.spi.Arguments;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.NodeIds;
import org.scif4j.ScifException;
import org.scif4j.ScifMemory;
import org.scif4j.ScifNode;
import org.scif4j.shm.ShmOptions;
import org.scif4j.spi.Call;

/** This process attached as one node of an shm fabric; opens endpoints and closes them all on close. */
public final class ShmNode implements ScifNode {
    /** Open attachments of this JVM, closed by a shutdown hook so that a normal exit leaves nothing behind. */
    private static final Set<ShmNode> OPEN = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (ShmNode n : OPEN) {
                n.close();
            }
        }, "scif4j-shm-shutdown"));
    }

    private final ShmOptions options;
    private final Fabric fabric;
    private final Waiter waiter;
    private final DmaEngine dma;
    private final Set<ShmEndpoint> endpoints = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /**
     * @param options the URI's options
     * @param fabric  this JVM's attachment to the fabric, with a reference taken for this node
     */
    public ShmNode(ShmOptions options, Fabric fabric) {
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

    @Override
    public Endpoint open() throws ScifException {
        checkOpen("open()");
        int slot;
        fabric.enter();
        fabric.lock();
        try {
            slot = fabric.endpoints().allocLocked(selfId());
        } finally {
            fabric.unlock();
            fabric.exit();
        }
        if (slot < 0) {
            throw ScifException.of("open()", Errno.ENOMEM, "the fabric's endpoint table is full ("
                + FabricDescriptor.MAX_ENDPOINTS + " endpoints)");
        }
        ShmEndpoint e = new ShmEndpoint(this, slot);
        adopt(e);
        if (closed) { // closed concurrently: do not leak the endpoint
            e.close();
            checkOpen("open()");
        }
        return e;
    }

    @Override
    public ScifMemory allocate(long bytes) throws ScifException {
        Call call = Call.of("allocate", "bytes", bytes);
        checkOpen(call.text());
        long rounded = Arguments.allocate(bytes, call);
        fabric.enter();
        try {
            return new ShmMemory(fabric.memory(), fabric.memory().allocate(rounded, call));
        } finally {
            fabric.exit();
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        for (ShmEndpoint e : endpoints) {
            e.close();
        }
        dma.stop();
        fabric.detachNode(selfId());
        fabric.release();
        OPEN.remove(this);
    }

    /** @return whether close has begun; an endpoint adopted after it must close itself (see open) */
    boolean isClosed() {
        return closed;
    }

    void adopt(ShmEndpoint e) {
        endpoints.add(e);
    }

    void forget(ShmEndpoint e) {
        endpoints.remove(e);
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

    private void checkOpen(String call) throws ScifException {
        if (closed) {
            throw ScifException.of(call, Errno.EBADF, "the node attachment is closed");
        }
    }

    @Override
    public String toString() {
        return "ShmNode[" + options.name() + " node " + selfId() + ", " + endpoints.size() + " endpoints"
            + (closed ? ", closed" : "") + "]";
    }
}
