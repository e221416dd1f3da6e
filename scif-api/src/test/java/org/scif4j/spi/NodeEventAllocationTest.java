package org.scif4j.spi;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.scif4j.NodeEvent;
import org.scif4j.NodeSubscription;

/**
 * An idle node's event thread allocates nothing: while a listener is subscribed it reads the
 * online nodes every period for the node's whole life, and a poll that finds no change must
 * not allocate. Measured with the JVM's allocation counter of the event thread over rounds of
 * {@value #POLLS} polls of a probe that allocates nothing itself (it fills the set it is given
 * from a fixed one). The test counts polls through the probe, which the event thread calls once
 * a poll. Before, a poll allocated a list, two BitSets, a list of newcomers and the condition's
 * wait node: about 250 B a poll (25 KB a round). As in the watchdog's allocation test, of a few
 * rounds one must stay under the bound (a deoptimisation now and then allocates once); an
 * allocation per poll shows in every round.
 */
class NodeEventAllocationTest {
    private static final String THREAD = "scif4j-node-events-alloc-test";
    /** Polls before the rounds: the first allocate while the JIT compiles them. */
    private static final int WARM_UP = 2_000;
    private static final int POLLS = 100;
    /** Bytes a round of polls may allocate: 10 B a poll. */
    private static final long BOUND = 1024;
    private static final int ROUNDS = 5;

    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @Test
    void aPollThatFindsNoChangeAllocatesNothing() throws Exception {
        BitSet nodes = new BitSet();
        nodes.set(0); // self: never reported
        nodes.set(1);
        nodes.set(3);
        Semaphore polls = new Semaphore(0);
        NodeEventSource.Probe probe = (due, into) -> {
            into.or(nodes);
            polls.release();
            return true;
        };
        List<NodeEvent> events = new ArrayList<>();
        NodeEventSource source = new NodeEventSource(THREAD, 0, probe, 1);
        try {
            NodeSubscription s = source.subscribe(e -> {
                synchronized (events) {
                    events.add(e);
                }
            });
            assertTrue(polls.tryAcquire(WARM_UP, 60, TimeUnit.SECONDS), "the event thread polled " + WARM_UP + " times");
            synchronized (events) {
                assertEquals(List.of("1 ONLINE", "3 ONLINE"), events.stream().map(e -> e.node() + " " + e.kind()).toList(),
                    "a newcomer hears of the online nodes, once");
            }
            long thread = eventThread().getId();
            StringBuilder rounds = new StringBuilder();
            for (int round = 0; round < ROUNDS; round++) {
                long before = threads.getThreadAllocatedBytes(thread);
                assertTrue(polls.tryAcquire(POLLS, 60, TimeUnit.SECONDS), "the event thread polled " + POLLS + " times");
                long bytes = threads.getThreadAllocatedBytes(thread) - before;
                if (bytes < BOUND) {
                    System.out.println("node events: " + bytes + " bytes in " + POLLS + " polls, round " + (round + 1));
                    synchronized (events) {
                        assertEquals(2, events.size(), "no change, no event");
                    }
                    s.close();
                    return;
                }
                rounds.append("\n  ").append(bytes).append(" bytes (").append(bytes / POLLS).append(" per poll)");
            }
            fail("every round of " + POLLS + " polls allocated " + BOUND + " bytes or more:" + rounds);
        } finally {
            source.close();
        }
    }

    private static Thread eventThread() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(THREAD)).findFirst()
            .orElseThrow(() -> new AssertionError("no thread " + THREAD));
    }
}
