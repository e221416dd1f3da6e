package org.scif4j.tests;

/**
 * What the conformance suite needs to know about one transport: the fabric URI of each node
 * of the current test's private fabric, and how to check that the fabric left nothing behind.
 * A transport's test module gives one subclass; each test gets a fresh instance, so its fabric
 * name is unique and tests never collide.
 */
public abstract class TransportFixture {
    /** @return a short name of the transport, for messages (e.g. {@code shm}) */
    public abstract String transportName();

    /**
     * The URI that attaches node {@code node} of this test's fabric.
     *
     * @param node the node id (0 is the host)
     * @return e.g. {@code shm:t1234x1?node=1}
     */
    public final String fabricUri(int node) {
        return fabricUri(node, "");
    }

    /**
     * The URI that attaches node {@code node} of this test's fabric, with more options.
     *
     * @param node         the node id (0 is the host)
     * @param extraOptions further query options, e.g. {@code ring=4096}; empty for none
     * @return e.g. {@code shm:t1234x1?node=1&ring=4096}
     */
    public abstract String fabricUri(int node, String extraOptions);

    /**
     * Fails if the fabric left anything behind (files, shared memory) once every node of the
     * test was closed and every child process has ended. May wait a little, with a deadline,
     * for clean-up that a transport does asynchronously.
     */
    public abstract void assertNoLeftovers();

    /**
     * Name prefixes of threads the transport starts once per JVM on purpose (documented
     * singletons, like JNA's cleaner), which the leak check of {@link ScifTestBase} does not
     * count as left behind by a test. Everything else a node starts must end when it closes.
     *
     * @return the prefixes; empty by default
     */
    public java.util.List<String> jvmWideThreadPrefixes() {
        return java.util.List.of();
    }

    /**
     * Whether {@code Endpoint.mmap} can map a peer's window on this transport. Where it cannot
     * (tcp: no shared memory between hosts) mmap fails with EOPNOTSUPP, and the tests that use a
     * mapping only as a means check the same thing through RMA instead.
     *
     * @return true by default
     */
    public boolean mapsPeerMemory() {
        return true;
    }

    /**
     * Whether {@code Scif.poll} takes endpoints of two of this transport's fabrics in one call.
     * shm cannot (each fabric has its own doorbells) and refuses with EINVAL; tcp can (one poller
     * serves every tcp endpoint of a process).
     *
     * @return false by default
     */
    public boolean pollsAcrossFabrics() {
        return false;
    }

    /**
     * Removes whatever {@link #assertNoLeftovers()} found, so that one failing test does not
     * disturb the next. Never touches anything outside this test's fabric.
     */
    public abstract void removeLeftovers();
}
