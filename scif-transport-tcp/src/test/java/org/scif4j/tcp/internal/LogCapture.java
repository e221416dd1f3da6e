package org.scif4j.tcp.internal;

import java.text.MessageFormat;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Collects the WARNING records (or, asked for, INFO and above) of the logger
 * {@code org.scif4j.tcp} (System.Logger is backed by java.util.logging here), so that a test can
 * wait for the reason a link was closed, or for a step the node reports.
 */
final class LogCapture extends Handler implements AutoCloseable {
    private final Logger logger = Logger.getLogger("org.scif4j.tcp");
    private final BlockingQueue<String> warnings = new LinkedBlockingQueue<>();

    LogCapture() {
        this(Level.WARNING);
    }

    /** @param threshold the lowest level collected */
    LogCapture(Level threshold) {
        setLevel(threshold);
        logger.addHandler(this);
    }

    @Override
    public void publish(LogRecord r) {
        if (r.getLevel().intValue() >= getLevel().intValue()) {
            Object[] p = r.getParameters();
            warnings.add(p == null ? r.getMessage() : MessageFormat.format(r.getMessage(), p));
        }
    }

    /**
     * Waits for a record that contains {@code text}, skipping others.
     *
     * @return the warning
     * @throws AssertionError when none comes within 10 s
     */
    String await(String text) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        StringBuilder seen = new StringBuilder();
        while (true) {
            String w = warnings.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (w == null) {
                throw new AssertionError("no warning containing '" + text + "' was logged; saw: " + seen);
            }
            if (w.contains(text)) {
                return w;
            }
            seen.append("\n  ").append(w);
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
    }
}
