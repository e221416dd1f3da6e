package org.scif4j.tcp.internal;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

/**
 * The endpoints of a node by wire id ({@code E}: {@link TcpEndpoint}), for the frames that
 * name them. A lookup, done for every SCIF frame a node receives, is one array read and a
 * compare: lock-free and allocation-free (a map keyed by {@code Long} boxes every id above 127).
 *
 * <p>A wire id is a slot (its low 32 bits) and a count of the node's wire ids so far (its high
 * 32 bits, from 1): slots are reused, wire ids are not within an incarnation, so a late frame
 * for an endpoint that has gone finds nobody, even when another endpoint holds its slot.
 *
 * <p><b>Threads.</b> {@link #add} and {@link #remove} run under this object's monitor (user
 * threads, once per endpoint or connection attempt); {@link #get} and {@link #forEach} read
 * without a lock, on any thread. The table grows by copying into a larger array that is then
 * published through a volatile field; an entry added after that goes only into the new one.
 */
final class WireIds<E> {
    private static final class Entry<T> {
        final long id;
        final T endpoint;

        Entry(long id, T endpoint) {
            this.id = id;
            this.endpoint = endpoint;
        }
    }

    private volatile AtomicReferenceArray<Entry<E>> slots = new AtomicReferenceArray<>(64);
    /** Guarded by this. */
    private final ArrayDeque<Integer> free = new ArrayDeque<>();
    /** Slots ever used. Guarded by this. */
    private int used;
    /** Wire ids handed out. Guarded by this. */
    private long count;

    /** @return a new wire id that names {@code e} until {@link #remove} */
    synchronized long add(E e) {
        Integer reuse = free.poll();
        int slot = reuse != null ? reuse : used++;
        AtomicReferenceArray<Entry<E>> s = slots;
        if (slot >= s.length()) {
            AtomicReferenceArray<Entry<E>> grown = new AtomicReferenceArray<>(s.length() * 2);
            for (int i = 0; i < s.length(); i++) {
                grown.set(i, s.get(i));
            }
            slots = grown;
            s = grown;
        }
        long id = (++count << 32) | slot;
        s.set(slot, new Entry<>(id, e));
        return id;
    }

    /** Forgets wire id {@code id}; frames naming it are dropped from now on. */
    synchronized void remove(long id) {
        int slot = (int) id;
        AtomicReferenceArray<Entry<E>> s = slots;
        if (slot >= 0 && slot < s.length()) {
            Entry<E> x = s.get(slot);
            if (x != null && x.id == id) {
                s.set(slot, null);
                free.add(slot);
            }
        }
    }

    /** @return the endpoint wire id {@code id} names, or null. Lock-free. */
    E get(long id) {
        int slot = (int) id;
        AtomicReferenceArray<Entry<E>> s = slots;
        if (slot < 0 || slot >= s.length()) {
            return null;
        }
        Entry<E> x = s.get(slot);
        return x != null && x.id == id ? x.endpoint : null;
    }

    /** Hands every endpoint with a wire id to {@code action}. Lock-free. */
    void forEach(Consumer<? super E> action) {
        AtomicReferenceArray<Entry<E>> s = slots;
        for (int i = 0; i < s.length(); i++) {
            Entry<E> x = s.get(i);
            if (x != null) {
                action.accept(x.endpoint);
            }
        }
    }
}
