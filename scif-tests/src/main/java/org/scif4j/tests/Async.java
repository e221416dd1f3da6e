package org.scif4j.tests;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.scif4j.Errno;
import org.scif4j.ScifException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A call running in its own thread, so that a test can block it, act on it from outside
 * (close, interrupt, kill the peer) and then check how it ended, with an upper bound on the
 * wait. Started through {@link ScifTestBase#async}, which joins it after the test.
 *
 * @param <T> the call's result
 */
public final class Async<T> {
    private final FutureTask<T> task;
    private final Thread thread;
    private final String name;
    private volatile boolean interruptedAtEnd;

    Async(String name, Callable<T> call) {
        this.name = name;
        this.task = new FutureTask<>(() -> {
            try {
                return call.call();
            } finally {
                interruptedAtEnd = Thread.currentThread().isInterrupted();
            }
        });
        this.thread = new Thread(task, "scif-test-" + name);
        this.thread.setDaemon(true);
    }

    Async<T> start() {
        thread.start();
        return this;
    }

    /** @return the thread running the call */
    public Thread thread() {
        return thread;
    }

    /** @return whether the thread's interrupt status was set when the call ended */
    public boolean interruptedAtEnd() {
        return interruptedAtEnd;
    }

    /** @return whether the call has ended */
    public boolean isDone() {
        return task.isDone();
    }

    /**
     * Waits, with an upper bound, until the thread waits inside the SCIF call: parked
     * (WAITING, TIMED_WAITING), or in a native wait (a futex through JNA shows as RUNNABLE in
     * native code), a yield or a spin, below a frame of the API or a transport; or until it has
     * ended. BLOCKED does not count: a thread that queues for a monitor on the call's way in
     * (another thread holds the endpoint's lock) has not yet begun to wait for the event, and a
     * test that acts then races the call's own entry checks (a close seen as EBADF instead of
     * EINTR). Nor does a native frame or a park while the call's code is still being linked or
     * loaded (the first string concatenation of a call bootstraps through java.lang.invoke and
     * parks on class-loading locks before the call checks anything). If neither is seen within
     * the bound the caller goes on anyway.
     */
    public void awaitBlocked() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (System.nanoTime() < deadline) {
            Thread.State s = thread.getState();
            if (s == Thread.State.TERMINATED) {
                return;
            }
            StackTraceElement[] stack = thread.getStackTrace();
            boolean inCall = false;
            for (StackTraceElement e : stack) {
                String c = e.getClassName();
                if (c.startsWith("org.scif4j.") && !c.startsWith("org.scif4j.tests.")) {
                    inCall = true;
                    break;
                }
                if (linkingOrLoading(e)) {
                    break; // the call's own code is not running yet: not blocked
                }
            }
            if (inCall && stack.length > 0) {
                StackTraceElement top = stack[0];
                String c = top.getClassName();
                boolean parked = s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING;
                if (parked || top.isNativeMethod() || c.equals("java.lang.Thread")
                    || c.endsWith("LockSupport") || c.endsWith("Unsafe")) {
                    return;
                }
            }
            Thread.onSpinWait();
        }
    }

    /** @return whether {@code e} is the JVM linking a call site or loading or initialising a class */
    private static boolean linkingOrLoading(StackTraceElement e) {
        String c = e.getClassName();
        return c.startsWith("java.lang.invoke.") || c.startsWith("sun.invoke.") || c.startsWith("jdk.internal.loader.")
            || c.equals("java.lang.ClassLoader") || e.getMethodName().equals("<clinit>")
            || e.getMethodName().equals("loadClass");
    }

    /**
     * Waits for the result.
     *
     * @param timeout the upper bound
     * @return the result
     */
    public T get(Duration timeout) {
        try {
            return task.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError(name + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError(name + " still running after " + timeout + "; stack:"
                + stack());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for " + name, e);
        }
    }

    /**
     * Waits for the call to end, whichever way.
     *
     * @param timeout the upper bound
     * @return the result, or null if the call threw
     */
    public T resultOrNull(Duration timeout) {
        try {
            return task.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            return null;
        } catch (TimeoutException e) {
            throw new AssertionError(name + " still running after " + timeout + "; stack:" + stack());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for " + name, e);
        }
    }

    /**
     * Waits for the call to fail and checks its errno.
     *
     * @param expected the errno it must fail with
     * @param timeout  the upper bound
     * @param what     what the test expects, for the message
     * @return the exception
     */
    public ScifException awaitFailure(Errno expected, Duration timeout, String what) {
        try {
            T value = task.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return fail(what + ": expected " + expected + " but " + name + " returned " + value);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof ScifException)) {
                throw new AssertionError(what + ": expected " + expected + " but " + name
                    + " threw " + e.getCause(), e.getCause());
            }
            ScifException se = (ScifException) e.getCause();
            assertEquals(expected, se.errno(), what + ": " + se.getMessage());
            return se;
        } catch (TimeoutException e) {
            throw new AssertionError(what + ": expected " + expected + " but " + name
                + " still blocks after " + timeout + "; stack:" + stack());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for " + name, e);
        }
    }

    void stop(Duration timeout) throws InterruptedException {
        if (thread.isAlive()) {
            thread.interrupt();
            thread.join(timeout.toMillis());
        }
    }

    private String stack() {
        StringBuilder sb = new StringBuilder();
        for (StackTraceElement e : thread.getStackTrace()) {
            sb.append("\n    at ").append(e);
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return name + (task.isDone() ? " (done)" : " (running)");
    }
}
