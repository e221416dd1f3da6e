package org.scif4j.shm;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.scif4j.Scif;
import org.scif4j.ScifNode;

/**
 * The long fault campaign, off by default (minutes): {@code -Dscif4j.campaign=true}, rounds
 * from {@code -Dscif4j.campaign.rounds} (default 20). Every crash point of attach and detach
 * that many times; a churning child killed with SIGKILL at random moments; a child stopped
 * while it holds the fabric lock, with this process's open measured meanwhile. It prints its
 * figures; README says how to run it.
 */
@EnabledIfSystemProperty(named = "scif4j.campaign", matches = "true")
class ShmFaultCampaignTest {
    private static final int ROUNDS = Integer.getInteger("scif4j.campaign.rounds", 20);
    private final Path root = Path.of("/dev/shm", "scif4j-campaign-" + ProcessHandle.current().pid());

    @Test
    void everyCrashPointManyTimes() throws Exception {
        long start = System.nanoTime();
        int rounds = 0;
        for (int r = 0; r < ROUNDS; r++) {
            for (String step : ShmCrashRecoveryTest.STEPS) {
                ShmCrashRecoveryTest t = new ShmCrashRecoveryTest();
                try {
                    t.crashAt(step, "campaign round " + r);
                } finally {
                    t.cleanUp();
                }
                rounds++;
            }
        }
        System.out.printf("CAMPAIGN crash points: %d rounds (%d steps x %d), all recovered, %.1f s%n", rounds,
            ShmCrashRecoveryTest.STEPS.size(), ROUNDS, (System.nanoTime() - start) / 1e9);
    }

    @Test
    void sigkillAtRandomMomentsOfAttachAndDetach() throws Exception {
        Random random = new Random();
        String uri = "shm:churn?node=1&dir=" + root;
        long start = System.nanoTime();
        int rounds = ROUNDS * 10;
        try {
            for (int r = 0; r < rounds; r++) {
                try (ShmChild child = ShmChild.start(true, List.of(), "churn", uri)) {
                    assertEquals("READY", child.readLine());
                    Thread.sleep(random.nextInt(300)); // a random moment of the churn, not a synchronisation
                    child.kill9();
                }
                try (ScifNode n = Scif.attach("shm:churn?node=0&dir=" + root)) {
                    assertArrayEquals(new int[] {0}, n.nodeIds().online(), "round " + r);
                    assertEquals(1089, n.open().bind(1089), "round " + r);
                }
                assertFalse(Files.exists(root.resolve("churn")), "round " + r);
            }
        } finally {
            TestTrees.delete(root);
        }
        System.out.printf("CAMPAIGN random kill -9: %d rounds, all recovered, %.1f s%n", rounds,
            (System.nanoTime() - start) / 1e9);
    }

    /**
     * A child stops (SIGSTOP) right after it takes the fabric lock while attaching; this
     * process's open() meanwhile is timed, then the child gets SIGCONT and is reaped. Rounds/4
     * rounds (at least 5); prints the median and the maximum.
     */
    @Test
    void aStoppedLockHolderMeasured() throws Exception {
        int rounds = Math.max(5, ROUNDS / 4);
        long stopMillis = 300;
        long[] blocked = new long[rounds];
        try {
            for (int r = 0; r < rounds; r++) {
                blocked[r] = openWhileStoppedAt(root, "lock.held", "attach", stopMillis);
            }
        } finally {
            TestTrees.delete(root);
        }
        java.util.Arrays.sort(blocked);
        System.out.printf("CAMPAIGN stopped lock holder: %d rounds, open() took median %.2f ms, max %.2f ms"
            + " while the holder was stopped for %d ms%n", rounds, blocked[rounds / 2] / 1e6, blocked[rounds - 1] / 1e6,
            stopMillis);
    }

    /**
     * A child stopped at a named step of each kind of control-plane change, for 300 ms, while
     * this process's open() is timed: before it writes (pre-empted), inside a logged change
     * (finished by a waiter), and at each step of the logged changes of attaching and leaving
     * (layout 4; in layout 3 they were direct changes that held the others until the child ran
     * again, see docs/shm-format.md, "Direct changes"), and inside a reaping change (layout
     * 5; a direct change before). Rounds/4 rounds per step (at least 3); prints the median and
     * the maximum of each.
     */
    @Test
    void aHolderStoppedAtEachKindOfChangeMeasured() throws Exception {
        int rounds = Math.max(3, ROUNDS / 4);
        long stopMillis = 300;
        String[][] steps = {{"lock.held", "attach"}, {"change.committed", "open"},
            {"attach.committed", "attach"}, {"attach.slot-half-written", "attach"}, {"attach.registered", "attach"},
            {"detach.committed", "attach"}, {"detach.slot-freed", "attach"}};
        try {
            for (String[] step : steps) {
                long[] blocked = new long[rounds];
                for (int r = 0; r < rounds; r++) {
                    blocked[r] = openWhileStoppedAt(root, step[0], step[1], stopMillis);
                }
                java.util.Arrays.sort(blocked);
                System.out.printf("CAMPAIGN holder stopped at %s (%s): %d rounds, open() took median %.2f ms,"
                    + " max %.2f ms while it was stopped for %d ms%n", step[0], step[1], rounds, blocked[rounds / 2] / 1e6,
                    blocked[rounds - 1] / 1e6, stopMillis);
            }
            for (String step : new String[] {"reap.committed", "reap.half-applied"}) {
                long[][] took = new long[2][rounds];
                for (int r = 0; r < rounds; r++) {
                    long[] t = attachAndOpenWhileReaperStoppedAt(root, step, stopMillis);
                    took[0][r] = t[0];
                    took[1][r] = t[1];
                }
                java.util.Arrays.sort(took[0]);
                java.util.Arrays.sort(took[1]);
                System.out.printf("CAMPAIGN reaper stopped at %s: %d rounds, attach took median %.2f ms, max %.2f ms;"
                    + " open() then median %.2f ms, max %.2f ms; while it was stopped for %d ms%n", step, rounds,
                    took[0][rounds / 2] / 1e6, took[0][rounds - 1] / 1e6, took[1][rounds / 2] / 1e6,
                    took[1][rounds - 1] / 1e6, stopMillis);
            }
        } finally {
            TestTrees.delete(root);
        }
    }

    /**
     * A child dies holding a connected pair; the next child to attach reaps it and stops at
     * {@code step} inside its reaping change, for {@code stopMillis}. This process attaches
     * meanwhile (it cannot be attached before: its own watchdog would reap the dead first),
     * which takes the lock, so finishes the stopped reaper's change; then it opens.
     *
     * @return nanoseconds this process's attach took, and its open() after it
     */
    private static long[] attachAndOpenWhileReaperStoppedAt(Path root, String step, long stopMillis) throws Exception {
        String uri = "shm:reapat?dir=" + root + "&node=";
        try (ShmChild dead = ShmChild.start(true, List.of(), "hold", uri + 2)) {
            assertTrue(dead.readLine().startsWith("READY "));
            dead.kill9();
        }
        try (ShmChild reaper = ShmChild.start(true, List.of("-Dscif4j.shm.test.stopAt=" + step), "attach", uri + 1)) {
            assertEquals("STOPPED " + step, reaper.readLine());
            waitUntilStopped(reaper.pid());
            Thread resume = new Thread(() -> {
                try {
                    Thread.sleep(stopMillis); // how long the child stays stopped: what is measured against
                    signal("-CONT", reaper.pid());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            resume.start();
            long t0 = System.nanoTime();
            try (ScifNode n = Scif.attach(uri + 0)) {
                long t1 = System.nanoTime();
                n.open().close();
                long t2 = System.nanoTime();
                resume.join();
                assertEquals("OK 1", reaper.readLine(), "the resumed reaper attached");
                assertEquals(0, reaper.waitFor(30));
                return new long[] {t1 - t0, t2 - t1};
            }
        }
    }

    /** @return nanoseconds this process's open() took while the child was stopped at {@code step} */
    private static long openWhileStoppedAt(Path root, String step, String scenario, long stopMillis) throws Exception {
        String uri = "shm:stopat?dir=" + root + "&node=";
        try (ScifNode n = Scif.attach(uri + 0);
             ShmChild child = ShmChild.start(true, List.of("-Dscif4j.shm.test.stopAt=" + step), scenario, uri + 1)) {
            String line = child.readLine();
            String ok = null;
            if (line.startsWith("OK ")) { // a step of leaving: the child attached and said so first
                ok = line;
                line = child.readLine();
            }
            assertEquals("STOPPED " + step, line);
            waitUntilStopped(child.pid());
            Thread resume = new Thread(() -> {
                try {
                    Thread.sleep(stopMillis); // how long the child stays stopped: what is measured against
                    signal("-CONT", child.pid());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            resume.start();
            long t0 = System.nanoTime();
            n.open().close();
            long blocked = System.nanoTime() - t0;
            resume.join();
            if (ok == null) {
                assertTrue(child.readLine().startsWith("OK "), "the resumed child went on");
            }
            assertEquals(0, child.waitFor(30));
            return blocked;
        }
    }

    /**
     * SIGSTOP at random moments of a child that churns attach/open/bind/close, so that it is
     * sometimes stopped holding the lock (reading or writing) and mostly not: this process's
     * open() is timed while the child is stopped (at most 1 s: then it gets SIGCONT), then SIGCONT.
     * 10 x rounds rounds.
     */
    @Test
    void sigstopAtRandomMomentsMeasured() throws Exception {
        Random random = new Random();
        int rounds = ROUNDS * 10;
        long[] took = new long[rounds];
        String uri = "shm:churnstop?dir=" + root + "&node=";
        try (ScifNode n = Scif.attach(uri + 0);
             ShmChild child = ShmChild.start(true, List.of(), "churn", uri + 1)) {
            assertEquals("READY", child.readLine());
            for (int r = 0; r < rounds; r++) {
                Thread.sleep(random.nextInt(20)); // a random moment of the churn, not a synchronisation
                signal("-STOP", child.pid());
                waitUntilStopped(child.pid());
                // Resumes the child after 1 s in any case: stopped inside a write, it holds the lock.
                Thread resume = new Thread(() -> {
                    try {
                        Thread.sleep(1000);
                        signal("-CONT", child.pid());
                    } catch (InterruptedException e) {
                        // open() returned first
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                resume.start();
                long t0 = System.nanoTime();
                n.open().close();
                took[r] = System.nanoTime() - t0;
                resume.interrupt();
                resume.join();
                signal("-CONT", child.pid());
            }
            child.kill9();
        } finally {
            TestTrees.delete(root);
        }
        java.util.Arrays.sort(took);
        long over = java.util.Arrays.stream(took).filter(t -> t > 10_000_000L).count();
        System.out.printf("CAMPAIGN random SIGSTOP of a churning child: %d rounds, open() median %.3f ms,"
            + " p90 %.3f ms, p99 %.3f ms, max %.1f ms, %d rounds over 10 ms%n", rounds, took[rounds / 2] / 1e6,
            took[rounds * 9 / 10] / 1e6, took[rounds * 99 / 100] / 1e6, took[rounds - 1] / 1e6, over);
    }

    private static void signal(String sig, long pid) throws Exception {
        new ProcessBuilder("kill", sig, Long.toString(pid)).start().waitFor();
    }

    static void waitUntilStopped(long pid) throws Exception {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        for (int i = 0; i < 10_000; i++) {
            String s = Files.readString(stat);
            char state = s.charAt(s.lastIndexOf(')') + 2);
            if (state == 'T' || state == 't') {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(1);
        }
        fail("process " + pid + " never stopped");
    }
}
