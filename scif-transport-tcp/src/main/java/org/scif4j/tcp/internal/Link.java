package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * One TCP connection between this node and a peer node: its identity, its handshake and its
 * death. A node sends every SCIF frame for a peer over the link it opened to that peer (its
 * outbound link), so frames to one node keep their order; on the links peers opened to it, it
 * writes only link frames (handshake, heartbeat, goodbye). Frames written before the handshake
 * finished are held and go out in order when it does.
 *
 * <p>How frames go out is {@link LinkWriter}'s job (batched for the event loop, or written by
 * the sender itself); who reads the socket is {@link LinkReader}'s (the event loop, or a user
 * thread while it waits).
 */
final class Link {
    /** Null for a link made dead, never opened, while the node closes (Links.outbound). */
    final Channel channel;
    /** Whether this node opened the link. */
    final boolean outbound;
    /** The node at the other end: known up front when outbound, from its HELLO when inbound. */
    volatile int peerNode;
    /** The peer's incarnation (random per attachment), from the handshake. */
    volatile long peerIncarnation;
    /** Completes with this link when the handshake succeeded, or exceptionally when it failed. */
    final CompletableFuture<Link> opened = new CompletableFuture<>();
    /** Completes when the peer acknowledged our BYE, or the link closed. */
    final CompletableFuture<Void> goodbye = new CompletableFuture<>();
    /** Writes this link's frames. */
    final LinkWriter writer;
    /** Reads this link's socket and keeps its stream position. */
    final LinkReader reader;

    /** Guarded by this. */
    private boolean open;
    /** Guarded by this. */
    private boolean dead;

    /**
     * @param timer the node's take-back timer; used (and required) only by an inbound NIO link,
     *              the kind user threads may read
     * @param clock the node's clock for liveness (System.nanoTime but in tests)
     */
    Link(Channel channel, boolean outbound, int peerNode, TakeBackTimer timer, LongSupplier clock) {
        this.channel = channel;
        this.outbound = outbound;
        this.peerNode = peerNode;
        this.writer = new LinkWriter(channel);
        this.reader = new LinkReader(channel, outbound, timer, clock);
    }

    /** Writes a frame, or holds it until the handshake is done; drops it once the link is dead. */
    void write(ByteBuf frame) {
        synchronized (this) {
            if (dead) {
                frame.release();
                return;
            }
            if (!open) {
                writer.hold(frame);
                return;
            }
        }
        writer.send(frame);
    }

    /**
     * Sends the next {@code n} bytes of {@code src} (its position moves past them) as DATA
     * frames for the peer's endpoint {@code dst}: straight from {@code src} when the sender may
     * write to the socket itself and nothing is queued before them, else copied into frames
     * (see {@link LinkWriter#writeDataDirect}); either way {@code src} is free again on return.
     * The first frame gives back {@code credit} (ConnectionWire.DATA_CREDIT).
     */
    void writeData(ByteBufAllocator alloc, ByteBuffer src, long dst, int credit, int n) {
        if (src.isDirect() && isOpen()) {
            // Racing with the link's death is harmless: a write to a closed socket is dropped.
            int taken = writer.writeDataDirect(src, dst, credit, n);
            if (taken == n) {
                return;
            }
            if (taken > 0) {
                credit = 0; // it went with the first frame
                n -= taken;
            }
        }
        write(ConnectionWire.dataFrames(alloc, src, dst, credit, n));
    }

    /**
     * Writes frames gathered from {@code parts} in one gathering write when the sender may (see
     * {@link LinkWriter#writeFramesDirect}); the parts are free again on return.
     *
     * @return how many frames, from the first, are taken care of; the caller sends the rest
     *         with {@link #write}
     */
    int writeFramesDirect(ByteBuffer[] parts, int[] frameEnds, int frames) {
        // Racing with the link's death is harmless: a write to a closed socket is dropped.
        return isOpen() ? writer.writeFramesDirect(parts, frameEnds, frames) : 0;
    }

    /** The handshake succeeded: flushes held frames in order. Runs on the link's event loop. */
    void markOpen() {
        synchronized (this) {
            if (dead) {
                return;
            }
            writer.writeHeld();
            open = true;
        }
        channel.flush();
        if (outbound) {
            writer.startDirect(); // on NIO and epoll; see LinkWriter
        }
        opened.complete(this);
    }

    /** @return whether the handshake finished and the link has not died */
    synchronized boolean isOpen() {
        return open && !dead;
    }

    /** The link is gone: releases held frames and fails whoever waits for it. */
    void markDead(String reason) {
        synchronized (this) {
            dead = true;
            writer.releaseHeld();
        }
        reader.linkDead();
        opened.completeExceptionally(new IllegalStateException(reason));
        goodbye.complete(null);
    }

    @Override
    public String toString() {
        return "Link[" + (outbound ? "to" : "from") + " node " + peerNode + " "
            + (channel == null ? "(never opened)" : channel.remoteAddress()) + "]";
    }
}
