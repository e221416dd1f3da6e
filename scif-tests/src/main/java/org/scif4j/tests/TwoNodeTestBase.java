package org.scif4j.tests;

import org.junit.jupiter.api.BeforeEach;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;

/**
 * A conformance test on nodes 0 and 1 of the test's fabric, both attached in this JVM before
 * each test (before the subclass's own {@code @BeforeEach} methods, which JUnit runs after a
 * superclass's).
 */
public abstract class TwoNodeTestBase extends ScifTestBase {
    /** Node 0. */
    protected ScifNode node0;
    /** Node 1. */
    protected ScifNode node1;

    @BeforeEach
    final void attachNodes() throws ScifException {
        node0 = attach(0);
        node1 = attach(1);
    }
}
