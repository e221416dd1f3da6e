package org.scif4j.bench.cli;

import com.sun.management.OperatingSystemMXBean;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;
import org.scif4j.Endpoint;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;
import org.scif4j.bench.Main;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code scif idle}: what blocked calls cost while nothing happens — threads blocked in
 * {@code recv} on many endpoints and one in {@code accept}, against the same number of threads
 * parked in plain Java, as CPU time of this process over a measured interval (scif4j's
 * target: 100 endpoints blocked in recv/accept cost under 1 % of one core).
 */
@Command(name = "idle", mixinStandardHelpOptions = true,
    description = "CPU used by threads blocked in recv/accept on the shm fabric, against as many"
        + " threads parked in plain Java, measured in the same run.",
    footer = {"", "Exit codes: 0 ok, 1 the run failed, 2 usage error."})
public final class IdleCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--endpoints", paramLabel = "N", description = "Endpoints blocked in recv (default: ${DEFAULT-VALUE}).")
    int endpoints = 100;

    @Option(names = "--seconds", paramLabel = "SECONDS", description = "Measured interval (default: ${DEFAULT-VALUE}).")
    int seconds = 10;

    @Option(names = "--wait", paramLabel = "MODE", description = "How blocked calls wait: spin, yield, block or adaptive (default: ${DEFAULT-VALUE}).")
    String wait = "adaptive";

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        double parked = parkedBaseline();
        double scif = blockedInScif();
        out.printf(Locale.ROOT, "%d threads parked in plain Java (LockSupport.park): %.2f %% of one core%n",
            endpoints + 1, parked);
        out.printf(Locale.ROOT, "%d shm endpoints blocked in recv + 1 in accept (wait=%s): %.2f %% of one core%n",
            endpoints, wait, scif);
        out.printf(Locale.ROOT, "target: < 1 %% of one core; measured over %d s each%n", seconds);
        return Main.OK;
    }

    private double parkedBaseline() throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        for (int i = 0; i <= endpoints; i++) {
            Thread t = new Thread(() -> {
                while (done.getCount() > 0) {
                    LockSupport.park(this);
                }
            });
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        double pct = cpuPercent();
        done.countDown();
        threads.forEach(LockSupport::unpark);
        return pct;
    }

    private double blockedInScif() throws Exception {
        String name = "idle-" + ProcessHandle.current().pid();
        try (ScifNode host = Scif.attach("shm:" + name + "?node=0&wait=" + wait);
             ScifNode card = Scif.attach("shm:" + name + "?node=1&wait=" + wait)) {
            Endpoint listener = host.open();
            listener.bind(0);
            listener.listen(endpoints);
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < endpoints / 2 + endpoints % 2; i++) {
                Endpoint c = card.open();
                Endpoint s = LocalPair.connect(c, listener);
                threads.add(blockInRecv(c));
                if (threads.size() < endpoints) {
                    threads.add(blockInRecv(s));
                }
            }
            Endpoint idleListener = host.open();
            idleListener.bind(0);
            idleListener.listen(1);
            threads.add(start(() -> idleListener.accept(Scif.ACCEPT_SYNC)));
            return cpuPercent(); // closing the nodes ends every blocked call
        }
    }

    private interface Blocking {
        void run() throws ScifException;
    }

    private static Thread blockInRecv(Endpoint e) {
        return start(() -> e.recv(ByteBuffer.allocateDirect(8), Scif.RECV_BLOCK));
    }

    private static Thread start(Blocking call) {
        Thread t = new Thread(() -> {
            try {
                call.run();
            } catch (ScifException expected) {
                // the node closed under it: the end of the measurement
            }
        }, "scif-idle");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Settles for a second, then measures this process's CPU time over the interval. */
    private double cpuPercent() throws InterruptedException {
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        Thread.sleep(1_000); // let the blocked calls reach their futex sleeps: this is a measurement, not a test
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        Thread.sleep(seconds * 1_000L);
        return 100.0 * (os.getProcessCpuTime() - cpu0) / (System.nanoTime() - t0);
    }
}
