package org.scif4j.shm.internal;

import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

/**
 * A node's emulated DMA engine: {@code dma=K} channels, each a thread that runs the operations
 * queued on it in order. Every endpoint is given one channel when it connects (round robin),
 * so its RMAs complete in the order they were submitted, which the fences rely on. A large
 * copy is split across all K threads: its channel queues the other parts on the other
 * channels, does its own, then takes back any part nobody has started, as a multi-channel DMA
 * controller shares a big descriptor.
 */
final class DmaEngine {
    /** Transfers at least this long are split across the engine's threads. */
    static final long SPLIT_BYTES = 1 << 20;
    /** How long an idle channel polls its queue before it blocks. */
    private static final long SPIN_NANOS = 50_000;

    /** Work queued on a channel. */
    interface Op {
        /** Runs on the channel's thread. */
        void run();
    }

    /**
     * A part of a split copy: run by whoever claims it first. Each channel reuses its own parts
     * for every copy it splits, so splitting allocates nothing. A part may still sit in another
     * channel's queue from an earlier copy: whoever takes it then can only claim what is
     * published now (fields are set before {@code claimed} is cleared), so it either runs the
     * current part once or finds it taken.
     */
    private static final class Part implements Op {
        Transfer transfer;
        long from;
        long to;
        AtomicInteger pending;
        Thread waiter;
        final AtomicBoolean claimed = new AtomicBoolean(true);

        void publish(Transfer t, long from, long to, AtomicInteger pending, Thread waiter) {
            this.transfer = t;
            this.from = from;
            this.to = to;
            this.pending = pending;
            this.waiter = waiter;
            claimed.set(false); // volatile: publishes the fields above
        }

        @Override
        public void run() {
            if (claimed.compareAndSet(false, true)) {
                transfer.copy(from, to);
                if (pending.decrementAndGet() == 0) {
                    LockSupport.unpark(waiter);
                }
            }
        }
    }

    private final Channel[] channels;
    private final AtomicInteger next = new AtomicInteger();
    private volatile boolean stopped;

    DmaEngine(int threads, String name) {
        channels = new Channel[threads];
        for (int i = 0; i < threads; i++) {
            channels[i] = new Channel(name + "-dma-" + i, i);
        }
    }

    /** @return a channel for a new connection, round robin */
    Channel assign() {
        return channels[Math.floorMod(next.getAndIncrement(), channels.length)];
    }

    /** Copies {@code t} on channel {@code self}, splitting large transfers; returns when done. */
    void copy(Transfer t, Channel self) {
        int k = channels.length;
        if (k == 1 || t.length < SPLIT_BYTES) {
            t.copyAll();
            return;
        }
        boolean ordered = (t.flags & org.scif4j.Scif.RMA_ORDERED) != 0 && t.length > 64;
        long body = ordered ? t.tailStart() : t.length;
        long chunk = ((body / k) + 4095) & ~4095L;
        AtomicInteger pending = self.pending;
        Part[] parts = self.parts;
        int n = 0;
        for (long from = chunk; from < body && n < parts.length; from += chunk) {
            long to = n == parts.length - 1 ? body : Math.min(body, from + chunk);
            pending.incrementAndGet();
            parts[n].publish(t, from, to, pending, Thread.currentThread());
            if (!channels[(self.index + 1 + n) % k].offer(parts[n])) {
                parts[n].run(); // that channel is full: do the part here
            }
            n++;
        }
        t.copy(0, Math.min(chunk, body));
        for (int i = 0; i < n; i++) {
            parts[i].run(); // take back what nobody started
        }
        while (pending.get() > 0) {
            LockSupport.parkNanos(this, 100_000);
        }
        if (body < t.length) {
            Memory.storeFence();
            t.copy(body, t.length);
        }
    }

    /** Stops every thread once its queue is empty, and waits for them to end. */
    void stop() {
        stopped = true;
        for (Channel c : channels) {
            LockSupport.unpark(c.thread);
        }
        for (Channel c : channels) {
            try {
                c.thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * One DMA channel: a bounded many-to-one queue (Agrona's, lock-free and allocation-free)
     * and the thread that runs it.
     *
     * <p>Parking without a lost wake-up: the channel thread sets {@code parked} (volatile) and
     * then looks at the queue once more before it parks; a submitter offers and then reads
     * {@code parked}, unparking the thread if set. Either the thread's last look sees the
     * operation, or the submitter sees {@code parked} and unparks it. That needs a full fence
     * between the offer and the read ({@link #wakeIfParked}): Agrona's offer publishes the
     * element with a release store only, which the later load may pass (store-load reordering),
     * and an operation then sat in the queue of a parked channel until the next submit (found
     * by a stress test: one 8-byte RMA_SYNC in ~50,000 timed out).
     */
    final class Channel {
        private final ManyToOneConcurrentArrayQueue<Op> queue = new ManyToOneConcurrentArrayQueue<>(4096);
        private final Thread thread;
        private final int index;
        /** The parts this channel lends out when it splits a copy; reused every time. */
        private final Part[] parts;
        private final AtomicInteger pending = new AtomicInteger();
        private volatile boolean parked;

        Channel(String name, int index) {
            this.index = index;
            this.parts = new Part[channels.length - 1];
            for (int i = 0; i < parts.length; i++) {
                parts[i] = new Part();
            }
            thread = new Thread(this::loop, name);
            thread.setDaemon(true);
            thread.start();
        }

        /** Queues an operation; while the channel is full, waits for room (backpressure). */
        void submit(Op op) throws InterruptedException {
            while (!queue.offer(op)) {
                if (Thread.interrupted()) {
                    throw new InterruptedException("the DMA channel was full");
                }
                Thread.yield();
            }
            wakeIfParked();
        }

        /** After an offer: the fence orders it before the read of {@code parked} (see the class comment). */
        private void wakeIfParked() {
            VarHandle.fullFence();
            if (parked) {
                LockSupport.unpark(thread);
            }
        }

        /** Queues an operation if there is room, waking the channel; @return whether it was queued */
        boolean offer(Op op) {
            if (!queue.offer(op)) {
                return false;
            }
            wakeIfParked();
            return true;
        }

        /**
         * The next operation, or null once stopped and drained: spins a little before it parks,
         * as a real engine polls its descriptor ring, so a stream of small RMAs costs no wake-up.
         */
        private Op next() {
            long spinUntil = 0;
            for (int i = 0;; i++) {
                Op op = queue.poll();
                if (op != null) {
                    return op;
                }
                if (stopped) {
                    return null;
                }
                if ((i & 63) == 0) {
                    long now = System.nanoTime();
                    if (spinUntil == 0) {
                        spinUntil = now + SPIN_NANOS;
                    } else if (now - spinUntil > 0) {
                        parked = true;
                        op = queue.poll(); // the last look, after announcing the park
                        if (op == null && !stopped) {
                            LockSupport.park(this);
                        }
                        parked = false;
                        if (op != null) {
                            return op;
                        }
                        spinUntil = 0;
                        continue;
                    }
                }
                Thread.onSpinWait();
            }
        }

        private void loop() {
            for (Op op = next(); op != null; op = next()) {
                try {
                    op.run();
                } catch (RuntimeException | Error e) {
                    System.getLogger("org.scif4j.shm").log(System.Logger.Level.ERROR, "DMA operation failed", e);
                }
            }
        }
    }
}
